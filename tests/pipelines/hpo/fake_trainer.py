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
import signal
import sys
import time
from pathlib import Path

from resume_ner.execution.environment import PARENT_PID_VARIABLE
from resume_ner.execution.lifeline import die_with_parent

arguments = sys.argv[1:]
config_path = Path(arguments[arguments.index("--config") + 1])
config = json.loads(config_path.read_text())
run_dir = Path(config["output_dir"])
run_dir.mkdir(parents=True, exist_ok=True)
stopped = False


def emit(event, **fields):
    with open(run_dir / "progress.jsonl", "a", encoding="utf-8") as stream:
        stream.write(json.dumps({"event": event, "elapsed": 0.0, **fields}) + "\n")


def on_term(signum, frame):
    global stopped
    stopped = True


signal.signal(signal.SIGTERM, on_term)
expected = os.environ.get(PARENT_PID_VARIABLE, "")
die_with_parent(int(expected) if expected.isdigit() else None)
emit("started", pid=os.getpid(), config=str(config_path))
optimization = config["optimization"]
if optimization.get("max_grad_norm") == 13.0:
    print("Traceback (most recent call last):\nRuntimeError: the fake trainer crashed on purpose", file=sys.stderr)
    sys.exit(1)
if optimization["batch_size"] >= 64:
    print("Error: out of memory: fake allocation of a 64-wide batch", file=sys.stderr)
    sys.exit(3)
emit("data_ready", train_documents=10, validation_documents=5, train_windows=20, device="cpu", precision="fp32")
closeness = max(0.0, 1 - abs(math.log10(optimization["learning_rate"]) + 3) / 3)
epochs = optimization["epochs"]
history, best, best_epoch = [], None, None
for epoch in range(1, epochs + 1):
    time.sleep(float(os.environ.get("FAKE_EPOCH_SECONDS", "0.05")))
    if stopped:
        emit("stopped", signal="SIGTERM", status=143)
        sys.exit(143)
    value = round(closeness * (0.5 + 0.5 * epoch / epochs), 6)
    validation = {"micro_f1": value, "macro_f1": value, "loss": 1 - value}
    emit("epoch", epoch=epoch, step=epoch * 2, train_loss=1 - value, validation=validation)
    history.append({"epoch": epoch, "validation": validation})
    if best is None or value > best["micro_f1"]:
        best, best_epoch = validation, epoch
        if os.environ.get("FAKE_CHECKPOINT"):  # a real checkpoint to hand on, for nodes that load the model
            shutil.copytree(os.environ["FAKE_CHECKPOINT"], run_dir / "checkpoint", dirs_exist_ok=True)
        else:
            (run_dir / "checkpoint").mkdir(exist_ok=True)
            (run_dir / "checkpoint" / "model.safetensors").write_text("fake weights")
(run_dir / "metrics.json").write_text(json.dumps({
    "objective": config["objective"], "best_epoch": best_epoch, "epochs_run": epochs, "best": best,
    "history": history, "checkpoint": str(run_dir / "checkpoint"), "wall_seconds": 0.1}))
emit("finished", status=0, best_epoch=best_epoch)
