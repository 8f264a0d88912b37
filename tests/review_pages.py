"""What the tests of the review page share: answers written as a student would, ``grader review`` running on the
mini course, and a way to wait for a page without running scripts in it."""

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

MINI = Path(__file__).parent / "framework" / "fixtures" / "mini"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def write_answers(folder: Path, answers: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "answers.yaml").write_text(yaml.safe_dump(answers, allow_unicode=True), encoding="utf-8")
    return folder


def until(condition, seconds: float = 30.0) -> None:
    """Wait for ``condition()`` to hold (the page's own security policy forbids the polling scripts a browser
    driver would run in it)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the page did not get there in time"
        time.sleep(0.05)


class Served:
    """``grader review`` running, and its address."""

    def __init__(self, cli_args: list[str]) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "grader", "--course", str(MINI), "review", *cli_args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        self.address = ""
        while not self.address and time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            found = re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", line)
            self.address = found.group(0) if found else ""
        assert self.address, self.process.stderr.read() if self.process.poll() is not None else "no address"

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
