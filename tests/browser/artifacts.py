"""Where the browser tests keep their screenshots: one folder per test session, shared by every
pytest-xdist worker, kept after the run (CI publishes it as an artifact)."""

import os
import tempfile
import time
from pathlib import Path

ENVIRONMENT = "OMS_BROWSER_ARTIFACTS"


def browser_artifacts_choose() -> None:
    """Pick the session's folder once, in the process that starts pytest; the xdist workers it
    spawns later inherit the variable, so they all write to the same place."""
    if not os.environ.get(ENVIRONMENT):
        stamp = time.strftime("%Y%m%d-%H%M%S")
        os.environ[ENVIRONMENT] = str(Path(tempfile.gettempdir()) / "oms-browser-artifacts" / f"{stamp}-{os.getpid()}")


def browser_artifacts_folder() -> Path:
    browser_artifacts_choose()
    return Path(os.environ[ENVIRONMENT])


def browser_artifacts_summary(terminalreporter) -> None:
    """Say in the log where the screenshots are, if any test took one."""
    folder = browser_artifacts_folder()
    shots = sorted(folder.rglob("*.png")) if folder.is_dir() else []
    if shots:
        terminalreporter.write_sep("-", "browser screenshots")
        terminalreporter.write_line(f"{len(shots)} screenshots of the browser tests, one folder per test: {folder}")
