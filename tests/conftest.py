pytest_plugins = ["grader.kit.plugin"]
