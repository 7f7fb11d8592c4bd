"""Tests that need the shared real datasets skip without them on a user's clone, and fail under
RESUME_NER_REQUIRE_SHARED_DATA=1 (set by `.ci/run`), so CI cannot go green with the data missing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO_ROOT, REQUIRE_SHARED_DATA_VARIABLE, shared_data

NEEDS_MISSING_DATA = """
from pathlib import Path

from conftest import requires_shared_data, shared_data

MISSING = Path(__file__).with_name("no-such-dataset.json")


@requires_shared_data(MISSING)
def test_marked():
    pass


def test_asks_in_its_body():
    shared_data(MISSING)
"""


def test_present_data_is_returned_whatever_the_switch(tmp_path, monkeypatch):
    monkeypatch.setenv(REQUIRE_SHARED_DATA_VARIABLE, "1")
    assert shared_data(tmp_path) == tmp_path


@pytest.mark.parametrize(
    ("value", "outcome"), [(None, pytest.skip.Exception), ("0", pytest.skip.Exception), ("1", pytest.fail.Exception)]
)
def test_missing_data_skips_or_fails_by_the_switch(tmp_path, monkeypatch, value, outcome):
    monkeypatch.delenv(REQUIRE_SHARED_DATA_VARIABLE, raising=False)
    if value is not None:
        monkeypatch.setenv(REQUIRE_SHARED_DATA_VARIABLE, value)
    with pytest.raises(outcome, match=r"needs .*missing\.json"):
        shared_data(tmp_path / "missing.json")


def run_pytest(folder, require: bool) -> subprocess.CompletedProcess:
    """pytest on a file of two tests that need a missing dataset, with this project's conftest and settings."""
    (folder / "test_needs_missing_data.py").write_text(NEEDS_MISSING_DATA, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != REQUIRE_SHARED_DATA_VARIABLE}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "tests"), env.get("PYTHONPATH", "")])
    if require:
        env[REQUIRE_SHARED_DATA_VARIABLE] = "1"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "conftest",
            "-p",
            "no:cacheprovider",
            "-rA",
            "-c",
            str(REPO_ROOT / "pyproject.toml"),
            "--rootdir",
            str(folder),
            str(folder / "test_needs_missing_data.py"),
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow  # two pytest sessions in fresh interpreters
def test_a_user_without_the_data_gets_skips_that_say_why_and_ci_gets_failures(tmp_path):
    user = run_pytest(tmp_path, require=False)
    assert user.returncode == 0, user.stdout[-3000:]
    assert "2 skipped" in user.stdout and "needs " in user.stdout and "no-such-dataset.json" in user.stdout
    ci = run_pytest(tmp_path, require=True)
    assert ci.returncode == 1, ci.stdout[-3000:]
    # The mark fails the test in its setup (an error), the call in its body (a failure): neither passes.
    assert "1 failed, 1 error" in ci.stdout
    assert f"{REQUIRE_SHARED_DATA_VARIABLE} is set, so missing shared data is an error" in ci.stdout
