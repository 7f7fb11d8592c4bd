"""build_training_command and build_training_env: what reaches the child, and what never does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from resume_ner.execution import (
    LaunchSettings,
    build_training_command,
    build_training_env,
)
from resume_ner.execution.environment import package_source_root
from resume_ner.training.protocol import PARENT_SEES_CUDA_VARIABLE


def test_one_device_runs_the_program_with_the_parents_interpreter():
    command = build_training_command(Path("/runs/a/config.json"), LaunchSettings())
    assert command == [sys.executable, "-m", "resume_ner.training", "--config", "/runs/a/config.json"]


def test_several_gpus_run_under_torchrun_with_one_process_each():
    command = build_training_command(Path("/r/config.json"), LaunchSettings(gpus=4, python="/opt/py"))
    assert command == [
        "/opt/py",
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node",
        "4",
        "-m",
        "resume_ner.training",
        "--config",
        "/r/config.json",
    ]
    assert all(isinstance(part, str) for part in command)


def test_a_path_with_spaces_stays_one_argument():
    command = build_training_command(Path("/my runs/x; rm -rf/config.json"), LaunchSettings())
    assert command[-1] == "/my runs/x; rm -rf/config.json"


PARENT = {
    "PATH": "/usr/bin",
    "HOME": "/home/u",
    "LANG": "C.UTF-8",
    "AWS_SECRET_ACCESS_KEY": "s3cret",
    "MLFLOW_TRACKING_PASSWORD": "pw",
    "DATABASE_URL": "postgresql://u:pw@db/x",
    "PYTHONPATH": "/extra",
    "CUDA_VISIBLE_DEVICES": "2,3",
    "HF_HOME": "/cache/hf",
    "RANDOM_VAR": "1",
}


def test_the_child_gets_only_what_it_needs():
    env = build_training_env(
        tracking_uri="sqlite:///m.db", experiment_id="7", run_id="abc", threads=2, parent_env=PARENT
    )
    assert env["MLFLOW_TRACKING_URI"] == "sqlite:///m.db" and env["MLFLOW_EXPERIMENT_ID"] == "7"
    assert env["MLFLOW_RUN_ID"] == "abc"
    assert env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "2"
    assert env["CUDA_VISIBLE_DEVICES"] == "2,3" and env["HF_HOME"] == "/cache/hf" and env["PATH"] == "/usr/bin"
    assert env["PYTHONPATH"].split(":") == [str(package_source_root()), "/extra"]
    assert not {"AWS_SECRET_ACCESS_KEY", "MLFLOW_TRACKING_PASSWORD", "DATABASE_URL", "RANDOM_VAR"} & set(env)


def test_secrets_cross_only_when_listed():
    env = build_training_env(pass_through=["MLFLOW_TRACKING_PASSWORD", "NOT_SET"], parent_env=PARENT)
    assert env["MLFLOW_TRACKING_PASSWORD"] == "pw" and "NOT_SET" not in env and "AWS_SECRET_ACCESS_KEY" not in env


def test_unset_values_are_left_out():
    env = build_training_env(parent_env={"PATH": "/bin"})
    assert not {"MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID", "OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES"} & set(env)
    assert (package_source_root() / "resume_ner" / "__init__.py").exists()


GPU_HOST = {
    "PATH": "/usr/bin",
    "CUDA_VISIBLE_DEVICES": "0,1",
    "CUDA_HOME": "/usr/local/cuda",
    "CUDA_DEVICE_ORDER": "PCI_BUS_ID",
    "NCCL_DEBUG": "WARN",
    "NCCL_SOCKET_IFNAME": "eth0",
    "LD_LIBRARY_PATH": "/usr/local/cuda/lib64",
    "HF_HOME": "/cache/hf",
    "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True",
    "HTTP_PROXY": "http://proxy:3128",
    "https_proxy": "http://proxy:3128",
    "NO_PROXY": "localhost",
    "no_proxy": "localhost",
    "HF_TOKEN": "hf_secret",
    "WANDB_API_KEY": "k",
    "AWS_SECRET_ACCESS_KEY": "s3cret",
    "MY_CUDA_TOKEN": "t",
}


def test_a_gpu_host_passes_its_cuda_nccl_library_and_proxy_settings():
    env = build_training_env(parent_env=GPU_HOST, parent_sees_cuda=False)
    expected = {name for name in GPU_HOST if name.startswith(("CUDA_", "NCCL_"))} | {
        "LD_LIBRARY_PATH",
        "HF_HOME",
        "PYTORCH_CUDA_ALLOC_CONF",
        "HTTP_PROXY",
        "https_proxy",
        "NO_PROXY",
        "no_proxy",
    }
    assert {name: env[name] for name in expected} == {name: GPU_HOST[name] for name in expected}
    assert not {"HF_TOKEN", "WANDB_API_KEY", "AWS_SECRET_ACCESS_KEY", "MY_CUDA_TOKEN"} & set(env)
    assert (
        build_training_env(parent_env=GPU_HOST, pass_through=["HF_TOKEN"], parent_sees_cuda=False)["HF_TOKEN"]
        == "hf_secret"
    )


def test_the_child_is_told_when_the_parent_sees_cuda(monkeypatch):
    assert build_training_env(parent_env=PARENT, parent_sees_cuda=True)[PARENT_SEES_CUDA_VARIABLE] == "1"
    assert PARENT_SEES_CUDA_VARIABLE not in build_training_env(parent_env=PARENT, parent_sees_cuda=False)
    # Not told: the parent asks its torch (here faked: this machine has no GPU).
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert build_training_env(parent_env=PARENT)[PARENT_SEES_CUDA_VARIABLE] == "1"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert PARENT_SEES_CUDA_VARIABLE not in build_training_env(parent_env=PARENT)


@pytest.mark.skipif(
    Path("/proc/driver/nvidia").exists() or Path("/dev/nvidiactl").exists(),
    reason="a host with an NVIDIA driver must ask torch",
)
def test_a_parent_without_an_nvidia_driver_does_not_import_torch_to_ask():
    script = (
        "import sys; from resume_ner.execution.environment import sees_cuda; print(sees_cuda(), 'torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["False", "False"]
