"""Nodes of the hpo pipeline: prepare the study, run it, report it."""

from __future__ import annotations

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
from resume_ner.training.config import OptimizationConfig
from resume_ner.tuning import reports
from resume_ner.tuning.objective import TrialObjective, TrialSettings
from resume_ner.tuning.optimize import (
    DeadWorkerCallback,
    fail_leftover_trials,
    optimize,
)
from resume_ner.tuning.search_space import parse_search_space
from resume_ner.tuning.study import (
    HpoParameters,
    derive_study_name,
    is_embedded,
    make_pruner,
    make_sampler,
    make_storage,
    open_study,
)
from resume_ner.tuning.tracking import StudyTracker

logger = logging.getLogger(__name__)


def prepare_study(corpus: Corpus, folds: dict, label_schema: dict, workspace: Path, hpo: HpoParameters,
                  training: TrainingParameters) -> dict:
    """Check the search space, name the study after what defines it, and snapshot its inputs in its folder."""
    space = parse_search_space(hpo.search_space)
    available = len(folds.get("folds", []))
    used = hpo.folds or available
    if used > available:
        raise UserInputError(f"hpo.folds is {used} but the splits have {available} folds")
    objective = training.base.get("objective", "micro_f1")
    base_epochs = training.base.get("optimization", {}).get("epochs", OptimizationConfig().epochs)
    name = hpo.study_name or derive_study_name(
        space.model_dump(mode="json"), objective, corpus.fingerprint(), splits_fingerprint(folds),
        training.base.get("backbone"), used)
    for backbone in _backbones(training.base.get("backbone"), space):
        check_backbone_available(backbone, Path(workspace) / "backbones")
    study_dir = Path(workspace) / "runs" / "trial" / name
    inputs = write_run_inputs(study_dir, corpus, folds, label_schema)
    logger.info("Study %s: %d folds, objective %s, folder %s", name, used, objective, study_dir)
    return {"study_name": name, "study_dir": str(study_dir), "folds": list(range(used)), "objective": objective,
            "epochs_cap": space.upper_bound("epochs", base_epochs), "workspace": str(workspace),
            "inputs": {"corpus": str(inputs.corpus), "splits": str(inputs.splits),
                       "label_schema": str(inputs.label_schema)},
            "corpus_fingerprint": inputs.corpus_fingerprint, "splits_fingerprint": inputs.splits_fingerprint}


def _backbones(base: dict | None, space) -> list:
    """The backbones the study can train: the base one and any the search space chooses by name."""
    backbones = [base] if base else []
    for name, dimension in space.root.items():
        if name in ("backbone", "backbone.name"):
            values = getattr(dimension, "choices", None) or [getattr(dimension, "value", None)]
            backbones += [value for value in values if isinstance(value, str)]
    return backbones


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
    sampler = make_sampler(hpo.sampler, space.grid())
    max_steps = len(study_spec["folds"]) * study_spec["epochs_cap"]
    study = open_study(name, storage, sampler, make_pruner(hpo.pruner, max_steps))
    _describe(study, study_spec, space, training, active)
    if is_embedded(storage_url):
        fail_leftover_trials(study, tracker)
    inputs = study_spec["inputs"]
    settings = TrialSettings(
        study_name=name, space=space, base=training.base,
        inputs=RunInputs(Path(inputs["corpus"]), Path(inputs["splits"]), Path(inputs["label_schema"]),
                         study_spec["corpus_fingerprint"], study_spec["splits_fingerprint"]),
        runs_root=Path(study_spec["workspace"]) / "runs", backbone_cache_dir=Path(study_spec["workspace"]) / "backbones",
        folds=study_spec["folds"], objective=study_spec["objective"], epochs_cap=study_spec["epochs_cap"],
        launch=training.launch, launcher=make_launcher(training.launch), threads=training.environment.threads,
        pass_through=training.environment.pass_through, oom_retry=hpo.oom_retry, tracker=tracker)
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
             "backbone": str(training.base.get("backbone")), "folds": spec["folds"]}
    if "mlflow_run_id" not in study.user_attrs and active is not None:
        attrs["mlflow_run_id"] = active.info.run_id
    for key, value in attrs.items():
        if study.user_attrs.get(key) != value:
            study.set_user_attr(key, value)
