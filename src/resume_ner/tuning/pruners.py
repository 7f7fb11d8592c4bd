"""The study's pruner, asked only where trials are comparable.

A trial reports after every epoch of every fold, at step ``fold_position * epochs_cap + epoch`` (see
``objective``), the running mean over its folds so far. Trials of different ``epochs`` are not comparable at one
epoch: at epoch 1 one has a decayed learning rate and another is at its peak. At the end of a fold they are: each
fold is trained to its end, and the value is the mean of whole folds' best epochs. So by default (``interval:
fold``) the pruner is asked only at fold ends, steps ``k * epochs_cap``, where every trial reports; ``interval:
epoch`` asks after every epoch, which is only fair when every trial trains the same number of epochs. ``auto``
(the default) is ``epoch`` when the search space fixes the epochs and ``fold`` when it searches them.

Between fold ends one thing is judged all the same: a trial that has learned nothing. A trial whose fold still
scores 0 after ``stalled_after_epochs`` epochs, at a step where a finished trial scored above 0, has diverged (on
the dotin resumes a learning rate near 1e-3 with a short warm-up stayed at 0.0 for all 5 epochs of its fold and
spent 12 of a 100-minute study); no schedule catches up from there, so it is stopped at once.
"""

from __future__ import annotations

import logging

import optuna
from optuna.pruners import BasePruner
from optuna.trial import FrozenTrial, TrialState

logger = logging.getLogger(__name__)


class FoldEndPruner(BasePruner):
    """Asks ``inner`` only at fold-end steps (multiples of ``epochs_cap``); elsewhere a trial goes on unless it
    has stalled (see the module's docstring; ``stalled_after_epochs`` None: never)."""

    def __init__(self, inner: BasePruner, epochs_cap: int, stalled_after_epochs: int | None = None) -> None:
        self._inner = inner
        self._epochs_cap = epochs_cap
        self._stalled_after_epochs = stalled_after_epochs

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None:
            return False
        if step % self._epochs_cap:
            return self._stalled(study, trial, step)
        return self._inner.prune(study, trial)

    def _stalled(self, study: optuna.Study, trial: FrozenTrial, step: int) -> bool:
        epoch = step % self._epochs_cap
        if self._stalled_after_epochs is None or epoch < self._stalled_after_epochs:
            return False
        if trial.intermediate_values[step] > 0:
            return False
        for other in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)):
            if other.intermediate_values.get(step, 0) > 0:
                logger.info(
                    "Trial %d has scored 0 after %d epoch(s) of fold %d, where trial %d scored %.4f: it has "
                    "stalled, stopping it",
                    trial.number,
                    epoch,
                    step // self._epochs_cap,
                    other.number,
                    other.intermediate_values[step],
                )
                return True
        return False


def pruning_interval(interval: str, epochs_vary: bool) -> str:
    """``fold`` or ``epoch``: ``auto`` asks after every epoch only when every trial trains as many epochs."""
    if interval != "auto":
        return interval
    return "fold" if epochs_vary else "epoch"


def make_pruner(
    name: str,
    *,
    interval: str,
    epochs_cap: int,
    folds: int,
    n_startup_trials: int,
    n_warmup_steps: int,
    min_resource: int,
    reduction_factor: int,
    stalled_after_epochs: int | None = None,
) -> BasePruner:
    """Optuna's median, hyperband or successive-halving pruner (or none), asked at fold ends or every epoch.

    ``min_resource`` counts folds at ``interval: fold`` (so every rung is a fold end) and epochs otherwise;
    ``n_warmup_steps`` counts steps; ``stalled_after_epochs`` applies at ``interval: fold``.
    """
    if name == "none":
        return optuna.pruners.NopPruner()
    unit = epochs_cap if interval == "fold" else 1
    if name == "median":
        inner: BasePruner = optuna.pruners.MedianPruner(
            n_startup_trials=n_startup_trials, n_warmup_steps=n_warmup_steps
        )
    elif name == "hyperband":
        inner = optuna.pruners.HyperbandPruner(
            min_resource=min_resource * unit, max_resource=folds * epochs_cap, reduction_factor=reduction_factor
        )
    else:
        inner = optuna.pruners.SuccessiveHalvingPruner(
            min_resource=min_resource * unit, reduction_factor=reduction_factor
        )
    return FoldEndPruner(inner, epochs_cap, stalled_after_epochs) if interval == "fold" else inner
