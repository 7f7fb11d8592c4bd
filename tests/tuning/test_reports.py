"""The hpo reports from in-memory studies: trials table, best-params record, summary, plots and URL redaction.

Studies are built with ``add_trial`` (no training), following the objective's user-attr conventions, with the
edge cases a real study goes through: nothing finished yet, a single completed trial, everything failed, and a
pruned trial whose (last intermediate) value beats every completed one.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import optuna
import pandas as pd
import plotly.graph_objects as go
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.trial import TrialState, create_trial

from resume_ner.tuning.best_params import parse_best_params
from resume_ner.tuning.reports import (
    best_params_record,
    redact_storage_url,
    study_plots,
    study_summary,
    trials_table,
)

optuna.logging.set_verbosity(optuna.logging.ERROR)

T0 = datetime(2025, 3, 1, 9, 0, 0)
DISTRIBUTIONS = {
    "learning_rate": FloatDistribution(1e-5, 1e-2, log=True),
    "dropout": FloatDistribution(0.0, 0.5),
    "batch_size": CategoricalDistribution([8, 16, 32]),
    "backbone": CategoricalDistribution(["minilm", "bert-base"]),
}
STUDY_ATTRS = {
    "objective": "micro_f1",
    "direction": "maximize",
    "mlflow_run_id": "study-run",
    "corpus_fingerprint": "corpus-abc",
    "splits_fingerprint": "splits-def",
    "search_space": {"learning_rate": {"type": "float", "low": 1e-5, "high": 1e-2, "log": True}},
    "backbone": "minilm",
}
STORAGE = "postgresql+psycopg2://user:***@host:5432/db"


def add(
    study: optuna.Study,
    state: TrialState,
    *,
    value: float | None = None,
    params: dict | None = None,
    attrs: dict | None = None,
    intermediate: dict | None = None,
    start_min: int = 0,
    seconds: float | None = 60.0,
) -> None:
    """Add one trial started ``start_min`` minutes after T0 and lasting ``seconds`` (None: not finished)."""
    params = params or {}
    trial = create_trial(
        state=state,
        value=value,
        params=params,
        distributions={name: DISTRIBUTIONS[name] for name in params},
        user_attrs=attrs or {},
        intermediate_values=intermediate or {},
    )
    if state != TrialState.WAITING:
        trial.datetime_start = T0 + timedelta(minutes=start_min)
        trial.datetime_complete = None if seconds is None else trial.datetime_start + timedelta(seconds=seconds)
    study.add_trial(trial)


def new_study(name: str = "resume-ner-test") -> optuna.Study:
    study = optuna.create_study(direction="maximize", study_name=name)
    for key, value in STUDY_ATTRS.items():
        study.set_user_attr(key, value)
    return study


def completed_attrs(folds: list[float], epochs: list[int], run_id: str, **extra) -> dict:
    std = pd.Series(folds).std(ddof=0)
    return {"fold_values": folds, "value_std": float(std), "best_epochs": epochs, "mlflow_run_id": run_id, **extra}


@pytest.fixture
def study() -> optuna.Study:
    """Trial 0 complete, 1 pruned (value 0.95 beats all), 2 complete and best, 3 failed, 4 running."""
    study = new_study()
    add(
        study,
        TrialState.COMPLETE,
        value=0.60,
        params={"learning_rate": 1e-4, "dropout": 0.1, "batch_size": 16},
        attrs=completed_attrs([0.58, 0.62], [3, 4], "run-0"),
        intermediate={0: 0.5, 1: 0.6},
        start_min=0,
        seconds=60,
    )
    add(
        study,
        TrialState.PRUNED,
        value=0.95,
        params={"learning_rate": 3e-4, "dropout": 0.2, "batch_size": 8},
        attrs={"fold_values": [0.9], "mlflow_run_id": "run-1", "state_detail": "pruned at fold 1 epoch 0"},
        intermediate={0: 0.9, 1: 0.95},
        start_min=2,
        seconds=30,
    )
    add(
        study,
        TrialState.COMPLETE,
        value=0.70,
        params={"learning_rate": 5e-5, "dropout": 0.3, "batch_size": 32},
        attrs=completed_attrs([0.69, 0.71], [5, 4], "run-2", oom_retry=True),
        intermediate={0: 0.65, 1: 0.7},
        start_min=3,
        seconds=120,
    )
    add(
        study,
        TrialState.FAIL,
        params={"learning_rate": 1e-3},
        attrs={"mlflow_run_id": "run-3", "state_detail": "RuntimeError: CUDA out of memory"},
        start_min=6,
        seconds=5,
    )
    add(
        study,
        TrialState.RUNNING,
        params={"learning_rate": 2e-4, "dropout": 0.0, "batch_size": 16},
        attrs={"mlflow_run_id": "run-4"},
        intermediate={0: 0.4},
        start_min=7,
        seconds=None,
    )
    return study


def one_complete_study() -> optuna.Study:
    study = new_study()
    add(
        study,
        TrialState.COMPLETE,
        value=0.6,
        params={"learning_rate": 1e-4, "dropout": 0.1},
        attrs=completed_attrs([0.6], [2], "run-0"),
        intermediate={0: 0.6},
    )
    return study


def all_failed_study() -> optuna.Study:
    study = new_study()
    for minute in range(2):
        add(
            study,
            TrialState.FAIL,
            params={"learning_rate": 1e-4},
            attrs={"state_detail": "ValueError: bad batch"},
            start_min=minute,
            seconds=1,
        )
    return study


def title(figure: go.Figure) -> str:
    return figure.layout.title.text or ""


# --- trials table ----------------------------------------------------------------------------------------------


def test_table_has_one_row_per_trial_with_states_values_and_lineage(study):
    table = trials_table(study)

    assert table["number"].tolist() == [0, 1, 2, 3, 4]
    assert table["state"].tolist() == ["COMPLETE", "PRUNED", "COMPLETE", "FAIL", "RUNNING"]
    assert table.loc[2, "value"] == pytest.approx(0.70)
    assert table.loc[2, "std"] == pytest.approx(0.01)
    assert pd.isna(table.loc[3, "value"])
    assert table["mlflow_run_id"].tolist() == ["run-0", "run-1", "run-2", "run-3", "run-4"]
    assert table.loc[1, "state_detail"] == "pruned at fold 1 epoch 0"
    assert table.loc[3, "state_detail"] == "RuntimeError: CUDA out of memory"
    assert table["oom_retry"].tolist() == [None, None, True, None, None]
    assert table.loc[2, "best_epochs"] == "5,4"


def test_table_spreads_folds_and_params_into_columns(study):
    table = trials_table(study)

    assert [c for c in table.columns if c.startswith("fold_")] == ["fold_0", "fold_1"]
    assert [c for c in table.columns if c.startswith("param_")] == [
        "param_batch_size",
        "param_dropout",
        "param_learning_rate",
    ]
    assert table.loc[0, ["fold_0", "fold_1"]].tolist() == pytest.approx([0.58, 0.62])
    assert table.loc[1, "fold_0"] == pytest.approx(0.9)
    assert pd.isna(table.loc[1, "fold_1"])  # pruned in the second fold
    assert table.loc[3, "param_learning_rate"] == pytest.approx(1e-3)
    assert pd.isna(table.loc[3, "param_dropout"])  # failed before sampling it
    assert table["param_batch_size"].tolist()[:3] == [16, 8, 32]
    assert isinstance(table.loc[0, "param_batch_size"], int)  # not 16.0 beside the failed trial's gap


def test_table_durations_are_empty_while_running(study):
    table = trials_table(study)

    assert table["duration_seconds"].iloc[:4].tolist() == pytest.approx([60, 30, 120, 5])
    assert pd.isna(table.loc[4, "duration_seconds"])


def test_table_rows_are_sorted_by_number_and_list_waiting_trials():
    study = new_study()
    add(study, TrialState.WAITING)
    add(study, TrialState.COMPLETE, value=0.5, params={"backbone": "minilm"}, attrs=completed_attrs([0.5], [1], "r"))

    table = trials_table(study)

    assert table["number"].tolist() == [0, 1]
    assert table["state"].tolist() == ["WAITING", "COMPLETE"]
    assert table.loc[1, "param_backbone"] == "minilm"
    assert pd.isna(table.loc[0, "duration_seconds"])


def test_empty_study_gives_an_empty_table_with_the_columns():
    table = trials_table(new_study())

    assert table.empty
    assert {"number", "state", "value", "std", "duration_seconds", "mlflow_run_id", "state_detail"} <= set(
        table.columns
    )


# --- best params -----------------------------------------------------------------------------------------------


def test_best_record_is_the_best_complete_trial_not_the_higher_pruned_one(study):
    record = best_params_record(study)

    best = parse_best_params(record, "test")
    assert best.trial_number == 2
    assert best.params == {"learning_rate": 5e-5, "dropout": 0.3, "batch_size": 32}
    assert best.value == pytest.approx(0.70)
    assert best.best_epochs == [5, 4]
    assert (best.study_name, best.study_run_id, best.trial_run_id, best.objective) == (
        "resume-ner-test",
        "study-run",
        "run-2",
        "micro_f1",
    )


def test_best_record_follows_a_minimizing_direction():
    study = optuna.create_study(direction="minimize")
    add(study, TrialState.COMPLETE, value=0.3, params={"dropout": 0.1})
    add(study, TrialState.COMPLETE, value=0.2, params={"dropout": 0.2})

    record = best_params_record(study)

    assert record["trial_number"] == 1
    assert record["best_epochs"] is None  # not recorded: left out rather than an invalid empty list
    parse_best_params(record, "test")


@pytest.mark.parametrize("make", [new_study, all_failed_study], ids=["empty", "all-failed"])
def test_no_best_record_without_a_complete_trial(make):
    study = make()
    add(study, TrialState.PRUNED, value=0.99, params={"dropout": 0.1}, intermediate={0: 0.99})

    assert best_params_record(study) is None


# --- summary ---------------------------------------------------------------------------------------------------


def test_summary_counts_states_and_names_the_best_trial(study):
    summary = study_summary(study, STORAGE)

    assert summary["state_counts"] == {"COMPLETE": 2, "PRUNED": 1, "FAIL": 1, "RUNNING": 1, "WAITING": 0}
    assert summary["n_trials"] == 5
    assert (summary["best_trial_number"], summary["best_value"]) == (2, pytest.approx(0.70))
    assert summary["best_params"] == {"learning_rate": 5e-5, "dropout": 0.3, "batch_size": 32}
    assert (summary["study_name"], summary["direction"], summary["objective"]) == (
        "resume-ner-test",
        "maximize",
        "micro_f1",
    )


def test_summary_carries_lineage_durations_and_timestamps(study):
    summary = study_summary(study, STORAGE)

    assert summary["storage"] == STORAGE
    assert summary["study_run_id"] == "study-run"
    assert (summary["corpus_fingerprint"], summary["splits_fingerprint"]) == ("corpus-abc", "splits-def")
    assert summary["search_space"] == STUDY_ATTRS["search_space"]
    assert summary["backbone"] == "minilm"
    assert summary["duration_seconds"] == {
        "total": 215.0,
        "COMPLETE": 180.0,
        "PRUNED": 30.0,
        "FAIL": 5.0,
        "RUNNING": 0.0,
        "WAITING": 0.0,
    }
    assert summary["created_at"] == "2025-03-01T09:00:00"
    assert summary["updated_at"] == "2025-03-01T09:06:05"  # the failed trial finished last
    json.dumps(summary)


def test_summary_of_an_empty_study_has_no_best_and_no_timestamps():
    summary = study_summary(new_study(), STORAGE)

    assert summary["n_trials"] == 0
    assert summary["best_trial_number"] is None and summary["best_params"] is None
    assert summary["created_at"] is None and summary["updated_at"] is None
    json.dumps(summary)


# --- plots -----------------------------------------------------------------------------------------------------


def test_plots_of_a_normal_study_have_data_and_serialise(study):
    figures = study_plots(study)

    assert set(figures) == {"optimization_history", "param_importances", "parallel_coordinate", "intermediate_values"}
    for key, figure in figures.items():
        assert isinstance(figure, go.Figure), key
        assert len(figure.data) > 0, key
        assert "needs" not in title(figure), key
        json.loads(figure.to_json())
    importances = figures["param_importances"].data[0]
    assert set(importances.y) == {"learning_rate", "dropout", "batch_size"}


def test_plots_are_deterministic(study):
    assert study_plots(study)["param_importances"].to_json() == study_plots(study)["param_importances"].to_json()


def test_importances_with_a_single_varying_param_are_drawn():
    study = new_study()
    for index, value in enumerate([0.5, 0.7, 0.6]):
        add(study, TrialState.COMPLETE, value=value, params={"dropout": 0.1 * index}, start_min=index)

    figure = study_plots(study)["param_importances"]

    assert list(figure.data[0].y) == ["dropout"]


def test_importances_without_a_varying_param_explain_themselves():
    study = new_study()
    for value in (0.5, 0.6):
        add(study, TrialState.COMPLETE, value=value, params={"dropout": 0.1})

    figure = study_plots(study)["param_importances"]

    assert len(figure.data) == 0
    assert "varies" in title(figure)


def test_importances_when_every_trial_scored_the_same_explain_themselves():
    """fANOVA has no variance to share out (it raised "zero total variance" and failed report_study)."""
    study = new_study()
    for index in range(3):
        add(study, TrialState.COMPLETE, value=0.8, params={"dropout": 0.1 * index}, start_min=index)

    figure = study_plots(study)["param_importances"]

    assert len(figure.data) == 0
    assert "same value" in title(figure)


def test_one_complete_trial_draws_history_but_explains_missing_importances():
    figures = study_plots(one_complete_study())

    assert len(figures["optimization_history"].data) > 0
    assert len(figures["parallel_coordinate"].data) > 0
    assert len(figures["param_importances"].data) == 0
    assert "at least 2 completed trials (1 so far)" in title(figures["param_importances"])
    json.loads(figures["param_importances"].to_json())


@pytest.mark.parametrize("make", [new_study, all_failed_study], ids=["empty", "all-failed"])
def test_no_complete_trial_gives_explanatory_figures(make):
    figures = study_plots(make())

    assert "at least 2 completed trials (0 so far)" in title(figures["param_importances"])
    assert "needs at least 1 completed trial" in title(figures["optimization_history"])
    assert "needs at least 1 completed trial" in title(figures["parallel_coordinate"])
    assert "no trial has reported" in title(figures["intermediate_values"])
    for figure in figures.values():
        assert len(figure.data) == 0
        json.loads(figure.to_json())


def test_all_pruned_study_still_draws_intermediate_values():
    study = new_study()
    for index in range(2):
        add(
            study,
            TrialState.PRUNED,
            value=0.4,
            params={"dropout": 0.1 * index},
            intermediate={0: 0.3, 1: 0.4},
            start_min=index,
        )

    figures = study_plots(study)

    assert len(figures["intermediate_values"].data) == 2
    assert "needs at least 1 completed trial" in title(figures["optimization_history"])


# --- storage URL -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg2://user:secret@host:5432/db", "postgresql+psycopg2://user:***@host:5432/db"),
        ("mysql://user:p%40ss@db.example/optuna", "mysql://user:***@db.example/optuna"),
        ("postgresql://user@host/db", "postgresql://user@host/db"),
        ("sqlite:///data/06_models/optuna.db", "sqlite:///data/06_models/optuna.db"),
        ("data/06_models/optuna_journal.log", "data/06_models/optuna_journal.log"),
    ],
)
def test_redact_storage_url_hides_only_the_password(url, expected):
    assert redact_storage_url(url) == expected
