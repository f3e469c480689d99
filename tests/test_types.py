"""mypy over the configured packages reports no errors, so the annotations stay true as the code changes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_reports_no_errors(tmp_path: Path) -> None:
    """`python -m mypy` from the repo root (the files and settings of [tool.mypy] in pyproject.toml) is clean."""
    # A fresh cache: a stale one cannot hide an error, and nothing is written into the working tree.
    result = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy_cache")], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, f"mypy reported errors (exit {result.returncode}):\n{output}"
    assert "Success: no issues found" in output, f"mypy did not report success:\n{output}"
