pytest_plugins = ["grader.running.plugin"]
