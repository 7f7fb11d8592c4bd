"""The training program under torchrun: two CPU processes (gloo) train one model with the single process's recipe
(each rank a slice of every batch, the gradient of the whole batch), only rank 0 reports, and a stop request on
any process stops them all. Slicing itself is checked without processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors import safe_open
from training_helpers import (  # noqa: F401
    child_env,
    events,
    run_config,
    training_inputs,
    write_config,
)

from resume_ner.errors import UserInputError
from resume_ner.training.checkpoint import load_checkpoint
from resume_ner.training.distributed import DistributedContext
from resume_ner.training.protocol import LOG_FILE, METRICS_FILE, Event, ExitStatus


def torchrun_env() -> dict:
    """The child environment, with gloo kept on the loopback interface and one thread per process."""
    env = child_env(OMP_NUM_THREADS="1")  # two processes on a two-core machine must not oversubscribe it
    if Path("/sys/class/net/lo").exists():
        # Gloo binds to the interface the host name resolves to; on a sandboxed host that may not reach the other
        # process, while loopback always does.
        env["GLOO_SOCKET_IFNAME"] = "lo"
    return env


TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone"]


def torchrun_command(config_path: Path, processes: int = 2) -> list[str]:
    return [*TORCHRUN, "--nproc-per-node", str(processes), "-m", "resume_ner.training", "--config", str(config_path)]


def run_torchrun(arguments: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """torchrun with ``arguments`` to the end, its output captured; the caller checks the exit status."""
    return subprocess.run(arguments, capture_output=True, text=True, timeout=timeout, env=torchrun_env(), check=False)


def metrics_of(run_dir: Path) -> dict:
    return json.loads((run_dir / METRICS_FILE).read_text())


def test_ranks_take_disjoint_slices_of_each_batch_that_cover_it():
    batch = list(range(11))
    slices = [DistributedContext(rank=rank, world_size=3).rank_slice(batch) for rank in range(3)]
    assert slices == [[0, 3, 6, 9], [1, 4, 7, 10], [2, 5, 8]]
    assert DistributedContext(rank=1, world_size=2).rank_slice([5]) == []  # a short last batch
    assert DistributedContext().rank_slice(batch) is batch


def test_the_batch_size_is_global_and_must_split_evenly():
    assert DistributedContext(rank=0, world_size=4).per_rank_batch_size(16) == 4
    assert DistributedContext().per_rank_batch_size(7) == 7
    with pytest.raises(UserInputError, match=r"optimization.batch_size 6 .* 4 processes \(world size 4\)"):
        DistributedContext(rank=0, world_size=4).per_rank_batch_size(6)


def test_the_context_comes_from_torchruns_environment():
    assert DistributedContext.from_env({}) == DistributedContext()
    assert not DistributedContext.from_env({"WORLD_SIZE": "1", "RANK": "0"}).is_distributed
    context = DistributedContext.from_env({"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1"})
    assert (context.rank, context.world_size, context.local_rank, context.is_main) == (3, 4, 1, False)


@pytest.mark.slow
def test_each_rank_gets_the_single_process_gradient_of_the_whole_batch(tmp_path):
    out = tmp_path / "differences.json"
    script = Path(__file__).with_name("ddp_gradients.py")
    result = run_torchrun([*TORCHRUN, "--nproc-per-node", "2", str(script), str(out)], timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(out.read_text())
    # A full batch, an odd one, and one window alone, which leaves rank 1 nothing (it still joins the all-reduce).
    for name in ("full", "odd", "single"):
        assert found[f"{name}_norm"] > 1e-3
        assert found[name] < 1e-5 * max(1.0, found[f"{name}_norm"]), (name, found)


@pytest.mark.slow
def test_two_processes_keep_the_single_process_recipe(tmp_path, training_inputs):
    # 177 windows: 23 batches of 8 an epoch, the last a single window, so rank 1's slice of it is empty. With
    # dropout off both runs compute the same gradients.
    optimization = {"epochs": 2, "batch_size": 8, "dropout": 0.0}
    single_dir, ddp_dir = tmp_path / "single", tmp_path / "ddp"
    single_config = write_config(
        run_config(training_inputs, single_dir, optimization=optimization, save_checkpoint=False),
        tmp_path / "single.json",
    )
    # The single-process run beside torchrun's: most of either is interpreter start-up, which overlaps well.
    single = subprocess.Popen(
        [sys.executable, "-m", "resume_ner.training", "--config", str(single_config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    config = run_config(training_inputs, ddp_dir, optimization=optimization, progress_every_steps=5)
    ddp = run_torchrun(torchrun_command(write_config(config, ddp_dir / "config.json")), timeout=300)
    assert single.wait(timeout=300) == 0, single.stderr.read()
    assert ddp.returncode == 0, ddp.stderr[-3000:]

    # One run reported, by rank 0 only; rank 1 kept its own log.
    kinds = [event["event"] for event in events(ddp_dir)]
    assert kinds.count(Event.STARTED) == 1 and kinds.count(Event.DATA_READY) == 1 and kinds.count(Event.FINISHED) == 1
    assert kinds.count(Event.EPOCH) == 2 and kinds[-1] == Event.FINISHED
    ready = events(ddp_dir)[1]
    assert ready["world_size"] == 2
    assert (ddp_dir / LOG_FILE).exists() and (ddp_dir / "run.rank1.log").exists()

    # The same steps per epoch and schedule as one process, and every window trained on in every epoch.
    single_metrics, ddp_metrics = metrics_of(single_dir), metrics_of(ddp_dir)
    assert (single_metrics["world_size"], ddp_metrics["world_size"]) == (1, 2)
    steps = [record["step"] for record in single_metrics["history"]]
    assert [record["step"] for record in ddp_metrics["history"]] == steps
    assert steps[0] == -(-ready["train_windows"] // 8)
    assert {e["total_steps"] for e in events(ddp_dir) if e["event"] == Event.STEP} == {steps[-1]}
    assert [record["train_windows"] for record in ddp_metrics["history"]] == [ready["train_windows"]] * 2
    assert ddp_metrics["train_tokens"] == single_metrics["train_tokens"]

    # It learns as the single process does: the same losses, but for float rounding.
    losses = [record["train_loss"] for record in ddp_metrics["history"]]
    single_losses = [record["train_loss"] for record in single_metrics["history"]]
    assert losses == pytest.approx(single_losses, rel=1e-5)
    assert losses[1] < losses[0] < 3
    assert ddp_metrics["best"]["loss"] > 0 and 0 <= ddp_metrics["best"]["micro_f1"] <= 1

    # The checkpoint holds the bare model (no DistributedDataParallel "module." prefix) and loads.
    checkpoint = ddp_dir / "checkpoint"
    with safe_open(checkpoint / "model.safetensors", "pt") as weights:
        assert not any(key.startswith("module.") for key in weights.keys())  # noqa: SIM118 (not a dict)
    model, _, metadata = load_checkpoint(checkpoint)
    assert metadata.max_length == 64 and model.config.num_labels == len(metadata.schema.tags)


@pytest.mark.slow
def test_a_batch_size_that_does_not_split_across_the_processes_is_one_line(tmp_path, training_inputs):
    run_dir = tmp_path / "run"
    config = run_config(training_inputs, run_dir, optimization={"batch_size": 7})
    result = run_torchrun(torchrun_command(write_config(config, run_dir / "config.json")), timeout=120)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    expected = (
        "Error: optimization.batch_size 7 does not split evenly across 2 processes (world size 2): "
        "it is the global batch; use a multiple of 2"
    )
    assert lines == [expected]
    final = events(run_dir)[-1]
    assert (final["event"], final["status"]) == (Event.FAILED, ExitStatus.BAD_INPUT)


def _worker_pids(launcher_pid: int) -> dict[int, int]:
    """{rank: pid} of torchrun's workers, read from /proc (their environment holds RANK)."""
    found = {}
    for child in Path(f"/proc/{launcher_pid}/task/{launcher_pid}/children").read_text().split():
        environ = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        rank = next((item[5:] for item in environ if item.startswith(b"RANK=")), None)
        if rank is not None:
            found[int(rank)] = int(child)
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds torchrun's workers through /proc")
@pytest.mark.parametrize("target", ["rank 1", "torchrun"])
def test_a_stop_request_stops_every_rank(tmp_path, training_inputs, target):
    run_dir = tmp_path / "run"
    config = run_config(training_inputs, run_dir, optimization={"epochs": 50, "batch_size": 4}, progress_every_steps=1)
    launcher = subprocess.Popen(
        torchrun_command(write_config(config, run_dir / "config.json")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=torchrun_env(),
    )
    try:
        deadline = time.monotonic() + 120
        while not any(e["event"] == Event.STEP for e in events(run_dir)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert launcher.poll() is None, launcher.communicate()[1][-3000:]
        # Rank 1 alone: only the per-step all-reduced flag tells rank 0. torchrun: it passes SIGTERM to both.
        pid = _worker_pids(launcher.pid)[1] if target == "rank 1" else launcher.pid
        signalled = time.monotonic()
        subprocess.run(["kill", "-TERM", str(pid)], check=True)
        launcher.wait(timeout=60)
        # Well within torchrun's 30 s grace before it kills workers that ignore SIGTERM.
        assert time.monotonic() - signalled < 25
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
    assert launcher.returncode != 0  # torchrun reports any non-zero worker exit as its own failure
    final = events(run_dir)[-1]
    assert final["event"] == Event.STOPPED and final["status"] == ExitStatus.STOPPED
    # Rank 0 got no signal of its own when rank 1 was the target (unless torchrun, seeing rank 1 gone, sent one
    # just before rank 0 wrote this event).
    assert final["signal"] in ((None, "SIGTERM") if target == "rank 1" else ("SIGTERM",))
    assert "Stopped by" in (run_dir / "run.rank1.log").read_text()
    assert not (run_dir / METRICS_FILE).exists()
    assert [p.name for p in run_dir.iterdir() if p.name.startswith(".")] == []
