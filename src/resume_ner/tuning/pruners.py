"""The study's pruner, asked only where trials are comparable.

A trial reports after every epoch of every fold, at step ``fold_position * epochs_cap + epoch`` (see
``objective``), the running mean over its folds so far. Trials of different ``epochs`` are not comparable at one
epoch: at epoch 1 one has a decayed learning rate and another is at its peak. At the end of a fold they are: each
fold is trained to its end, and the value is the mean of whole folds' best epochs. So by default (``interval:
fold``) the pruner is asked only at fold ends, steps ``k * epochs_cap``, where every trial reports; ``interval:
epoch`` asks after every epoch, which is only fair when every trial trains the same number of epochs. ``auto``
(the default) is ``epoch`` when the search space fixes the epochs and ``fold`` when it searches them.
"""

from __future__ import annotations

import optuna
from optuna.pruners import BasePruner
from optuna.trial import FrozenTrial


class FoldEndPruner(BasePruner):
    """Asks ``inner`` only at fold-end steps (multiples of ``epochs_cap``); elsewhere a trial goes on."""

    def __init__(self, inner: BasePruner, epochs_cap: int) -> None:
        self._inner = inner
        self._epochs_cap = epochs_cap

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None or step % self._epochs_cap:
            return False
        return self._inner.prune(study, trial)


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
) -> BasePruner:
    """Optuna's median, hyperband or successive-halving pruner (or none), asked at fold ends or every epoch.

    ``min_resource`` counts folds at ``interval: fold`` (so every rung is a fold end) and epochs otherwise;
    ``n_warmup_steps`` counts steps.
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
    return FoldEndPruner(inner, epochs_cap) if interval == "fold" else inner
