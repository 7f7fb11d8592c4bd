"""A stand-in for ``python -m resume_ner.training`` in fast hpo tests, started through a fake ``python``.

It reads the run config, writes the same progress events, metrics.json and a checkpoint folder the real
program writes, and scores each epoch from the hyperparameters so tests know which trial is good:
value = epoch / epochs_cap * closeness of log10(learning_rate) to -3. It fails on purpose:
``max_grad_norm`` 13.0 crashes (exit 1), ``batch_size`` >= 64 runs out of memory (exit 3).
FAKE_EPOCH_SECONDS (passed through by training.environment.pass_through) slows each epoch down; FAKE_CHECKPOINT
(a checkpoint folder) is copied as the run's checkpoint instead of a fake weights file.
"""

import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

from resume_ner.training.lifeline import StopRequest, die_with_parent
from resume_ner.training.progress import ProgressStream
from resume_ner.training.protocol import (
    CHECKPOINT_DIR,
    METRICS_FILE,
    PROGRESS_FILE,
    Event,
    ExitStatus,
    expected_parent,
)

arguments = sys.argv[1:]
config_path = Path(arguments[arguments.index("--config") + 1])
config = json.loads(config_path.read_text())
run_dir = Path(config["output_dir"])
run_dir.mkdir(parents=True, exist_ok=True)
# The real program's stream: the fake's events are checked against the protocol as the real one's are.
emit = ProgressStream(run_dir / PROGRESS_FILE).emit


stop = StopRequest().listen()
die_with_parent(expected_parent())
emit(Event.STARTED, pid=os.getpid(), config=str(config_path))
optimization = config["optimization"]
if optimization.get("max_grad_norm") == 13.0:
    print("Traceback (most recent call last):\nRuntimeError: the fake trainer crashed on purpose", file=sys.stderr)
    sys.exit(ExitStatus.FAILED)
if optimization["batch_size"] >= 64:
    print("Error: out of memory: fake allocation of a 64-wide batch", file=sys.stderr)
    sys.exit(ExitStatus.OUT_OF_MEMORY)
emit(
    Event.DATA_READY,
    train_documents=10,
    validation_documents=5,
    train_windows=20,
    device="cpu",
    precision="fp32",
    backbone="fake-backbone",
)
closeness = max(0.0, 1 - abs(math.log10(optimization["learning_rate"]) + 3) / 3)
epochs = optimization["epochs"]
history, best, best_epoch = [], None, None
for epoch in range(1, epochs + 1):
    time.sleep(float(os.environ.get("FAKE_EPOCH_SECONDS", "0.05")))
    if stop:
        emit(Event.STOPPED, signal=stop.signal_name, status=ExitStatus.STOPPED)
        sys.exit(ExitStatus.STOPPED)
    value = round(closeness * (0.5 + 0.5 * epoch / epochs), 6)
    validation = {"micro_f1": value, "macro_f1": value, "loss": 1 - value}
    emit(Event.EPOCH, epoch=epoch, step=epoch * 2, train_loss=1 - value, train_windows=20, validation=validation)
    history.append({"epoch": epoch, "validation": validation})
    if best is None or value > best["micro_f1"]:
        best, best_epoch = validation, epoch
        if os.environ.get("FAKE_CHECKPOINT"):  # a real checkpoint to hand on, for nodes that load the model
            shutil.copytree(os.environ["FAKE_CHECKPOINT"], run_dir / CHECKPOINT_DIR, dirs_exist_ok=True)
        else:
            (run_dir / CHECKPOINT_DIR).mkdir(exist_ok=True)
            (run_dir / CHECKPOINT_DIR / "model.safetensors").write_text("fake weights")
(run_dir / METRICS_FILE).write_text(
    json.dumps(
        {
            "objective": config["objective"],
            "best_epoch": best_epoch,
            "epochs_run": epochs,
            "best": best,
            "history": history,
            "checkpoint": str(run_dir / CHECKPOINT_DIR),
            "wall_seconds": 0.1,
        }
    )
)
emit(Event.FINISHED, status=ExitStatus.OK, best_epoch=best_epoch, best=best, wall_seconds=0.1)
