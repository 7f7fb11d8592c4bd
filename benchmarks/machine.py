"""What the benchmarks record with their figures: the machine they ran on, so figures from different machines are
not mixed, and the JSON file they write."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

from resume_ner.tracking.lineage import package_versions


def machine_info() -> dict:
    """CPU count, processor, platform, Python and the versions of the packages the figures depend on."""
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        **package_versions(),
    }


def write_figures(path: Path, figures: dict) -> None:
    """Write a benchmark's ``figures`` as indented JSON to ``path`` (its folder made if need be) and say so."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")
    print(f"Figures written to {path}")
