"""Run a snippet of Python under several ``PYTHONHASHSEED`` values: what it prints must not depend on the seed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def prints_under_hash_seeds(code: str, seeds: tuple[str, ...] = ("1", "2")) -> set[str]:
    """The distinct outputs of ``python -c code``, once per hash seed, importing the same copy of the package as
    the test (its PYTHONPATH) and nothing else from the environment."""
    checkout = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}
    return {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed, "PATH": "", **checkout},
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO_ROOT,
        ).stdout
        for seed in seeds
    }
