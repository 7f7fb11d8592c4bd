"""Open (create or resume) the hpo study: its name, storage, sampler and pruner, all from parameters."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any, Literal

import optuna
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.exc import IntegrityError, ProgrammingError, SQLAlchemyError

from resume_ner.errors import UserInputError
from resume_ner.logs import route_optuna_logs

logger = logging.getLogger(__name__)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SamplerSettings(_Strict):
    name: Literal["tpe", "random", "grid"] = "tpe"
    seed: int | None = 42
    n_startup_trials: int = Field(4, ge=0)  # tpe: random trials before the model kicks in


class PrunerSettings(_Strict):
    name: Literal["median", "hyperband", "successive_halving", "none"] = "median"
    n_startup_trials: int = Field(2, ge=0)  # median: trials that are never pruned, to have a reference
    n_warmup_steps: int = Field(1, ge=0)  # median: steps (see objective.pruning_step) before pruning starts
    min_resource: int = Field(1, ge=1)  # hyperband / successive halving, in steps
    reduction_factor: int = Field(3, ge=2)


class StorageSettings(_Strict):
    # Heartbeats let a worker on another machine find trials whose worker died (RDB storages only).
    heartbeat_interval: int = Field(10, ge=1)
    grace_period: int = Field(60, ge=2)
    max_retry: int = Field(1, ge=0)  # times a dead worker's trial is re-queued with the same params


class HpoParameters(_Strict):
    """The ``hpo`` parameters (``conf/base/parameters_hpo.yml``)."""

    study_name: str | None = Field(None, pattern=r"^[A-Za-z0-9._-]+$")
    search_space: dict[str, Any]
    n_trials: int | None = Field(None, ge=1)
    timeout_seconds: float | None = Field(None, gt=0)
    n_workers: int = Field(1, ge=1)
    folds: int | None = Field(None, ge=1)  # use only the first k folds of the splits (None: all)
    sampler: SamplerSettings = Field(default_factory=SamplerSettings)
    pruner: PrunerSettings = Field(default_factory=PrunerSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    max_failed_trials: int = Field(3, ge=1)
    keep_best_checkpoints: int = Field(1, ge=0)
    oom_retry: bool = True

    @model_validator(mode="after")
    def _has_a_budget(self) -> HpoParameters:
        if self.n_trials is None and self.timeout_seconds is None:
            raise ValueError("set n_trials, timeout_seconds or both: the study needs a budget")
        return self


def derive_study_name(search_space: dict, objective: str, corpus_fingerprint: str, splits_fingerprint: str,
                      backbone: Any, folds: int) -> str:
    """``resume-ner-<hash>`` of what defines the study: changing the data, space, objective or backbone starts a
    new study; running the same command again resumes this one."""
    defining = {"search_space": search_space, "objective": objective, "corpus": corpus_fingerprint,
                "splits": splits_fingerprint, "backbone": backbone, "folds": folds}
    digest = hashlib.sha256(json.dumps(defining, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    return f"resume-ner-{digest[:12]}"


def make_sampler(settings: SamplerSettings, grid: dict[str, list] | None) -> optuna.samplers.BaseSampler:
    if settings.name == "grid":
        if grid is None:
            raise UserInputError("hpo.sampler.name: grid needs every float range of the search space to have a "
                                 "step (or be a categorical)")
        return optuna.samplers.GridSampler(grid, seed=settings.seed)
    if settings.name == "random":
        return optuna.samplers.RandomSampler(seed=settings.seed)
    return optuna.samplers.TPESampler(seed=settings.seed, n_startup_trials=settings.n_startup_trials)


def make_pruner(settings: PrunerSettings, max_steps: int) -> optuna.pruners.BasePruner:
    if settings.name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=settings.n_startup_trials,
                                           n_warmup_steps=settings.n_warmup_steps)
    if settings.name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=settings.min_resource, max_resource=max_steps,
                                              reduction_factor=settings.reduction_factor)
    if settings.name == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=settings.min_resource,
                                                      reduction_factor=settings.reduction_factor)
    return optuna.pruners.NopPruner()


def is_embedded(storage_url: str) -> bool:
    """An SQLite file: only this machine's workers use it, so a RUNNING trial found at start-up is dead."""
    return storage_url.startswith("sqlite")


def make_storage(storage_url: str, settings: StorageSettings, stale_trial_callback=None) -> optuna.storages.RDBStorage:
    """Optuna's RDB storage with heartbeats. Workers that start together on a new database race to create its
    tables; the loser's error is retried (twice, a second apart) before it counts."""
    engine_kwargs = {"connect_args": {"timeout": 60}} if is_embedded(storage_url) else {"pool_pre_ping": True}

    def connect() -> optuna.storages.RDBStorage:
        return optuna.storages.RDBStorage(
            storage_url, engine_kwargs=engine_kwargs, heartbeat_interval=settings.heartbeat_interval,
            grace_period=settings.grace_period, heartbeat_stale_trial_callback=stale_trial_callback)

    try:
        for _ in range(2):
            try:
                return connect()
            except (IntegrityError, ProgrammingError):  # another worker was creating the tables
                time.sleep(1.0)
        return connect()
    except (SQLAlchemyError, ImportError, ValueError) as error:  # bad URL, missing driver, no server
        from resume_ner.tuning.reports import redact_storage_url

        raise UserInputError(f"Cannot open the Optuna storage {redact_storage_url(storage_url)}: "
                             f"{type(error).__name__}: {str(error).splitlines()[0]}") from None


def open_study(name: str, storage: optuna.storages.BaseStorage, sampler, pruner) -> optuna.Study:
    """Create the study, or load it when it exists (a resumed run, or another worker's study)."""
    route_optuna_logs()
    return optuna.create_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner,
                               direction="maximize", load_if_exists=True)
