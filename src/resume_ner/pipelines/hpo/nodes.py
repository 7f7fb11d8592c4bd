"""Nodes of the hpo pipeline: prepare the study, run it, report it."""

from __future__ import annotations

import copy
import logging
import time
from datetime import datetime
from pathlib import Path

import optuna

from resume_ner.backbones import BackboneSpec, check_backbone_available, resolve_backbone
from resume_ner.backbones.spec import MINILM, TINY_BERT
from resume_ner.corpus.documents import Corpus
from resume_ner.errors import UserInputError
from resume_ner.execution import (
    PreloadedLauncher,
    make_launcher,
    server_started,
    splits_fingerprint,
    write_run_inputs,
)
from resume_ner.execution.steps import TrainingParameters
from resume_ner.tracking.lineage import git_state, lineage_tags
from resume_ner.training.config import TrainingSettings
from resume_ner.training.hyperparameters import PATHS
from resume_ner.tuning import planning, reports
from resume_ner.tuning.objective import TrialObjective, TrialSettings
from resume_ner.tuning.optimize import (
    DeadWorkerCallback,
    fail_interrupted_trials,
    optimize,
)
from resume_ner.tuning.planning import calibrate, make_plan
from resume_ner.tuning.presets import backbone_family, choose_search_space
from resume_ner.tuning.pruners import make_pruner, pruning_interval
from resume_ner.tuning.samplers import make_sampler
from resume_ner.tuning.search_space import (
    SearchSpace,
    check_search_space,
    parse_search_space,
)
from resume_ner.tuning.study import (
    HpoParameters,
    StudySpec,
    check_definition,
    derive_study_name,
    enqueue_base_trial,
    make_storage,
    open_study,
    study_definition,
)
from resume_ner.tuning.tracking import StudyTracker

logger = logging.getLogger(__name__)


def prepare_study(
    corpus: Corpus, folds: dict, label_schema: dict, workspace: Path, hpo: HpoParameters, training: TrainingParameters
) -> StudySpec:
    """Check the search space (every choice of every dimension builds a valid run config, every backbone it can
    pick is available), name the study after what defines it, and snapshot its inputs in its folder."""
    raw_space, recommended, preset = choose_search_space(
        hpo.search_space,
        hpo.search_space_preset,
        hpo.search_space_presets,
        backbone_family(training.base.backbone, _backbone_folder(training.base.backbone, Path(workspace))),
    )
    space = parse_search_space(raw_space)
    available = len(folds.get("folds", []))
    used = hpo.folds or available
    if used > available:
        raise UserInputError(f"hpo.folds is {used} but the splits have {available} folds")
    settings = training.base
    for backbone in check_search_space(space, training.base):
        check_backbone_available(backbone, Path(workspace) / "backbones")
    definition = study_definition(
        search_space=space.model_dump(mode="json"),
        objective=settings.objective,
        corpus_fingerprint=corpus.fingerprint(),
        splits_fingerprint=splits_fingerprint(folds),
        folds=used,
        training=_not_searched(settings.what_a_trial_measures(), space),
        gpus=training.launch.gpus,
    )
    name = hpo.study_name or derive_study_name(definition)
    study_dir = Path(workspace) / "runs" / "trial" / name
    inputs = write_run_inputs(study_dir, corpus, folds, label_schema)
    logger.info("Study %s: %d folds, objective %s, folder %s", name, used, settings.objective, study_dir)
    return StudySpec(
        name,
        study_dir,
        space,
        tuple(range(used)),
        settings.objective,
        definition,
        space.upper_bound("epochs", settings.optimization.epochs),
        Path(workspace),
        inputs,
        recommended,
        preset,
    )


def _backbone_folder(backbone: BackboneSpec, workspace: Path) -> Path | None:
    """A hub or folder backbone's files (its config.json names its family); the built-in ones need none."""
    if backbone.kind in (MINILM, TINY_BERT):
        return None
    return resolve_backbone(backbone, cache_dir=workspace / "backbones")


def _not_searched(settings: dict, space: SearchSpace) -> dict:
    """``settings`` without the values the search space sets in every trial (a base value it overrides changes
    nothing a trial measures)."""
    settings = copy.deepcopy(settings)
    for name in space.root:
        *parents, last = PATHS.get(name, name).split(".")
        section: dict | None = settings
        for key in parents:
            section = section.get(key) if isinstance(section, dict) else None
        if isinstance(section, dict):
            section.pop(last, None)
    return settings


