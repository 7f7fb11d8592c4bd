"""Optuna's RDBStorage on a real PostgreSQL server: two worker processes share one study without losing a trial."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections import Counter

import optuna
import pytest
from optuna.storages import RDBStorage
from optuna.trial import TrialState

# Starts a PostgreSQL server.
pytestmark = pytest.mark.slow

WORKERS, TRIALS_PER_WORKER = 2, 5

# One worker: loads the study from the shared storage, waits until every worker has, then runs its trials.
WORKER = textwrap.dedent(
    """
    import os, time
    from pathlib import Path
    import optuna
    from optuna.storages import RDBStorage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = RDBStorage(os.environ["STUDY_STORAGE"], heartbeat_interval=1, grace_period=3)
    study = optuna.load_study(study_name=os.environ["STUDY_NAME"], storage=storage)
    barrier = Path(os.environ["BARRIER"])
    (barrier / str(os.getpid())).touch()
    deadline = time.monotonic() + 30
    while len(list(barrier.iterdir())) < int(os.environ["WORKERS"]) and time.monotonic() < deadline:
        time.sleep(0.01)

    def objective(trial):
        trial.set_user_attr("worker", os.getpid())
        time.sleep(0.05)  # long enough that the two workers' trials interleave
        return trial.suggest_float("x", -1.0, 1.0) ** 2

    study.optimize(objective, n_trials=int(os.environ["TRIALS"]))
    """
)


@pytest.mark.filterwarnings("ignore:Argument ``heartbeat_interval`` is an experimental feature")
def test_two_processes_share_one_study_on_postgres(postgres_url, tmp_path):
    storage = RDBStorage(postgres_url, heartbeat_interval=1, grace_period=3)
    study_name = f"two-workers-{uuid.uuid4().hex[:8]}"
    optuna.create_study(study_name=study_name, storage=storage, direction="minimize")

    # Both workers start their trials together, once both have imported optuna and loaded the study.
    env = dict(
        os.environ,
        STUDY_STORAGE=postgres_url,
        STUDY_NAME=study_name,
        TRIALS=str(TRIALS_PER_WORKER),
        BARRIER=str(tmp_path),
        WORKERS=str(WORKERS),
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(WORKERS)
    ]
    for worker in workers:
        output, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0, output

    trials = optuna.load_study(study_name=study_name, storage=storage).get_trials(deepcopy=False)
    assert sorted(trial.number for trial in trials) == list(range(WORKERS * TRIALS_PER_WORKER))
    assert all(trial.state == TrialState.COMPLETE for trial in trials)
    per_worker = Counter(trial.user_attrs["worker"] for trial in trials)
    assert sorted(per_worker.values()) == [TRIALS_PER_WORKER] * WORKERS
    assert set(per_worker) == {worker.pid for worker in workers}
