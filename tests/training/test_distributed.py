"""The training program under torchrun: two CPU processes (gloo) train one model on disjoint shards of the data,
only rank 0 reports, and a stop request on any process stops them all. Sharding itself is checked without
processes."""

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

from resume_ner.training.checkpoint import load_checkpoint
from resume_ner.training.distributed import DistributedContext


def torchrun_env() -> dict:
    """The child environment, with gloo kept on the loopback interface and one thread per process."""
    env = child_env(OMP_NUM_THREADS="1")  # two processes on a two-core machine must not oversubscribe it
    if Path("/sys/class/net/lo").exists():
        # Gloo binds to the interface the host name resolves to; on a sandboxed host that may not reach the other
        # process, while loopback always does.
        env["GLOO_SOCKET_IFNAME"] = "lo"
    return env


def torchrun_command(config_path: Path, processes: int = 2) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(processes),
            "-m", "resume_ner.training", "--config", str(config_path)]


def metrics_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "metrics.json").read_text())


def test_shards_are_disjoint_equal_and_cover_all_but_the_remainder():
    batches = list(range(11))
    shards = [DistributedContext(rank=rank, world_size=3).shard(batches) for rank in range(3)]
    assert shards == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    assert DistributedContext(rank=1, world_size=3).shard_size(len(batches)) == 3
    assert DistributedContext().shard(batches) is batches


def test_the_context_comes_from_torchruns_environment():
    assert DistributedContext.from_env({}) == DistributedContext()
    assert not DistributedContext.from_env({"WORLD_SIZE": "1", "RANK": "0"}).is_distributed
    context = DistributedContext.from_env({"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1"})
    assert (context.rank, context.world_size, context.local_rank, context.is_main) == (3, 4, 1, False)


def test_two_processes_train_one_model_in_half_the_steps(tmp_path, training_inputs):
    optimization = {"epochs": 2, "batch_size": 4, "dropout": 0.0}
    single_dir, ddp_dir = tmp_path / "single", tmp_path / "ddp"
    single_config = write_config(run_config(training_inputs, single_dir, optimization=optimization,
                                            save_checkpoint=False), tmp_path / "single.json")
    # The single-process run beside torchrun's: most of either is interpreter start-up, which overlaps well.
    single = subprocess.Popen([sys.executable, "-m", "resume_ner.training", "--config", str(single_config)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=child_env())
    config = run_config(training_inputs, ddp_dir, optimization=optimization, progress_every_steps=5)
    ddp = subprocess.run(torchrun_command(write_config(config, ddp_dir / "config.json")), capture_output=True,
                         text=True, timeout=180, env=torchrun_env(), check=False)
    assert single.wait(timeout=180) == 0, single.stderr.read()
    assert ddp.returncode == 0, ddp.stderr[-3000:]

    # One run reported, by rank 0 only; rank 1 kept its own log.
    kinds = [event["event"] for event in events(ddp_dir)]
    assert kinds.count("started") == 1 and kinds.count("data_ready") == 1 and kinds.count("finished") == 1
    assert kinds.count("epoch") == 2 and kinds[-1] == "finished"
    assert events(ddp_dir)[1]["world_size"] == 2
    assert (ddp_dir / "run.log").exists() and (ddp_dir / "run.rank1.log").exists()

    # Each rank takes half of every epoch's batches (the odd one out is dropped), so half the optimizer steps.
    single_metrics, ddp_metrics = metrics_of(single_dir), metrics_of(ddp_dir)
    assert (single_metrics["world_size"], ddp_metrics["world_size"]) == (1, 2)
    single_steps = single_metrics["history"][-1]["step"]
    assert ddp_metrics["history"][-1]["step"] == (single_steps // 2 // 2) * 2
    assert {e["total_steps"] for e in events(ddp_dir) if e["event"] == "step"} == {ddp_metrics["history"][-1]["step"]}
    # Both ranks' tokens count: nearly all the single run's (less one dropped batch an epoch at most).
    single_tokens = single_metrics["train_tokens_per_second"] * single_metrics["train_seconds"]
    ddp_tokens = ddp_metrics["train_tokens_per_second"] * ddp_metrics["train_seconds"]
    assert 0.9 * single_tokens < ddp_tokens <= single_tokens + 1

    # It learns: the training loss falls, and the validation metrics are real ones.
    losses = [record["train_loss"] for record in ddp_metrics["history"]]
    assert losses[1] < losses[0] < 3
    assert ddp_metrics["best"]["loss"] > 0 and 0 <= ddp_metrics["best"]["micro_f1"] <= 1

    # The checkpoint holds the bare model (no DistributedDataParallel "module." prefix) and loads.
    checkpoint = ddp_dir / "checkpoint"
    with safe_open(checkpoint / "model.safetensors", "pt") as weights:
        assert not any(key.startswith("module.") for key in weights.keys())  # noqa: SIM118 (not a dict)
    model, _, metadata = load_checkpoint(checkpoint)
    assert metadata.max_length == 64 and model.config.num_labels == len(metadata.schema.tags)


def _worker_pids(launcher_pid: int) -> dict[int, int]:
    """{rank: pid} of torchrun's workers, read from /proc (their environment holds RANK)."""
    found = {}
    for child in Path(f"/proc/{launcher_pid}/task/{launcher_pid}/children").read_text().split():
        environ = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        rank = next((item[5:] for item in environ if item.startswith(b"RANK=")), None)
        if rank is not None:
            found[int(rank)] = int(child)
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds torchrun's workers through /proc")
@pytest.mark.parametrize("target", ["rank 1", "torchrun"])
def test_a_stop_request_stops_every_rank(tmp_path, training_inputs, target):
    run_dir = tmp_path / "run"
    config = run_config(training_inputs, run_dir, optimization={"epochs": 50, "batch_size": 4},
                        progress_every_steps=1)
    launcher = subprocess.Popen(torchrun_command(write_config(config, run_dir / "config.json")),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=torchrun_env())
    try:
        deadline = time.monotonic() + 120
        while not any(e["event"] == "step" for e in events(run_dir)) and time.monotonic() < deadline:
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
    assert final["event"] == "stopped" and final["status"] == 143
    # Rank 0 got no signal of its own when rank 1 was the target (unless torchrun, seeing rank 1 gone, sent one
    # just before rank 0 wrote this event).
    assert final["signal"] in ((None, "SIGTERM") if target == "rank 1" else ("SIGTERM",))
    assert "Stopped by" in (run_dir / "run.rank1.log").read_text()
    assert not (run_dir / "metrics.json").exists()
    assert [p.name for p in run_dir.iterdir() if p.name.startswith(".")] == []
