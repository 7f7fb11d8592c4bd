"""The study's sampler: Optuna's TPE or random sampler, seeded per trial (or its grid sampler).

A sampler seeded once per process repeats itself whenever a new process joins the study: every resumed run, and
every worker started beside another, would draw the same "random" start-up trials again (trial 1 a copy of trial
0). Seeding each trial from the base seed and the trial's number (unique in the storage) keeps a study
reproducible for a given seed and never draws two trials from the same random state.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.trial import FrozenTrial, TrialState

from resume_ner.errors import UserInputError


def trial_seed(base_seed: int | None, trial_number: int) -> int | None:
    """The seed of trial ``trial_number``'s sampler: a hash of both numbers (None stays None: fresh entropy)."""
    if base_seed is None:
        return None
    digest = hashlib.sha256(f"{base_seed}:{trial_number}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


class TrialSeededSampler(BaseSampler):
    """Delegates every call about a trial to a sampler of its own, made by ``factory(trial_seed(seed, number))``.

    The samplers keep everything they learn in the study's storage, so a fresh one per trial loses nothing;
    only its random state is new.
    """

    def __init__(self, factory: Callable[[int | None], BaseSampler], seed: int | None) -> None:
        self._factory = factory
        self._seed = seed
        self._samplers: dict[int, BaseSampler] = {}
        self._lock = threading.Lock()  # trials of one process may run in several threads (hpo.n_workers)

    def _sampler_of(self, trial: FrozenTrial) -> BaseSampler:
        with self._lock:
            sampler = self._samplers.get(trial.number)
            if sampler is None:
                sampler = self._samplers[trial.number] = self._factory(trial_seed(self._seed, trial.number))
            return sampler

    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return self._sampler_of(trial).infer_relative_search_space(study, trial)

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._sampler_of(trial).sample_relative(study, trial, search_space)

    def sample_independent(
        self, study: optuna.Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        return self._sampler_of(trial).sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self._sampler_of(trial).before_trial(study, trial)

    def after_trial(
        self, study: optuna.Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        sampler = self._sampler_of(trial)
        with self._lock:
            self._samplers.pop(trial.number, None)
        sampler.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        """Nothing to do: every trial's sampler is seeded from its trial number."""


def make_sampler(name: str, seed: int | None, n_startup_trials: int, grid: dict[str, list] | None) -> BaseSampler:
    """``tpe`` or ``random`` seeded per trial from ``seed``, or ``grid`` (which needs ``grid``)."""
    if name == "grid":
        if grid is None:
            raise UserInputError(
                "hpo.sampler.name: grid needs every float range of the search space to have a "
                "step (or be a categorical)"
            )
        # The grid sampler's seed shuffles the grid once; trial N takes point N of that order, so a resumed study
        # continues the order. Seeded per trial, each trial would shuffle anew and points would repeat.
        return optuna.samplers.GridSampler(grid, seed=seed)
    if name == "random":
        return TrialSeededSampler(lambda trial_seed: optuna.samplers.RandomSampler(seed=trial_seed), seed)
    return TrialSeededSampler(
        lambda trial_seed: optuna.samplers.TPESampler(seed=trial_seed, n_startup_trials=n_startup_trials), seed
    )
