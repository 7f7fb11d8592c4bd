"""execute_training with a scripted fake child (fast) and with the real training program in both launch modes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from resume_ner.corpus.labels import LabelSchema
from resume_ner.execution import (
    LaunchSettings,
    PreloadedLauncher,
    ProcessLauncher,
    RunPurpose,
    TrainingFailed,
    build_training_command,
    build_training_config,
    build_training_env,
    execute_training,
    write_run_config,
    write_run_inputs,
)
from resume_ner.training.config import TrainingSettings
from resume_ner.training.protocol import METRICS_FILE, PROGRESS_FILE, Event, ExitStatus, ProgressEvent

FAKE_CHILD = Path(__file__).with_name("fake_child.py")


def fake(run_dir: Path, behaviour: str) -> list[str]:
    return [sys.executable, str(FAKE_CHILD), str(run_dir), behaviour]


def env() -> dict:
    return build_training_env(threads=1)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: its parent just has not reaped it yet.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_completed_run_reports_every_event_and_its_own_metrics(tmp_path):
    seen: list[ProgressEvent] = []
    result = execute_training(fake(tmp_path, "ok"), env(), tmp_path, on_event=seen.append)
    assert result.status == "completed" and result.exit_status == 0
    assert [event["event"] for event in seen] == ["started", "epoch", "epoch", "epoch", "finished"]
    assert result.events == 5 and result.first_event_seconds is not None
    assert result.metrics["best"]["micro_f1"] == 0.3
    assert result.checkpoint == tmp_path / "checkpoint"


def test_events_are_followed_live_not_after_the_child_ended(tmp_path):
    arrival: dict = {}

    def on_event(event):
        arrival.setdefault(event["event"], time.monotonic())

    started = time.monotonic()
    execute_training(fake(tmp_path, "slow"), env(), tmp_path, on_event=lambda e: on_event(e) or e.get("epoch") == 2)
    assert arrival["started"] - started < 5
    assert arrival["epoch"] < arrival["started"] + 3  # the first epoch arrives while the child still runs


def test_a_truthy_callback_stops_the_child_and_the_run_counts_as_stopped(tmp_path):
    result = execute_training(fake(tmp_path, "slow"), env(), tmp_path, on_event=lambda event: event.get("epoch") == 2)
    assert result.status == "stopped" and result.exit_status == ExitStatus.STOPPED
    assert "epoch event" in result.stop_reason
    assert result.metrics is None and result.wall_seconds < 15


def test_a_stop_event_from_another_thread_stops_the_child(tmp_path):
    stop = threading.Event()
    threading.Timer(1.5, stop.set).start()
    result = execute_training(fake(tmp_path, "slow"), env(), tmp_path, stop=stop)
    assert result.status == "stopped" and result.stop_reason == "stop requested"


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path):
    result = execute_training(
        fake(tmp_path, "stubborn"),
        env(),
        tmp_path,
        stop_grace_seconds=1,
        on_event=lambda event: event["event"] == Event.EPOCH,
    )
    assert result.status == "stopped" and result.exit_status == 128 + signal.SIGKILL


def test_a_crash_raises_with_the_exit_status_and_the_stderr_tail(tmp_path):
    with pytest.raises(TrainingFailed) as caught:
        execute_training(fake(tmp_path, "crash"), env(), tmp_path)
    message = str(caught.value)
    assert "exit status 1" in message and "boom: the fake child crashed" in message and "loading data" in message
    assert caught.value.result.status == "failed" and not caught.value.result.out_of_memory
    # The one-line form (trial state detail, the study's log line) ends with the child's last line on stderr.
    summary = caught.value.summary
    assert "\n" not in summary and summary.startswith(f"Training run {tmp_path} failed, exit status 1: ")
    assert summary.endswith(caught.value.result.stderr_tail[-1].strip())


def test_out_of_memory_is_recognised(tmp_path):
    with pytest.raises(TrainingFailed, match="ran out of memory, exit status 3") as caught:
        execute_training(fake(tmp_path, "oom"), env(), tmp_path)
    assert caught.value.result.out_of_memory
    assert "Tried to allocate" in caught.value.result.stderr_tail[-1]


def test_a_timeout_stops_the_child_and_fails_the_run(tmp_path):
    with pytest.raises(TrainingFailed, match=r"timed out \(no result after 1.5 s\)") as caught:
        execute_training(fake(tmp_path, "slow"), env(), tmp_path, timeout_seconds=1.5)
    assert caught.value.result.status == "timeout"


def test_ctrl_c_in_the_parent_stops_the_child_before_the_interrupt_goes_on(tmp_path):
    pids = []

    def interrupt(event):
        if event["event"] == Event.EPOCH:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        execute_training(fake(tmp_path, "pid"), env(), tmp_path, on_event=interrupt)
    pids.append(int((tmp_path / "child.pid").read_text()))
    assert not alive(pids[0])


def test_a_stale_metrics_file_from_an_earlier_run_is_never_read(tmp_path):
    (tmp_path / METRICS_FILE).write_text("{}")
    os.utime(tmp_path / METRICS_FILE, (time.time() - 3600, time.time() - 3600))
    command = [sys.executable, "-c", "pass"]  # exits 0 without writing metrics
    with pytest.raises(TrainingFailed, match="predates this run"):
        execute_training(command, env(), tmp_path)


def test_only_listed_variables_reach_the_child(tmp_path, monkeypatch):
    monkeypatch.setenv("SOME_SECRET_TOKEN", "s3cret")
    monkeypatch.setenv("LISTED_TOKEN", "shared")
    script = "import json, os; json.dump(dict(os.environ), open('env.json', 'w'))"
    child_env = build_training_env(pass_through=["LISTED_TOKEN"])
    execute_training(
        [sys.executable, "-c", script + "; open('metrics.json', 'w').write('{}')"], child_env, tmp_path, cwd=tmp_path
    )
    seen = json.loads((tmp_path / "env.json").read_text())
    assert seen["LISTED_TOKEN"] == "shared" and "SOME_SECRET_TOKEN" not in seen


# --- the real training program ---------------------------------------------------------------------------

BASE: dict = {
    "backbone": {"name": "tiny-bert", "tiny": {"hidden_size": 64, "intermediate_size": 128}},
    "tokenization": {"max_length": 64, "stride": 16},
    "optimization": {"learning_rate": 0.003, "batch_size": 16, "epochs": 1, "warmup_ratio": 0.0},
    "precision": "fp32",
}


@pytest.fixture(scope="module")
def study_inputs(tmp_path_factory):
    from resume_ner.corpus.near_duplicates import near_duplicate_groups
    from resume_ner.corpus.splits import make_folds, split_holdout
    from resume_ner.synthetic import generate_corpus

    root = tmp_path_factory.mktemp("execution")
    corpus = generate_corpus(30, seed=5)
    groups = {"corpus_fingerprint": corpus.fingerprint(), "groups": near_duplicate_groups(corpus)}
    folds = make_folds(corpus, groups, split_holdout(corpus, groups, 0.2, seed=1), 2, seed=1)
    inputs = write_run_inputs(root / "study", corpus, folds, LabelSchema.from_corpus(corpus).to_dict())
    return root, inputs


def prepared_run(study_inputs, name: str, trial: int = 0, **optimization):
    root, inputs = study_inputs
    base = {**BASE, "optimization": {**BASE["optimization"], **optimization}}
    config = build_training_config(
        TrainingSettings.model_validate(base),
        {},
        RunPurpose(kind="trial", name=name, trial=trial, fold=0),
        inputs,
        root / "runs",
        root / "backbones",
    )
    return config, write_run_config(config)


@pytest.mark.slow
@pytest.mark.parametrize("launcher", [ProcessLauncher, PreloadedLauncher], ids=["process", "preloaded"])
def test_the_training_program_runs_in_each_launch_mode(study_inputs, launcher):
    config, path = prepared_run(study_inputs, f"modes-{launcher.__name__}")
    events: list[ProgressEvent] = []
    result = execute_training(
        build_training_command(path, LaunchSettings()),
        env(),
        config.output_dir,
        launcher=launcher(),
        on_event=events.append,
    )
    assert result.status == "completed", result.stderr_tail
    assert events[0]["event"] == Event.STARTED and events[-1]["event"] == Event.FINISHED
    assert (result.checkpoint / "model.safetensors").exists()
    assert result.metrics["epochs_run"] == 1


@pytest.mark.slow
def test_a_preloaded_child_starts_in_a_fraction_of_a_fresh_interpreters_time(study_inputs):
    launcher = PreloadedLauncher()
    launcher.warm_up()
    config, path = prepared_run(study_inputs, "warm")
    result = execute_training(
        build_training_command(path, LaunchSettings()), env(), config.output_dir, launcher=launcher
    )
    # A fresh interpreter needs seconds to import torch and transformers; the fork has them already.
    assert result.first_event_seconds < 1.0
    events = [json.loads(line) for line in (config.output_dir / PROGRESS_FILE).read_text().splitlines()]
    ready = next(event for event in events if event["event"] == Event.DATA_READY)
    assert ready["elapsed"] < 3.0


PARENT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from resume_ner.execution import LaunchSettings, build_training_command, build_training_env, execute_training
    from resume_ner.execution import make_launcher
    from resume_ner.training.protocol import Event
    config, run_dir, mode, pid_file = sys.argv[1:]
    launch = LaunchSettings(mode=mode)

    def on_event(event):
        if event["event"] == Event.STARTED:
            Path(pid_file).write_text(str(event["pid"]))

    execute_training(build_training_command(Path(config), launch), build_training_env(threads=1), Path(run_dir),
                     launcher=make_launcher(launch), on_event=on_event)
""")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["process", "preloaded"])
def test_killing_the_parent_leaves_no_orphan_child(study_inputs, tmp_path, mode):
    config, path = prepared_run(study_inputs, f"orphan-{mode}", epochs=200)
    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(path), str(config.output_dir), mode, str(pid_file)])
    deadline = time.monotonic() + 60
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pid_file.exists(), "the child never started"
    child = int(pid_file.read_text())
    assert alive(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(child), f"child {child} outlived its killed parent"


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["process", "preloaded"])
def test_a_secret_in_the_parents_environment_never_reaches_a_child(study_inputs, tmp_path, mode):
    """Not in the child's environment block either (/proc/PID/environ, which any process of the user can read):
    the preloaded mode's fork server, which every child is a fork of, starts with the allow-listed environment."""
    config, path = prepared_run(study_inputs, f"canary-{mode}", epochs=200)
    pid_file = tmp_path / "child.pid"
    canary = "canary-7f3a9-never-in-a-child"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(path), str(config.output_dir), mode, str(pid_file)],
        env={**os.environ, "AWS_SECRET_ACCESS_KEY": canary},
    )
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pid_file.exists(), "the child never started"
        environ = Path(f"/proc/{int(pid_file.read_text())}/environ").read_bytes()
        assert b"PYTHONPATH=" in environ  # what the child needs is there
        assert canary.encode() not in environ and b"AWS_SECRET_ACCESS_KEY" not in environ
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
