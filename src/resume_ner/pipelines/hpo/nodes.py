"""Nodes of the hpo pipeline: prepare the study, run it, report it."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import optuna

from resume_ner.backbones import check_backbone_available
from resume_ner.corpus.documents import Corpus
from resume_ner.errors import UserInputError
from resume_ner.execution import (
    RunInputs,
    make_launcher,
    splits_fingerprint,
    write_run_inputs,
)
from resume_ner.pipelines.training_run.parameters import TrainingParameters
from resume_ner.tracking.lineage import git_state, lineage_tags
from resume_ner.training.hyperparameters import PATHS
from resume_ner.tuning import reports
from resume_ner.tuning.objective import TrialObjective, TrialSettings
from resume_ner.tuning.optimize import (
    DeadWorkerCallback,
    fail_interrupted_trials,
    optimize,
)
from resume_ner.tuning.pruners import make_pruner, pruning_interval
from resume_ner.tuning.samplers import make_sampler
from resume_ner.tuning.search_space import (
    SearchSpace,
    check_search_space,
    parse_search_space,
)
from resume_ner.tuning.study import (
    HpoParameters,
    check_definition,
    derive_study_name,
    make_storage,
    open_study,
    study_definition,
)
from resume_ner.tuning.tracking import StudyTracker

logger = logging.getLogger(__name__)


def prepare_study(corpus: Corpus, folds: dict, label_schema: dict, workspace: Path, hpo: HpoParameters,
                  training: TrainingParameters) -> dict:
    """Check the search space (every choice of every dimension builds a valid run config, every backbone it can
    pick is available), name the study after what defines it, and snapshot its inputs in its folder."""
    space = parse_search_space(hpo.search_space)
    available = len(folds.get("folds", []))
    used = hpo.folds or available
    if used > available:
        raise UserInputError(f"hpo.folds is {used} but the splits have {available} folds")
    settings = training.base
    for backbone in check_search_space(space, training.base):
        check_backbone_available(backbone, Path(workspace) / "backbones")
    definition = study_definition(
        search_space=space.model_dump(mode="json"), objective=settings.objective,
        corpus_fingerprint=corpus.fingerprint(), splits_fingerprint=splits_fingerprint(folds), folds=used,
        training=_not_searched(settings.what_a_trial_measures(), space), gpus=training.launch.gpus)
    name = hpo.study_name or derive_study_name(definition)
    study_dir = Path(workspace) / "runs" / "trial" / name
    inputs = write_run_inputs(study_dir, corpus, folds, label_schema)
    logger.info("Study %s: %d folds, objective %s, folder %s", name, used, settings.objective, study_dir)
    return {"study_name": name, "study_dir": str(study_dir), "folds": list(range(used)),
            "objective": settings.objective, "definition": definition,
            "epochs_cap": space.upper_bound("epochs", settings.optimization.epochs),
            "workspace": str(workspace),
            "inputs": {"corpus": str(inputs.corpus), "splits": str(inputs.splits),
                       "label_schema": str(inputs.label_schema)},
            "corpus_fingerprint": inputs.corpus_fingerprint, "splits_fingerprint": inputs.splits_fingerprint}


def _not_searched(settings: dict, space: SearchSpace) -> dict:
    """``settings`` without the values the search space sets in every trial (a base value it overrides changes
    nothing a trial measures)."""
    settings = copy.deepcopy(settings)
    for name in space.root:
        *parents, last = PATHS.get(name, name).split(".")
        section = settings
        for key in parents:
            section = section.get(key) if isinstance(section, dict) else None
        if isinstance(section, dict):
            section.pop(last, None)
    return settings


def run_study(study_spec: dict, storage_url: str, hpo: HpoParameters, training: TrainingParameters) -> str:
    """Create or resume the study and run trials until the budget is spent; returns the study name.

    This ``kedro run``'s MLflow run is the study's parent run: each trial is a child run, each fold a child of
    its trial.
    """
    import mlflow

    space = parse_search_space(hpo.search_space)
    name = study_spec["study_name"]
    active = mlflow.active_run()
    tracker = (StudyTracker(mlflow.get_tracking_uri(), active.info.experiment_id, active.info.run_id, name)
               if active else None)
    if active:
        mlflow.set_tags(lineage_tags({"study_name": name, "corpus_fingerprint": study_spec["corpus_fingerprint"],
                                      "splits_fingerprint": study_spec["splits_fingerprint"], **git_state()}))
    storage = make_storage(storage_url, hpo.storage, DeadWorkerCallback(tracker, hpo.storage.max_retry))
    sampler = make_sampler(hpo.sampler.name, hpo.sampler.seed, hpo.sampler.n_startup_trials, space.grid())
    interval = pruning_interval(hpo.pruner.interval, space.varies("epochs"))
    pruner = make_pruner(hpo.pruner.name, interval=interval, epochs_cap=study_spec["epochs_cap"],
                         folds=len(study_spec["folds"]), n_startup_trials=hpo.pruner.n_startup_trials,
                         n_warmup_steps=hpo.pruner.n_warmup_steps, min_resource=hpo.pruner.min_resource,
                         reduction_factor=hpo.pruner.reduction_factor)
    study = open_study(name, storage, sampler, pruner)
    check_definition(study, study_spec["definition"])
    _describe(study, study_spec, space, training, active)
    fail_interrupted_trials(study, tracker, hpo.storage.max_retry)
    inputs = study_spec["inputs"]
    settings = TrialSettings(
        study_name=name, space=space, base=training.base,
        inputs=RunInputs(Path(inputs["corpus"]), Path(inputs["splits"]), Path(inputs["label_schema"]),
                         study_spec["corpus_fingerprint"], study_spec["splits_fingerprint"]),
        runs_root=Path(study_spec["workspace"]) / "runs", backbone_cache_dir=Path(study_spec["workspace"]) / "backbones",
        folds=study_spec["folds"], objective=study_spec["objective"], epochs_cap=study_spec["epochs_cap"],
        launch=training.launch, launcher=make_launcher(training.launch), threads=training.environment.threads,
        pass_through=training.environment.pass_through, tracker=tracker)
    optimize(study, TrialObjective(settings), n_trials=hpo.n_trials, timeout_seconds=hpo.timeout_seconds,
             n_workers=hpo.n_workers, max_failed_trials=hpo.max_failed_trials,
             study_dir=Path(study_spec["study_dir"]), keep_best_checkpoints=hpo.keep_best_checkpoints,
             objective_name=study_spec["objective"])
    return name


def report_study(study_name: str, storage_url: str) -> tuple:
    """best_params, the trials table, the study summary and four plots, from the study in its storage."""
    study = optuna.load_study(study_name=study_name, storage=storage_url)
    best = reports.best_params_record(study)
    if best is None:
        raise UserInputError(f"Study {study_name} has no complete trial, so there are no best parameters; look at "
                             f"the trials table and the log for why trials were pruned or failed, then run hpo "
                             f"again (it resumes the study)")
    plots = reports.study_plots(study)
    return (best, reports.trials_table(study), reports.study_summary(study, reports.redact_storage_url(storage_url)),
            plots["optimization_history"], plots["param_importances"], plots["parallel_coordinate"],
            plots["intermediate_values"])


def _describe(study: optuna.Study, spec: dict, space, training: TrainingParameters, active) -> None:
    """What defines the study, on the study itself (reports and later workers read it)."""
    attrs = {"objective": spec["objective"], "direction": "maximize", "corpus_fingerprint": spec["corpus_fingerprint"],
             "splits_fingerprint": spec["splits_fingerprint"], "search_space": space.model_dump(mode="json"),
             "backbone": training.base.backbone.model_dump(mode="json", exclude_defaults=True), "folds": spec["folds"]}
    if "mlflow_run_id" not in study.user_attrs and active is not None:
        attrs["mlflow_run_id"] = active.info.run_id
    for key, value in attrs.items():
        if study.user_attrs.get(key) != value:
            study.set_user_attr(key, value)
