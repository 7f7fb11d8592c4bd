"""Open (create or resume) the hpo study: its parameters, its identity (name and definition) and its storage."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import optuna
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.exc import (
    IntegrityError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)

from resume_ner.errors import UserInputError
from resume_ner.execution.run_inputs import RunInputs
from resume_ner.logs import route_optuna_logs
from resume_ner.training.config import TrainingSettings
from resume_ner.training.hyperparameters import apply_hyperparameters
from resume_ner.tuning.presets import SearchSpacePreset
from resume_ner.tuning.search_space import SearchSpace

logger = logging.getLogger(__name__)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SamplerSettings(_Strict):
    name: Literal["tpe", "random", "grid"] = "tpe"
    seed: int | None = 42
    n_startup_trials: int = Field(4, ge=0)  # tpe: random trials before the model kicks in


class PrunerSettings(_Strict):
    name: Literal["median", "hyperband", "successive_halving", "none"] = "median"
    # fold: asked only at fold ends, where trials of different epochs compare fairly; epoch: after every epoch,
    # fair only when every trial trains as many epochs; auto: epoch when the search space fixes epochs, else fold
    interval: Literal["auto", "fold", "epoch"] = "auto"
    n_startup_trials: int = Field(2, ge=0)  # median: trials that are never pruned, to have a reference
    n_warmup_steps: int = Field(0, ge=0)  # median: steps (fold * epochs_cap + epoch) before pruning may start
    min_resource: int = Field(1, ge=1)  # hyperband / successive halving: folds (interval fold) or epochs
    reduction_factor: int = Field(3, ge=2)
    # interval fold: a trial still scoring 0 after this many epochs of a fold, where a finished trial scored above
    # 0, has diverged and is stopped mid-fold (pruners.py); null: never
    stalled_after_epochs: int | None = Field(2, ge=1)


class StorageSettings(_Strict):
    # Heartbeats let a worker on another machine find trials whose worker died (RDB storages only).
    heartbeat_interval: int = Field(10, ge=1)
    grace_period: int = Field(60, ge=2)
    # times an interrupted trial (its worker killed or gone) is trained again with the same params
    max_retry: int = Field(3, ge=0)


class HpoParameters(_Strict):
    """The ``hpo`` parameters (``conf/base/parameters_hpo.yml``)."""

    study_name: str | None = Field(None, pattern=r"^[A-Za-z0-9._-]+$")
    # Dimensions of your own, over the preset's (a dimension with a type replaces the preset's of that name)
    search_space: dict[str, Any] = Field(default_factory=dict)
    # auto: the preset of training.base's backbone family; a preset's name; none: search_space alone
    search_space_preset: str = "auto"
    search_space_presets: dict[str, SearchSpacePreset] = Field(default_factory=dict)
    # Wall minutes for the study on this machine: a calibration before the first trial sizes the study to it
    # (tuning/planning.py). n_trials and timeout_seconds, when set too, are caps: the earlier limit wins.
    budget_minutes: float | None = Field(None, gt=0)
    n_trials: int | None = Field(None, ge=1)
    timeout_seconds: float | None = Field(None, gt=0)
    n_workers: int = Field(1, ge=1)
    folds: int | None = Field(None, ge=1)  # use only the first k folds of the splits (None: all)
    sampler: SamplerSettings = Field(default_factory=SamplerSettings)
    pruner: PrunerSettings = Field(default_factory=PrunerSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    max_failed_trials: int = Field(3, ge=1)  # trials of this run that fail on their own; interrupted ones never count
    keep_best_checkpoints: int = Field(1, ge=0)
    # The study's first trial trains training.base's own values of the searched hyperparameters (the recommended
    # configuration), so the study's best is never worse than the default's.
    enqueue_base: bool = True

    @model_validator(mode="after")
    def _has_a_budget(self) -> HpoParameters:
        if self.budget_minutes is None and self.n_trials is None and self.timeout_seconds is None:
            raise ValueError("set budget_minutes, n_trials or timeout_seconds: the study needs a budget")
        return self


@dataclass(frozen=True)
class StudySpec:
    """What ``prepare_study`` settled and ``run_study`` runs: the study's name (after its ``definition``), folder,
    search space (parsed once), folds, objective, the epochs cap every trial stays under, where runs and backbones
    go (``workspace``) and the inputs snapshot every trial reads."""

    name: str
    folder: Path
    space: SearchSpace
    folds: tuple[int, ...]
    objective: str
    definition: dict[str, Any]
    epochs_cap: int
    workspace: Path
    inputs: RunInputs
    # The backbone preset's recommended values (hpo.search_space: auto): the first trial trains them on top of
    # training.base; empty for a space of the user's own (the first trial trains training.base's values).
    recommended: dict[str, Any] = field(default_factory=dict)
    preset: str | None = None

    def first_trial_settings(self, base: TrainingSettings) -> TrainingSettings:
        """``base`` with the recommended values: what the study's first (enqueued) trial trains."""
        if not self.recommended:
            return base
        return apply_hyperparameters(base, self.recommended, f"for the {self.preset!r} preset's recommended values")


