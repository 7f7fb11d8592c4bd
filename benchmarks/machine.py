"""What the benchmarks record about the machine they ran on, so figures from different machines are not mixed."""

from __future__ import annotations

import os
import platform

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