def plan_study(
    study_spec: StudySpec,
    corpus: Corpus,
    folds: dict,
    label_schema: dict,
    hpo: HpoParameters,
    training: TrainingParameters,
) -> dict:
    """The study's plan, before any trial starts: with ``hpo.budget_minutes``, a calibration on this machine
    (the training loop's tokens per second on the first fold's windows, the validation cost, model loading) sizes
    the study to the budget; without, the plan holds the trial count and timeout as given. Logged, and recorded
    in this run's MLflow run."""
    spec = study_spec
    space = spec.space
    if hpo.budget_minutes is None:
        plan: dict = {
            "budget_minutes": None,
            "n_trials": hpo.n_trials,
            "timeout_seconds": hpo.timeout_seconds,
            "estimated_minutes": None,
        }
        logger.info(
            "Study plan: %s trial(s), timeout %s (set hpo.budget_minutes to size the study by time)",
            hpo.n_trials or "no limit on",
            f"{hpo.timeout_seconds:g} s" if hpo.timeout_seconds else "none",
        )
        return plan
    first_trial = spec.first_trial_settings(training.base)
    calibration = calibrate(
        corpus,
        folds,
        label_schema,
        first_trial,
        spec.workspace / "backbones",
        training.environment.threads,
        before_timing=_server_imports(training),
        corpus_file=spec.inputs.corpus,
        encoding_cache_dir=spec.workspace / "encodings",
    )
    interval = pruning_interval(hpo.pruner.interval, space.varies("epochs"))
    made = make_plan(
        calibration,
        settings=first_trial,
        launch_mode=training.launch.mode,
        folds=len(spec.folds),
        epochs_cap=spec.epochs_cap,
        expected_epochs=space.mean_value("epochs", first_trial.optimization.epochs),
        pruner=f"{hpo.pruner.name} at {interval} ends" if hpo.pruner.name != "none" else "none",
        budget_minutes=hpo.budget_minutes,
        n_trials=hpo.n_trials,
        timeout_seconds=hpo.timeout_seconds,
        first_trial_epochs=first_trial.optimization.epochs if _queues_first_trial(hpo, space, first_trial) else None,
    )
    logger.info("%s", made.describe())
    if warning := made.over_budget():
        logger.warning("%s", warning)
    plan = made.as_dict()
    _log_plan(plan)
    return plan


def _server_imports(training: TrainingParameters):
    """What the calibration waits for before it times anything: a preloaded server that is still importing (the
    run's hook starts it beside data processing; see ``hooks.StartTrainingServerHook``). None when no server was
    started: the calibration does not start one."""
    if training.launch.mode != "preloaded" or not server_started():
        return None
    return PreloadedLauncher().warm_up


def _queues_first_trial(hpo: HpoParameters, space: SearchSpace, first_trial: TrainingSettings) -> bool:
    """Whether run_study will queue ``first_trial``'s configuration (see ``study.enqueue_base_trial``)."""
    values, outside = space.values_in(first_trial)
    return hpo.enqueue_base and hpo.sampler.name != "grid" and bool(values) and not outside


def _log_plan(plan: dict) -> None:
    import mlflow

    if mlflow.active_run() is None:
        return
    mlflow.log_dict(plan, "hpo/study_plan.json")
    mlflow.log_metrics(
        {
            "plan.estimated_minutes": plan["estimated_minutes"],
            "plan.seconds_per_trial": plan["seconds_per_trial"],
            "plan.planned_trials": plan["planned_trials"],
            "plan.train_tokens_per_second": plan["calibration"]["train_tokens_per_second"],
        }
    )


