"""The layering in DESIGN.md holds: import-linter's contracts (pyproject.toml) are all kept."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_imports_only_point_down_the_layers():
    lint_imports = Path(sys.executable).with_name("lint-imports")

    run = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)

    assert run.returncode == 0, f"an import-linter contract is broken:\n{run.stdout}\n{run.stderr}"
    assert "0 broken" in run.stdout