def study_definition(
    *,
    search_space: dict,
    objective: str,
    corpus_fingerprint: str,
    splits_fingerprint: str,
    folds: int,
    training: dict,
    gpus: int,
) -> dict[str, Any]:
    """Everything that changes what a trial measures: data, folds, search space, objective, the resolved training
    settings every trial starts from (``execution.resolved_base``) and the number of GPUs. The budget (n_trials,
    timeout, workers), sampler and pruner decide which trials run, not what one measures, so they are not in it."""
    return json.loads(
        json.dumps(
            {
                "search_space": search_space,
                "objective": objective,
                "corpus": corpus_fingerprint,
                "splits": splits_fingerprint,
                "folds": folds,
                "training": training,
                "gpus": gpus,
            },
            default=str,
        )
    )


def derive_study_name(definition: dict[str, Any]) -> str:
    """``resume-ner-<hash>`` of the study's definition: changing anything a trial measures starts a new study;
    running the same command again, with any budget, resumes this one."""
    digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode("utf-8")).hexdigest()
    return f"resume-ner-{digest[:12]}"


def definition_differences(stored: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """``key: stored -> current`` for every setting (dotted) whose value differs between two definitions."""
    from resume_ner.tracking import flatten_params

    before, after = flatten_params(stored), flatten_params(current)
    return [
        f"{key}: {before.get(key, '(unset)')} -> {after.get(key, '(unset)')}"
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]


def check_definition(study: optuna.Study, definition: dict[str, Any]) -> None:
    """Record the definition on a new study; for an existing one, fail with one line listing what differs (a study
    name set by hand, reused with other settings, would mix trials trained two ways)."""
    stored = study.user_attrs.get("definition")
    if stored is None:
        study.set_user_attr("definition", definition)
        return
    differences = definition_differences(stored, definition)
    if differences:
        raise UserInputError(
            f"Study {study.study_name} was made with other settings, so its trials measure something else: "
            f"{'; '.join(differences)} (stored -> now). Use another hpo.study_name, or null to name the study "
            f"after its settings"
        )


def is_embedded(storage_url: str) -> bool:
    """An SQLite file: only this machine's workers use it, so a RUNNING trial found at start-up is dead."""
    return storage_url.startswith("sqlite")


def make_storage(storage_url: str, settings: StorageSettings, stale_trial_callback=None) -> optuna.storages.RDBStorage:
    """Optuna's RDB storage with heartbeats. Workers that start together on a new database race to create its
    tables; the loser's error is retried (twice, a second apart) before it counts."""
    engine_kwargs = {"connect_args": {"timeout": 60}} if is_embedded(storage_url) else {"pool_pre_ping": True}

    def connect() -> optuna.storages.RDBStorage:
        return optuna.storages.RDBStorage(
            storage_url,
            engine_kwargs=engine_kwargs,
            heartbeat_interval=settings.heartbeat_interval,
            grace_period=settings.grace_period,
            heartbeat_stale_trial_callback=stale_trial_callback,
        )

    try:
        for _ in range(2):
            try:
                return connect()
            except (IntegrityError, ProgrammingError, OperationalError) as error:
                if isinstance(error, OperationalError) and "already exists" not in str(error):
                    raise  # a locked or unreachable database, not a race to create its tables
                time.sleep(1.0)  # another worker was creating the tables
        return connect()
    except (SQLAlchemyError, ImportError, ValueError) as error:  # bad URL, missing driver, no server
        from resume_ner.tuning.reports import redact_storage_url

        raise UserInputError(
            f"Cannot open the Optuna storage {redact_storage_url(storage_url)}: "
            f"{type(error).__name__}: {str(error).splitlines()[0]}"
        ) from None


def open_study(name: str, storage: optuna.storages.BaseStorage, sampler, pruner) -> optuna.Study:
    """Create the study, or load it when it exists (a resumed run, or another worker's study)."""
    route_optuna_logs()
    return optuna.create_study(
        study_name=name, storage=storage, sampler=sampler, pruner=pruner, direction="maximize", load_if_exists=True
    )


def enqueue_base_trial(study: optuna.Study, space: SearchSpace, base: TrainingSettings) -> dict[str, Any] | None:
    """Queue a trial with ``base``'s values of the searched hyperparameters, unless one with those values is
    already in the study (queued, run or running, by this worker or another). Returns the values queued, or None
    (already there, or a value outside the space: logged, naming the dimension)."""
    values, outside = space.values_in(base)
    if outside:
        logger.warning(
            "training.base is not a point of hpo.search_space (%s): its configuration is not queued as a trial",
            "; ".join(outside),
        )
        return None
    if not values:
        return None
    before = len(study.get_trials(deepcopy=False))
    study.enqueue_trial(values, user_attrs={"source": "training.base"}, skip_if_exists=True)
    if len(study.get_trials(deepcopy=False)) == before:
        return None
    logger.info("Queued training.base's configuration as a trial: %s", values)
    return values
