"""build_training_command and build_training_env."""

from __future__ import annotations

import sys
from pathlib import Path

from resume_ner.execution import (
    LaunchSettings,
    build_training_command,
    build_training_env,
)
from resume_ner.execution.environment import package_source_root


def test_one_device_runs_the_program_with_the_parents_interpreter():
    command = build_training_command(Path("/runs/a/config.json"), LaunchSettings())
    assert command == [sys.executable, "-m", "resume_ner.training", "--config", "/runs/a/config.json"]


def test_several_gpus_run_under_torchrun_with_one_process_each():
    command = build_training_command(Path("/r/config.json"), LaunchSettings(gpus=4, python="/opt/py"))
    assert command == ["/opt/py", "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "4",
                       "-m", "resume_ner.training", "--config", "/r/config.json"]
    assert all(isinstance(part, str) for part in command)


def test_a_path_with_spaces_stays_one_argument():
    command = build_training_command(Path("/my runs/x; rm -rf/config.json"), LaunchSettings())
    assert command[-1] == "/my runs/x; rm -rf/config.json"


PARENT = {"PATH": "/usr/bin", "HOME": "/home/u", "LANG": "C.UTF-8", "AWS_SECRET_ACCESS_KEY": "s3cret",
          "MLFLOW_TRACKING_PASSWORD": "pw", "DATABASE_URL": "postgresql://u:pw@db/x", "PYTHONPATH": "/extra",
          "CUDA_VISIBLE_DEVICES": "2,3", "HF_HOME": "/cache/hf", "RANDOM_VAR": "1"}


def test_the_child_gets_only_what_it_needs():
    env = build_training_env(tracking_uri="sqlite:///m.db", experiment_id="7", run_id="abc", threads=2,
                             parent_env=PARENT)
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
