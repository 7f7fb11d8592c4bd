"""A stand-in for the training program with scripted behaviour, for fast tests of ``execute_training``.

``python fake_child.py RUN_DIR BEHAVIOUR``: writes progress events to RUN_DIR/progress.jsonl like the real
program. BEHAVIOUR: ok (3 epochs, metrics.json), crash (traceback, exit 1), oom (exit 3), slow (an epoch a
second for a minute, stops on SIGTERM with status 143), stubborn (ignores SIGTERM), pid (write own pid, then
slow).
"""

import json
import os
import signal
import sys
import time
from pathlib import Path

from resume_ner.execution.lifeline import die_with_parent

run_dir, behaviour = Path(sys.argv[1]), sys.argv[2]
run_dir.mkdir(parents=True, exist_ok=True)
stopped = False


def emit(event, **fields):
    with open(run_dir / "progress.jsonl", "a", encoding="utf-8") as stream:
        stream.write(json.dumps({"event": event, **fields}) + "\n")


def on_term(signum, frame):
    global stopped
    stopped = True


die_with_parent()
signal.signal(signal.SIGTERM, signal.SIG_IGN if behaviour == "stubborn" else on_term)
emit("started", pid=os.getpid())
if behaviour == "pid":
    (run_dir / "child.pid").write_text(str(os.getpid()))
if behaviour == "crash":
    print("loading data", file=sys.stderr)
    raise RuntimeError("boom: the fake child crashed")
if behaviour == "oom":
    print("Error: out of memory: CUDA out of memory. Tried to allocate 2.00 GiB", file=sys.stderr)
    sys.exit(3)
epochs = 3 if behaviour == "ok" else 60
for epoch in range(1, epochs + 1):
    if stopped:
        emit("stopped", signal="SIGTERM")
        sys.exit(143)
    emit("epoch", epoch=epoch, validation={"micro_f1": 0.1 * epoch})
    time.sleep(0.05 if behaviour == "ok" else 1.0)
(run_dir / "metrics.json").write_text(json.dumps({"best": {"micro_f1": 0.3}, "best_epoch": 3,
                                                  "checkpoint": str(run_dir / "checkpoint")}))
emit("finished", status=0)