def run_study(
    study_spec: StudySpec, study_plan: dict, storage_url: str, hpo: HpoParameters, training: TrainingParameters
) -> optuna.Study:
    """Create or resume the study and run trials until the plan's budget is spent; returns the study. The plan
    and what actually happened (minutes, trials) are recorded on the study (``last_plan``) and the MLflow run.

    This ``kedro run``'s MLflow run is the study's parent run: each trial is a child run, each fold a child of
    its trial.
    """
    import mlflow

    spec = study_spec
    space, name = spec.space, spec.name
    active = mlflow.active_run()
    tracker = (
        StudyTracker(mlflow.get_tracking_uri(), active.info.experiment_id, active.info.run_id, name) if active else None
    )
    if active:
        mlflow.set_tags(
            lineage_tags(
                {
                    "study_name": name,
                    "corpus_fingerprint": spec.inputs.corpus_fingerprint,
                    "splits_fingerprint": spec.inputs.splits_fingerprint,
                    **git_state(),
                }
            )
        )
    storage = make_storage(storage_url, hpo.storage, DeadWorkerCallback(tracker, hpo.storage.max_retry))
    sampler = make_sampler(hpo.sampler.name, hpo.sampler.seed, hpo.sampler.n_startup_trials, space.grid())
    interval = pruning_interval(hpo.pruner.interval, space.varies("epochs"))
    pruner = make_pruner(
        hpo.pruner.name,
        interval=interval,
        epochs_cap=spec.epochs_cap,
        folds=len(spec.folds),
        n_startup_trials=hpo.pruner.n_startup_trials,
        n_warmup_steps=hpo.pruner.n_warmup_steps,
        min_resource=hpo.pruner.min_resource,
        reduction_factor=hpo.pruner.reduction_factor,
        stalled_after_epochs=hpo.pruner.stalled_after_epochs,
    )
    study = open_study(name, storage, sampler, pruner)
    check_definition(study, spec.definition)
    _describe(study, spec, training, active)
    fail_interrupted_trials(study, tracker, hpo.storage.max_retry)
    # A grid study tries every point of its grid anyway (and only those).
    if hpo.enqueue_base and hpo.sampler.name != "grid":
        enqueue_base_trial(study, space, spec.first_trial_settings(training.base))
    settings = TrialSettings(
        study_name=name,
        space=space,
        training=training,
        inputs=spec.inputs,
        workspace=spec.workspace,
        folds=list(spec.folds),
        objective=spec.objective,
        epochs_cap=spec.epochs_cap,
        launcher=make_launcher(training.launch),
        tracker=tracker,
    )
    started, clock = datetime.now(), time.perf_counter()
    optimize(
        study,
        TrialObjective(settings),
        n_trials=study_plan["n_trials"],
        timeout_seconds=study_plan["timeout_seconds"],
        n_workers=hpo.n_workers,
        max_failed_trials=hpo.max_failed_trials,
        study_dir=spec.folder,
        keep_best_checkpoints=hpo.keep_best_checkpoints,
        objective_name=spec.objective,
    )
    outcome = planning.actual(study_plan, study, started, time.perf_counter() - clock)
    study.set_user_attr("last_plan", outcome)
    if outcome["estimated_minutes"] is not None:
        logger.info(
            "Study took %.1f min against %.1f planned (%.0f%%); %d trial(s), %d complete",
            outcome["actual_minutes"],
            outcome["estimated_minutes"],
            100 * outcome["actual_to_planned_minutes"],
            outcome["actual_trials"],
            outcome["actual_complete_trials"],
        )
    if active:
        mlflow.log_metrics(
            {"plan.actual_minutes": outcome["actual_minutes"]}
            | (
                {"plan.actual_to_planned_minutes": outcome["actual_to_planned_minutes"]}
                if outcome["actual_to_planned_minutes"] is not None
                else {}
            )
        )
    return study


def report_study(study: optuna.Study, storage_url: str) -> tuple:
    """best_params, the trials table, the study summary and four plots, from the study in its storage."""
    best = reports.best_params_record(study)
    if best is None:
        raise UserInputError(
            f"Study {study.study_name} has no complete trial, so there are no best parameters; look at "
            f"the trials table and the log for why trials were pruned or failed, then run hpo "
            f"again (it resumes the study)"
        )
    plots = reports.study_plots(study)
    return (
        best,
        reports.trials_table(study),
        reports.study_summary(study, reports.redact_storage_url(storage_url)),
        plots["optimization_history"],
        plots["param_importances"],
        plots["parallel_coordinate"],
        plots["intermediate_values"],
    )


def _describe(study: optuna.Study, spec: StudySpec, training: TrainingParameters, active) -> None:
    """What defines the study, on the study itself (reports and later workers read it)."""
    attrs = {
        "objective": spec.objective,
        "direction": "maximize",
        "corpus_fingerprint": spec.inputs.corpus_fingerprint,
        "splits_fingerprint": spec.inputs.splits_fingerprint,
        "search_space": spec.space.model_dump(mode="json"),
        "backbone": training.base.backbone.model_dump(mode="json", exclude_defaults=True),
        "folds": list(spec.folds),
    }
    if "mlflow_run_id" not in study.user_attrs and active is not None:
        attrs["mlflow_run_id"] = active.info.run_id
    for key, value in attrs.items():
        if study.user_attrs.get(key) != value:
            study.set_user_attr(key, value)
