"""A stand-in for the training program with scripted behaviour, for fast tests of ``execute_training``.

``python fake_child.py RUN_DIR BEHAVIOUR``: writes progress events to RUN_DIR/progress.jsonl like the real
program. BEHAVIOUR: ok (3 epochs, metrics.json), crash (traceback, exit 1), oom (exit 3), slow (an epoch
every half second for half a minute, stops on SIGTERM with status 143), stubborn (ignores SIGTERM), pid (write
own pid, then slow).
"""

import json
import os
import signal
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
)

run_dir, behaviour = Path(sys.argv[1]), sys.argv[2]
run_dir.mkdir(parents=True, exist_ok=True)
# The real program's stream: the fake's events are checked against the protocol as the real one's are.
emit = ProgressStream(run_dir / PROGRESS_FILE).emit


die_with_parent()
stop = StopRequest()
signal.signal(signal.SIGTERM, signal.SIG_IGN if behaviour == "stubborn" else stop)
emit(Event.STARTED, pid=os.getpid(), config=str(run_dir / "config.json"))
if behaviour == "pid":
    (run_dir / "child.pid").write_text(str(os.getpid()))
if behaviour == "crash":
    print("loading data", file=sys.stderr)
    raise RuntimeError("boom: the fake child crashed")
if behaviour == "oom":
    print("Error: out of memory: CUDA out of memory. Tried to allocate 2.00 GiB", file=sys.stderr)
    sys.exit(ExitStatus.OUT_OF_MEMORY)
epochs = 3 if behaviour == "ok" else 60
for epoch in range(1, epochs + 1):
    if stop:
        emit(Event.STOPPED, signal=stop.signal_name, status=ExitStatus.STOPPED)
        sys.exit(ExitStatus.STOPPED)
    emit(
        Event.EPOCH,
        epoch=epoch,
        step=epoch,
        train_loss=1.0 / epoch,
        train_windows=4,
        validation={"micro_f1": 0.1 * epoch},
    )
    time.sleep(0.05 if behaviour == "ok" else 0.5)
(run_dir / METRICS_FILE).write_text(
    json.dumps({"best": {"micro_f1": 0.3}, "best_epoch": 3, "checkpoint": str(run_dir / CHECKPOINT_DIR)})
)
emit(Event.FINISHED, status=ExitStatus.OK, best_epoch=3, best={"micro_f1": 0.3}, wall_seconds=0.2)
