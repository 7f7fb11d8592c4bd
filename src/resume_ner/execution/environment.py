"""The child's environment: only what the training program needs, never the parent's whole environment."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import resume_ner
from resume_ner.training.protocol import PARENT_SEES_CUDA_VARIABLE

# Needed by any Python program to run and find its caches and locale; none of them is a secret.
SYSTEM_VARIABLES = ("PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "SYSTEMROOT")
# Model caches and offline switches: a hub id must resolve in the child exactly as it would in the parent.
MODEL_CACHE_VARIABLES = ("HF_HOME", "HF_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "TORCH_HOME")
# What a GPU host needs to find and drive its GPUs: the CUDA libraries (LD_LIBRARY_PATH), which devices and how
# (CUDA_*), the interconnect between ranks (NCCL_*, GLOO_SOCKET_IFNAME) and the allocator's settings. None is a
# secret.
GPU_VARIABLES = ("LD_LIBRARY_PATH", "PYTORCH_CUDA_ALLOC_CONF", "GLOO_SOCKET_IFNAME")
GPU_PREFIXES = ("CUDA_", "NCCL_")
# A host that reaches the model hub through a proxy must do so from the child too.
PROXY_VARIABLES = tuple(
    name for base in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY") for name in (base, base.lower())
)


def package_source_root() -> Path:
    """The folder holding the ``resume_ner`` package the parent imported (``src/`` in a checkout)."""
    return Path(resume_ner.__file__).resolve().parent.parent


def build_training_env(
    *,
    tracking_uri: str | None = None,
    experiment_id: str | None = None,
    run_id: str | None = None,
    threads: int | None = None,
    pass_through: Iterable[str] = (),
    parent_env: Mapping[str, str] | None = None,
    parent_sees_cuda: bool | None = None,
) -> dict[str, str]:
    """The environment of one child run.

    It holds the system basics, ``PYTHONPATH`` (so the child imports the parent's copy of ``resume_ner``), the
    MLflow tracking URI, experiment and run ids the child logs into, thread counts, what a GPU host needs
    (``CUDA_*``, ``NCCL_*``, ``LD_LIBRARY_PATH``, ...), proxies, and the variables named in ``pass_through``
    (credentials such as ``MLFLOW_TRACKING_PASSWORD``). Nothing else crosses, so a secret in the parent's
    environment reaches a child only when it is listed. When the parent sees CUDA (``parent_sees_cuda``, asked
    of torch when not given) the child is told, so it can refuse to fall back to the CPU.
    """
    parent = os.environ if parent_env is None else parent_env
    named = (*SYSTEM_VARIABLES, *MODEL_CACHE_VARIABLES, *GPU_VARIABLES, *PROXY_VARIABLES)
    env = {name: parent[name] for name in named if name in parent}
    env |= {name: value for name, value in parent.items() if name.startswith(GPU_PREFIXES)}
    python_path = [str(package_source_root())]
    if parent.get("PYTHONPATH"):
        python_path.append(parent["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(python_path)
    env["PYTHONUNBUFFERED"] = "1"
    # Tokenizers' own thread pool would compete with torch's threads and warns after a fork.
    env["TOKENIZERS_PARALLELISM"] = "false"
    if threads is not None:
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    for name, value in (
        ("MLFLOW_TRACKING_URI", tracking_uri),
        ("MLFLOW_EXPERIMENT_ID", experiment_id),
        ("MLFLOW_RUN_ID", run_id),
    ):
        if value is not None:
            env[name] = str(value)
    if parent_sees_cuda if parent_sees_cuda is not None else sees_cuda():
        env[PARENT_SEES_CUDA_VARIABLE] = "1"
    for name in pass_through:
        if name in parent:
            env[name] = parent[name]
    return env


def sees_cuda() -> bool:
    """Whether this process's torch sees a CUDA device, without importing torch on a host with no NVIDIA driver
    (a CPU machine then pays nothing; the parent has usually not imported torch)."""
    if "torch" not in sys.modules and not _nvidia_driver_loaded():
        return False
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def _nvidia_driver_loaded() -> bool:
    """Linux's sign of a loaded NVIDIA driver; elsewhere only Windows may have CUDA, and only torch can tell."""
    if not sys.platform.startswith("linux"):
        return sys.platform == "win32"
    return Path("/proc/driver/nvidia").exists() or Path("/dev/nvidiactl").exists()
