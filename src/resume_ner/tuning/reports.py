"""The ``hpo`` pipeline's outputs, computed from an Optuna study: trials table, best-params record, summary, plots.

Pure functions of a study (finished or still running), so the pipeline's report nodes stay thin and every output
can be rebuilt later from the study storage alone. They rely on the conventions the objective writes:

* trial params are hyperparameter names in their one spelling (``learning_rate``, ``batch_size``, ``backbone`` ...);
* trial user attrs ``effective_params`` (every hyperparameter the folds trained with: fixed dimensions and an
  out-of-memory retry's batch included; trials of older studies lack it, and their params stand in),
  ``fold_values``, ``value_std``, ``best_epochs``, ``mlflow_run_id``, and optionally ``state_detail`` and
  ``oom_retry``;
* study user attrs ``objective``, ``mlflow_run_id``, ``corpus_fingerprint``, ``splits_fingerprint``,
  ``search_space`` and ``backbone``.

A missing attribute shows up as an empty cell or ``None``, never as an error: a trial that failed before its first
fold has no fold values, and a report of a half-finished study is still worth having. Only COMPLETE trials with a
finite value count as "best"; a pruned trial's high intermediate value never does.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import optuna
import pandas as pd
import plotly.graph_objects as go
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

STATES = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")
BASE_COLUMNS = ["number", "state", "value", "std"]
TAIL_COLUMNS = ["best_epochs", "duration_seconds", "mlflow_run_id", "state_detail", "oom_retry"]


# --- helpers ---------------------------------------------------------------------------------------------------


def _finite(value: Any) -> bool:
    """Whether ``value`` is a real number that is not NaN or infinite."""
    return isinstance(value, (int, float)) and math.isfinite(value)


def _completed(study: optuna.Study) -> list[FrozenTrial]:
    """COMPLETE trials with a finite value, in trial-number order: the only ones that can be best."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return sorted((trial for trial in trials if _finite(trial.value)), key=lambda trial: trial.number)


def _value(trial: FrozenTrial) -> float:
    if trial.value is None:
        raise ValueError(f"trial {trial.number} has no value")
    return float(trial.value)


def ranked_trials(study: optuna.Study) -> list[FrozenTrial]:
    """COMPLETE trials with a finite value, best first by the study's direction (the lowest number on a tie)."""
    sign = 1.0 if study.direction == StudyDirection.MAXIMIZE else -1.0
    return sorted(_completed(study), key=lambda trial: (-sign * _value(trial), trial.number))


def _best_trial(study: optuna.Study) -> FrozenTrial | None:
    """The best COMPLETE trial by the study's direction (the lowest number on a tie), or None if there is none."""
    ranked = ranked_trials(study)
    return ranked[0] if ranked else None


def _duration_seconds(trial: FrozenTrial) -> float | None:
    """Seconds from start to completion, or None while the trial has not finished."""
    duration = trial.duration
    return None if duration is None else duration.total_seconds()


def trained_with(trial: FrozenTrial) -> dict[str, Any]:
    """The hyperparameters ``trial``'s folds trained with (see the module docstring)."""
    return dict(trial.user_attrs.get("effective_params") or trial.params)


def _objective_name(study: optuna.Study) -> str:
    """The objective's metric name for axis labels, Optuna's generic label when the study does not record it."""
    return str(study.user_attrs.get("objective") or "Objective Value")


def _iso(moment: datetime | None) -> str | None:
    """ISO 8601 text of a timestamp, or None."""
    return None if moment is None else moment.isoformat()


# --- storage URL -----------------------------------------------------------------------------------------------


