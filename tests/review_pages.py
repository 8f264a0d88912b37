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


# --- the class of the page's tests: twelve students of the quiz, whose answers fall in a few groups ----------------

WHY = ["By definition 2x = x + x.", "Because of the definition: x + x.", "It is x + x, e.g. 2*3 = 3 + 3.",
       "Multiplying by two adds the number once more.", "I do not know."]
MEAN = ["Outliers pull it away.", "When the data are skewed.", "When there is an outlier.", "Always."]
STUDENTS = [f"s{n:02d}" for n in range(12)]


def make_class(root: Path) -> Path:
    for index, student in enumerate(STUDENTS):
        write_answers(root / "class" / student, {"why_double": WHY[index % len(WHY)],
                                                  "mean_use": MEAN[(index * 7) % len(MEAN)]})
    return root / "class"


class Browser:
    """Chromium through Playwright, and the pages opened in it."""

    def __enter__(self):
        from playwright.sync_api import sync_playwright

        assert CHROMIUM is not None, "CI must have Chromium"
        self.manager = sync_playwright()
        playwright = self.manager.__enter__()
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        return self

    def page(self, address: str):
        page = self.browser.new_context().new_page()  # a context each: two reviewers share no storage
        page.goto(address)
        page.wait_for_selector("body[data-ready='true']")
        return page

    def __exit__(self, *exc):
        self.browser.close()
        self.manager.__exit__(*exc)


def settle(page) -> None:
    """Wait until the page has nothing left to save, then a second more: a save that a timer would still send
    late (after half a second, say) is on disk by then."""
    until(lambda: page.get_attribute("body", "data-pending") in ("0", None)
          and page.get_attribute("#saved", "data-state") not in ("saving",))
    time.sleep(1.0)
    until(lambda: page.get_attribute("body", "data-pending") in ("0", None))


def here(page) -> str:
    """The digest of the answer the page shows."""
    return page.get_attribute("body", "data-group")