def redact_storage_url(url: str) -> str:
    """``url`` with any password replaced by ``***``; unchanged if it holds none or is not an SQLAlchemy URL
    (a journal-file path, for example), so it can be written to reports and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url


# --- trials table ----------------------------------------------------------------------------------------------


def _trial_row(trial: FrozenTrial, n_folds: int) -> dict[str, Any]:
    """One table row: state, value, spread, per-fold values, params and lineage of ``trial``."""
    attrs = trial.user_attrs
    folds = list(attrs.get("fold_values") or [])
    best_epochs = attrs.get("best_epochs")
    row: dict[str, Any] = {
        "number": trial.number,
        "state": trial.state.name,
        "value": trial.value,
        "std": attrs.get("value_std"),
    }
    row.update({f"fold_{index}": folds[index] if index < len(folds) else None for index in range(n_folds)})
    row.update({f"param_{name}": value for name, value in trained_with(trial).items()})
    row.update(
        {
            "best_epochs": ",".join(str(epoch) for epoch in best_epochs) if best_epochs else None,
            "duration_seconds": _duration_seconds(trial),
            "mlflow_run_id": attrs.get("mlflow_run_id"),
            "state_detail": attrs.get("state_detail"),
            "oom_retry": attrs.get("oom_retry"),
        }
    )
    return row


def trials_table(study: optuna.Study) -> pd.DataFrame:
    """One row per trial, sorted by number.

    Columns: ``number``, ``state`` (COMPLETE/PRUNED/FAIL/RUNNING/WAITING), ``value``, ``std``, ``fold_0`` ..
    ``fold_<k-1>`` (k: the most folds any trial completed), one ``param_<name>`` per hyperparameter any trial
    trained with (sorted by name), ``best_epochs`` (comma-separated), ``duration_seconds`` (empty while running),
    ``mlflow_run_id``, ``state_detail`` and ``oom_retry``. Missing values are empty cells. Param columns keep each
    value's own type (object dtype), so an integer ``batch_size`` stays 16 and not 16.0 beside a trial without it.
    """
    trials = sorted(study.get_trials(deepcopy=False), key=lambda trial: trial.number)
    n_folds = max((len(trial.user_attrs.get("fold_values") or []) for trial in trials), default=0)
    fold_columns = [f"fold_{index}" for index in range(n_folds)]
    param_columns = [f"param_{name}" for name in sorted({name for trial in trials for name in trained_with(trial)})]
    table = pd.DataFrame(
        [_trial_row(trial, n_folds) for trial in trials],
        columns=BASE_COLUMNS + fold_columns + param_columns + TAIL_COLUMNS,
        dtype=object,
    )
    typed = BASE_COLUMNS + fold_columns + TAIL_COLUMNS
    table[typed] = table[typed].infer_objects()
    return table


# --- best params -----------------------------------------------------------------------------------------------


def best_params_record(study: optuna.Study) -> dict[str, Any] | None:
    """The best COMPLETE trial as a best-params record (see ``resume_ner.tuning.best_params``), or None when no
    trial completed; the caller says what to do then."""
    best = _best_trial(study)
    if best is None:
        return None
    best_epochs = best.user_attrs.get("best_epochs")
    return {
        "params": trained_with(best),
        "best_epochs": [int(epoch) for epoch in best_epochs] if best_epochs else None,
        "study_name": study.study_name,
        "study_run_id": study.user_attrs.get("mlflow_run_id"),
        "trial_number": best.number,
        "trial_run_id": best.user_attrs.get("mlflow_run_id"),
        "value": _value(best),
        "objective": study.user_attrs.get("objective"),
    }


# --- summary ---------------------------------------------------------------------------------------------------


def _durations_by_state(trials: list[FrozenTrial]) -> dict[str, float]:
    """Summed seconds of the finished trials, in total (``total``) and per state."""
    sums = {"total": 0.0, **{state: 0.0 for state in STATES}}
    for trial in trials:
        seconds = _duration_seconds(trial)
        if seconds is not None:
            sums["total"] += seconds
            sums[trial.state.name] += seconds
    return sums


def study_summary(study: optuna.Study, storage_url_redacted: str) -> dict[str, Any]:
    """A JSON-ready account of the study: identity, direction and objective, trials per state, the best trial
    (number, value, params; None before any trial completes), the inputs' fingerprints, search space, backbone,
    storage (as given: the caller redacts it), summed durations, and first start / last completion as ISO text."""
    trials = study.get_trials(deepcopy=False)
    attrs = study.user_attrs
    best = _best_trial(study)
    starts = [trial.datetime_start for trial in trials if trial.datetime_start is not None]
    completions = [trial.datetime_complete for trial in trials if trial.datetime_complete is not None]
    return {
        "study_name": study.study_name,
        "direction": study.direction.name.lower(),
        "objective": attrs.get("objective"),
        "study_run_id": attrs.get("mlflow_run_id"),
        "n_trials": len(trials),
        "state_counts": {state: sum(trial.state.name == state for trial in trials) for state in STATES},
        "best_trial_number": None if best is None else best.number,
        "best_value": None if best is None else _value(best),
        "best_params": None if best is None else trained_with(best),
        "corpus_fingerprint": attrs.get("corpus_fingerprint"),
        "splits_fingerprint": attrs.get("splits_fingerprint"),
        "search_space": attrs.get("search_space"),
        "backbone": attrs.get("backbone"),
        "storage": storage_url_redacted,
        "duration_seconds": _durations_by_state(trials),
        "last_plan": attrs.get("last_plan"),  # the last run's plan, with its actual minutes and trials
        "created_at": _iso(min(starts, default=None)),
        "updated_at": _iso(max(completions, default=None)),
    }


# --- plots -----------------------------------------------------------------------------------------------------


def _placeholder(reason: str) -> go.Figure:
    """An empty figure whose title says why the plot could not be drawn."""
    figure = go.Figure()
    figure.update_layout(title={"text": reason}, xaxis={"visible": False}, yaxis={"visible": False})
    return figure


def _needs_completed(plot_name: str, study: optuna.Study) -> str:
    """Placeholder title for a plot that needs a completed trial."""
    return f"{plot_name} needs at least 1 completed trial (0 of {len(study.get_trials(deepcopy=False))} completed)"


def _varying_params(completed: list[FrozenTrial]) -> list[str]:
    """Params every completed trial sampled that take at least two values among them: importance needs one."""
    if not completed:
        return []
    shared = set.intersection(*(set(trial.params) for trial in completed))
    return sorted(name for name in shared if len({repr(trial.params[name]) for trial in completed}) > 1)


def _importances_figure(study: optuna.Study, completed: list[FrozenTrial], target_name: str) -> go.Figure:
    """fANOVA importances (seeded, so the figure is reproducible), or a placeholder when they mean nothing."""
    if len(completed) < 2:
        return _placeholder(f"Hyperparameter importances need at least 2 completed trials ({len(completed)} so far)")
    if not _varying_params(completed):
        return _placeholder("Hyperparameter importances need a hyperparameter that varies across the completed trials")
    if len({trial.value for trial in completed}) < 2:
        return _placeholder(
            "Hyperparameter importances need completed trials that scored differently (every one has the same value)"
        )
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
    return optuna.visualization.plot_param_importances(study, evaluator=evaluator, target_name=target_name)


def _history_figure(study: optuna.Study, completed: list[FrozenTrial], target_name: str) -> go.Figure:
    """Objective value per trial with the best so far, or a placeholder before any trial completes."""
    if not completed:
        return _placeholder(_needs_completed("Optimization history", study))
    return optuna.visualization.plot_optimization_history(study, target_name=target_name)


def _parallel_figure(study: optuna.Study, completed: list[FrozenTrial], target_name: str) -> go.Figure:
    """Each completed trial's params and value as one line, or a placeholder before any trial completes."""
    if not completed:
        return _placeholder(_needs_completed("Parallel coordinates", study))
    return optuna.visualization.plot_parallel_coordinate(study, target_name=target_name)


def _intermediate_figure(study: optuna.Study) -> go.Figure:
    """Per-epoch values of complete, pruned and running trials (what Optuna draws), or a placeholder when none of
    them reported one."""
    states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
    if not any(trial.intermediate_values for trial in study.get_trials(deepcopy=False, states=states)):
        return _placeholder("Intermediate values: no trial has reported one yet")
    return optuna.visualization.plot_intermediate_values(study)


def study_plots(study: optuna.Study) -> dict[str, go.Figure]:
    """Plotly figures keyed ``optimization_history``, ``param_importances``, ``parallel_coordinate`` and
    ``intermediate_values``. A plot the study cannot support yet (no completed trial, too few for importances, no
    reported intermediate values) is an empty figure whose title says why, never an error."""
    completed = _completed(study)
    target_name = _objective_name(study)
    return {
        "optimization_history": _history_figure(study, completed, target_name),
        "param_importances": _importances_figure(study, completed, target_name),
        "parallel_coordinate": _parallel_figure(study, completed, target_name),
        "intermediate_values": _intermediate_figure(study),
    }
