"""HPO overhead: how much of a study's wall time is training, per launch mode, and what median pruning saves.

Runs the hpo pipeline's own nodes (``prepare_study`` then ``run_study``, SQLite storage in a temporary folder, no
MLflow run active so nothing is tracked) on the shipped default corpus (``data/01_raw/synthetic_resumes.json``,
labels, near-duplicate groups, holdout and folds made as the data_processing pipeline makes them from
``conf/base/parameters_data_processing.yml``), with ``training.base`` from ``conf/base/parameters.yml`` except the
tiny-bert backbone (hidden 64, intermediate 128), max_length 64, stride 16, fp32 on the CPU.

1. Orchestration overhead, ``training.launch.mode`` process against preloaded: the same study (random sampler,
   same seed, no pruner, ``--trials`` x ``--folds`` folds x ``--epochs`` epochs, the shipped search space with
   epochs fixed) once per mode, each preceded by what ``kedro run`` does before its study, in its order: in
   preloaded mode the fork server is started as the pipeline starts (``StartTrainingServerHook``), then the corpus
   is read, labelled and split, the study prepared, and planned with a budget (``hpo.budget_minutes``, set in the
   shipped parameters), whose calibration waits for the rest of the server's imports before it times anything.
   "Training" is what the children report as ``train_seconds`` in ``metrics.json`` (time inside their training
   epochs), so the study's wall time (around ``run_study``) splits into

   - training: the sum of the children's ``train_seconds``;
   - validation: the sum of their ``evaluation_seconds`` (scoring the validation documents after every epoch:
     the pruner's input, model work rather than orchestration);
   - in the child, other: the rest of the children's ``wall_seconds`` (reading the corpus and tokenising it, or
     loading both from the study's encoding cache; backbone and model loading; checkpoint saving);
   - outside the child: the rest (launching the child: a fresh interpreter and its imports, or a fork of the
     preloaded server, and in the first launch any of the server's start-up still left; Optuna and SQLite;
     writing run configs; waiting for the child's exit).

   Orchestration overhead = (study wall - training - validation) / study wall. Target (from the issue): under
   10 % with preloaded. (study wall - training) / study wall is printed too ("not training"), and the overhead
   with the calibration's wait for the server counted as the study's ("run overhead").
2. Pruning with the shipped pruner settings (median, n_startup_trials 2, ``interval: auto``) against none:
   ``--prune-trials`` trials x ``--folds`` folds, preloaded, random sampler with the same seed (so both studies
   try the same hyperparameters, trial by trial), a wide learning-rate range (log 1e-5..3e-2) so that some trials
   are clearly bad. Two cases, as ``auto`` treats them: (a) epochs fixed at ``--prune-epochs`` (every trial
   trains as many epochs, so the pruner is asked after every epoch) and (b) epochs searched, 1..
   ``--prune-epochs`` (asked only at fold ends, where trials of different epochs compare fairly). Reported:
   compute used (children's train seconds and children's whole-life seconds), epochs trained ("epoch" events
   in the progress.jsonl files), trials pruned, study wall time, best value. The verdict rests on the epoch
   counts and the best value, which do not depend on the machine's load; the seconds do, so a warning is
   printed when the two studies trained at clearly different speeds (seconds per epoch of completed folds; the
   same check compares the two launch modes).

The tiny-bert backbone of each fold is built before any timing (one-time cost, reported on its own). Run folders
and the storage go to a temporary folder that is removed at the end unless ``--output-dir`` names one.

Usage (from the project root, with the project's virtualenv):

    .venv/bin/python benchmarks/hpo_overhead.py                   # ~8-10 min on 2 cores
    .venv/bin/python benchmarks/hpo_overhead.py --quick           # smaller, ~4 min
    .venv/bin/python benchmarks/hpo_overhead.py --json hpo.json   # every figure to a file

The machine may be shared: the load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import yaml
from machine import machine_info, write_figures  # benchmarks/machine.py

PROJECT = Path(__file__).resolve().parents[1]
RAW_CORPUS = PROJECT / "data" / "01_raw" / "synthetic_resumes.json"
TARGET_OVERHEAD = 0.10  # preloaded: (study wall - children's train seconds) / study wall, below
SEED = 42
MODES = ("process", "preloaded")
RUN_BUDGET_MINUTES = 60.0  # the overhead studies plan with a budget, as the shipped hpo does; n_trials ends them
WIDE_LEARNING_RATE = {"type": "float", "low": 1.0e-5, "high": 3.0e-2, "log": True}


# --------------------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/hpo_overhead.py",
        description="Run small hpo studies through prepare_study/run_study and report the share of the study's "
        "wall time that is not training, per launch mode, and what the median pruner saves.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller run: 2 trials x 1 epoch for the overhead, 5 trials x 2 epochs for pruning",
    )
    parser.add_argument("--trials", type=int, default=None, help="overhead studies: trials (default 3; quick 2)")
    parser.add_argument("--epochs", type=int, default=None, help="overhead studies: epochs (default 2; quick 1)")
    parser.add_argument("--prune-trials", type=int, default=None, help="pruning studies: trials (default 8; quick 5)")
    parser.add_argument("--prune-epochs", type=int, default=None, help="pruning studies: epochs (default 3; quick 2)")
    parser.add_argument("--folds", type=int, default=2, help="folds per trial (default %(default)s)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads per child (training.environment.threads; default: the shipped null, torch's default)",
    )
    parser.add_argument("--skip-pruning", action="store_true", help="only the launch-mode comparison")
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        help="workspace for inputs, run folders and the storage, kept afterwards (default: a "
        "temporary folder, removed at the end)",
    )
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this JSON file")
    args = parser.parse_args(argv)
    quick = args.quick
    args.trials = args.trials or (2 if quick else 3)
    args.epochs = args.epochs or (1 if quick else 2)
    args.prune_trials = args.prune_trials or (5 if quick else 8)
    args.prune_epochs = args.prune_epochs or (2 if quick else 3)
    for name in ("trials", "epochs", "prune_trials", "prune_epochs", "folds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be at least 1")
    return args


# --------------------------------------------------------------------------------------------------------------
# Inputs: as the data_processing pipeline makes them
# --------------------------------------------------------------------------------------------------------------


def load_yaml(name: str) -> dict:
    return yaml.safe_load((PROJECT / "conf" / "base" / name).read_text(encoding="utf-8"))


def prepare_data() -> tuple:
    """The shipped corpus after label mapping and overlap resolution, its label schema and its folds."""
    from resume_ner.corpus import labels, near_duplicates, splits
    from resume_ner.corpus.reading import read_corpus
    from resume_ner.pipelines.data_processing.parameters import CorpusParameters, SplitParameters

    params = load_yaml("parameters_data_processing.yml")
    corpus_params = CorpusParameters.model_validate(params["corpus"])
    split_params = SplitParameters.model_validate(params["splits"])
    corpus = read_corpus(RAW_CORPUS, "json")
    corpus = labels.apply_label_mapping(corpus, corpus_params.label_mapping)
    corpus = labels.resolve_overlaps(corpus, corpus_params.overlapping_spans)
    schema = labels.LabelSchema.from_corpus(corpus).to_dict()
    settings = split_params.near_duplicates
    groups = {
        "corpus_fingerprint": corpus.fingerprint(),
        "ngram": settings.ngram,
        "threshold": settings.threshold,
        "groups": near_duplicates.near_duplicate_groups(corpus, settings.ngram, settings.threshold),
    }
    holdout = splits.split_holdout(corpus, groups, split_params.holdout_fraction, split_params.seed)
    folds = splits.make_folds(corpus, groups, holdout, split_params.n_folds, split_params.seed)
    described = {
        "documents": len(corpus),
        "holdout_documents": len(holdout["holdout"]),
        "n_folds": split_params.n_folds,
        "fold_validation_documents": [len(fold["validation"]) for fold in folds["folds"]],
    }
    return corpus, schema, folds, described


def training_base(threads: int | None) -> dict:
    """``training`` from conf/base/parameters.yml with the tiny backbone, short windows, fp32 on the CPU."""
    training = load_yaml("parameters.yml")["training"]
    base = dict(training["base"])
    base["backbone"] = {"name": "tiny-bert", "tiny": {"hidden_size": 64, "intermediate_size": 128}}
    base["tokenization"] = {**base.get("tokenization", {}), "max_length": 64, "stride": 16}
    base["precision"] = "fp32"
    base["device"] = "cpu"
    return {
        "base": base,
        "launch": dict(training.get("launch", {})),
        "environment": {**training.get("environment", {}), "threads": threads},
    }


def shipped_search_space() -> dict:
    """The space the shipped ``hpo`` gives tiny-bert: its ``tiny`` preset with ``hpo.search_space`` over it (what
    ``search_space_preset: auto`` picks). The studies pass it with the preset off, so that nothing is queued
    before the sampler's trials and both studies of a comparison try the same hyperparameter sets."""
    from resume_ner.tuning.presets import choose_search_space
    from resume_ner.tuning.study import HpoParameters

    shipped = HpoParameters.model_validate(load_yaml("parameters_hpo.yml")["hpo"])
    space, _, _ = choose_search_space(shipped.search_space, "tiny", shipped.search_space_presets, "tiny")
    return space


def shipped_pruner() -> dict:
    """``hpo.pruner`` of conf/base/parameters_hpo.yml (median, interval auto)."""
    return dict(load_yaml("parameters_hpo.yml")["hpo"]["pruner"])


def pruning_cases(epochs: int) -> dict[str, dict]:
    """The epochs dimension of the two pruning cases: fixed (auto asks after every epoch) and searched (auto asks
    at fold ends)."""
    return {
        "epochs-fixed": {"type": "fixed", "value": epochs},
        "epochs-searched": {"type": "int", "low": 1, "high": epochs},
    }


def prebuild_backbones(corpus, folds: dict, schema: dict, workspace: Path, base: dict, n_folds: int) -> float:
    """Build each used fold's tiny-bert backbone into the workspace cache, as the fold's child would."""
    from transformers.utils import logging as transformers_logging

    from resume_ner.backbones import resolve_backbone
    from resume_ner.corpus.splits import fold_ids
    from resume_ner.execution import RunInputs, RunPurpose, build_training_config, write_run_inputs
    from resume_ner.training.config import TrainingSettings

    transformers_logging.disable_progress_bar()
    inputs: RunInputs = write_run_inputs(workspace / "prebuild", corpus, folds, schema)
    started = time.perf_counter()
    settings = TrainingSettings.model_validate(base)
    for fold in range(n_folds):
        config = build_training_config(
            settings,
            {},
            RunPurpose(kind="trial", name="prebuild", trial=0, fold=fold),
            inputs,
            workspace / "prebuild-runs",
            workspace / "backbones",
        )
        train_ids, _ = fold_ids(folds, corpus, fold)
        resolve_backbone(
            config.backbone, texts=[doc.text for doc in corpus.subset(train_ids)], cache_dir=config.backbone_cache_dir
        )
    return time.perf_counter() - started


# --------------------------------------------------------------------------------------------------------------
# One study
# --------------------------------------------------------------------------------------------------------------


def run_one_study(
    label: str,
    data: tuple,
    workspace: Path,
    storage_url: str,
    training: dict,
    mode: str,
    search_space: dict,
    n_trials: int,
    n_folds: int,
    pruner: dict,
    as_a_run: bool = False,
) -> dict:
    """prepare_study, plan_study, run_study (timed) for one study; then read its run folders and its storage.

    ``as_a_run``: what ``kedro run`` does before the study, in its order: the preloaded server is started as the
    pipeline starts (``StartTrainingServerHook``), the corpus is read, labelled and split (``prepare_data``, the
    data_processing pipeline's functions; else ``data`` is used), and the plan calibrates with a budget (the
    shipped ``hpo.budget_minutes`` is set; the budget here is large enough that ``n_trials`` is the limit)."""
    import optuna

    from resume_ner.execution.steps import TrainingParameters
    from resume_ner.pipelines.hpo.nodes import plan_study, prepare_study, run_study
    from resume_ner.tuning.study import HpoParameters

    run_started = time.perf_counter()
    if as_a_run and mode == "preloaded":
        from resume_ner.execution import PreloadedLauncher

        PreloadedLauncher().start_server()
    corpus, schema, folds = prepare_data()[:3] if as_a_run else data
    hpo = HpoParameters(
        study_name=label,
        search_space=search_space,
        search_space_preset="none",
        enqueue_base=False,
        n_trials=n_trials,
        budget_minutes=RUN_BUDGET_MINUTES if as_a_run else None,
        folds=n_folds,
        sampler={"name": "random", "seed": SEED},
        pruner=pruner,
        max_failed_trials=1,
    )
    params = TrainingParameters.model_validate({**training, "launch": {**training["launch"], "mode": mode}})
    shutil.rmtree(workspace / "encodings", ignore_errors=True)  # every study tokenises its corpus itself
    spec = prepare_study(corpus, folds, schema, workspace, hpo, params)
    plan = plan_study(spec, corpus, folds, schema, hpo, params)
    load_before = os.getloadavg()
    started = time.perf_counter()
    run_study(spec, plan, storage_url, hpo, params)
    wall = time.perf_counter() - started
    waited = (plan.get("calibration") or {}).get("waited_seconds", 0.0)

    study = optuna.load_study(study_name=label, storage=storage_url)
    states = [trial.state.name for trial in study.trials]
    runs = [read_run(path) for path in sorted(Path(spec.folder).glob("trial-*/fold-*"))]
    completed = [run for run in runs if run["completed"]]
    stopped = [run for run in runs if not run["completed"]]
    train_exact = sum(run["train_seconds"] for run in completed)
    evaluation = sum(run["evaluation_seconds"] for run in completed)
    train_stopped_bound = sum(run["after_data_ready_seconds"] for run in stopped)
    child_wall = sum(run["child_seconds"] for run in runs)
    completed_epochs = sum(run["epochs"] for run in completed)
    best = study.best_trial if "COMPLETE" in states else None
    result = {
        "label": label,
        "mode": mode,
        "pruner": pruner["name"],
        "n_trials": n_trials,
        "n_folds": n_folds,
        "study_wall_seconds": wall,
        "train_seconds": train_exact + train_stopped_bound,
        "train_seconds_completed_folds": train_exact,
        "train_seconds_stopped_folds_upper_bound": train_stopped_bound,
        "child_seconds": child_wall,
        "evaluation_seconds": evaluation,
        "in_child_not_training_seconds": child_wall - train_exact - train_stopped_bound,
        "in_child_other_seconds": child_wall - train_exact - train_stopped_bound - evaluation,
        "outside_child_seconds": wall - child_wall,
        "not_training_fraction": (wall - train_exact - train_stopped_bound) / wall,
        "overhead_fraction": (wall - train_exact - train_stopped_bound - evaluation) / wall,
        "before_study_seconds": started - run_started,
        "calibration_seconds": (plan.get("calibration") or {}).get("seconds", 0.0),
        "waited_for_server_seconds": waited,
        "run_overhead_fraction": (wall + waited - train_exact - train_stopped_bound - evaluation) / (wall + waited),
        "fold_runs_with_cached_windows": sum(1 for run in completed if run["windows_cached"]),
        "fold_runs": len(runs),
        "fold_runs_completed": len(completed),
        "fold_runs_stopped": len(stopped),
        "epochs_trained": sum(run["epochs"] for run in runs),
        "train_seconds_per_epoch": train_exact / completed_epochs if completed_epochs else None,
        "trials_complete": states.count("COMPLETE"),
        "trials_pruned": states.count("PRUNED"),
        "trials_failed": states.count("FAIL"),
        "best_value": best.value if best else None,
        "best_trial": best.number if best else None,
        "best_params": best.params if best else None,
        "trials": [
            {
                "number": trial.number,
                "state": trial.state.name,
                "value": trial.value,
                "params": trial.params,
                "detail": trial.user_attrs.get("state_detail"),
            }
            for trial in study.trials
        ],
        "runs": runs,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    if result["trials_failed"]:
        raise SystemExit(
            f"study {label}: {result['trials_failed']} trial(s) failed; see the run folders in "
            f"{spec.folder} (--output-dir keeps them)"
        )
    return result


def read_run(run_dir: Path) -> dict:
    """One fold's figures from its metrics.json (completed runs) and progress.jsonl (every run).

    ``child_seconds``: the child's own wall time; metrics.json ``wall_seconds`` for a completed run (from the
    start of ``run_training``, after the program's imports), else the last event's ``elapsed`` (from the opening
    of the progress stream, just before those imports). ``after_data_ready_seconds``: from "data_ready" to the
    last event, an upper bound of a stopped run's training time (it also holds model loading, the evaluations
    after its finished epochs and checkpoint saving)."""
    from resume_ner.training.protocol import METRICS_FILE, PROGRESS_FILE, Event

    events = []
    progress = run_dir / PROGRESS_FILE
    if progress.exists():
        for line in progress.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(json.JSONDecodeError):  # a line cut short by the stop
                events.append(json.loads(line))
    elapsed = {event["event"]: event.get("elapsed", 0.0) for event in events}
    last = events[-1].get("elapsed", 0.0) if events else 0.0
    metrics_file = run_dir / METRICS_FILE
    metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.exists() else None
    record = {
        "run": f"{run_dir.parent.name}/{run_dir.name}",
        "completed": metrics is not None,
        "epochs": sum(1 for event in events if event.get("event") == Event.EPOCH),
        "last_event": events[-1]["event"] if events else None,
        "after_data_ready_seconds": max(0.0, last - elapsed.get(Event.DATA_READY, last)),
    }
    if metrics is not None:
        record.update(
            train_seconds=metrics["train_seconds"],
            evaluation_seconds=metrics.get("evaluation_seconds", 0.0),
            child_seconds=metrics["wall_seconds"],
            windows_cached=elapsed_event(events, Event.DATA_READY).get("windows_cached"),
        )
    else:
        record.update(train_seconds=None, evaluation_seconds=None, child_seconds=last, windows_cached=None)
    return record


def elapsed_event(events: list[dict], kind: str) -> dict:
    return next((event for event in events if event.get("event") == kind), {})


# --------------------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------------------


LOAD_WARNING_RATIO = 1.3  # training seconds per epoch of two studies that should match, beyond this: noise


def speed_check(first: dict, second: dict) -> float | None:
    """Ratio (>= 1) of the two studies' training seconds per epoch of completed folds; both studies train the
    same hyperparameters, so a large ratio means the machine was busier during one of them."""
    a, b = first["train_seconds_per_epoch"], second["train_seconds_per_epoch"]
    if not a or not b:
        return None
    ratio = max(a, b) / min(a, b)
    if ratio > LOAD_WARNING_RATIO:
        print(
            f"WARNING: training took {ratio:.2f}x longer per epoch in one study ({first['label']} "
            f"{a:.2f} s/epoch, {second['label']} {b:.2f} s/epoch): outside load; the seconds above are not "
            "comparable, rerun on a quiet machine"
        )
    return ratio


def less(fraction: float) -> str:
    return f"{fraction:.0%} less" if fraction >= 0 else f"{-fraction:.0%} MORE"


def print_overhead(studies: dict[str, dict]) -> dict:
    print()
    print("1. Orchestration overhead per launch mode (pruner none, random sampler, same seed)")
    header = (
        f"{'mode':<10} | {'fold runs':>9} | {'study wall s':>12} | {'training s':>10} | {'validation s':>12} | "
        f"{'in child, other s':>17} | {'outside child s':>15} | {'overhead':>8} | {'not training':>12}"
    )
    print(header)
    print("-" * len(header))
    for mode in MODES:
        study = studies[mode]
        print(
            f"{mode:<10} | {study['fold_runs']:>9} | {study['study_wall_seconds']:>12.1f} | "
            f"{study['train_seconds']:>10.1f} | {study['evaluation_seconds']:>12.1f} | "
            f"{study['in_child_other_seconds']:>17.1f} | {study['outside_child_seconds']:>15.1f} | "
            f"{study['overhead_fraction']:>7.1%} | {study['not_training_fraction']:>11.1%}"
        )
    preloaded = studies["preloaded"]
    wall = preloaded["study_wall_seconds"]
    met = preloaded["overhead_fraction"] < TARGET_OVERHEAD
    saved = studies["process"]["outside_child_seconds"] - preloaded["outside_child_seconds"]
    folds = max(1, preloaded["fold_runs"])
    print()
    print(
        f"preloaded orchestration overhead {preloaded['overhead_fraction']:.1%} of the study wall time (target < "
        f"{TARGET_OVERHEAD:.0%})  {'MET' if met else 'MISSED'}"
    )
    print(
        f"  in the child, neither training nor validating (reading data, tokenising, loading the model, checkpoints): "
        f"{preloaded['in_child_other_seconds'] / wall:.1%}; outside the child (launch and the preloaded server's "
        f"start-up if it was still importing, Optuna, waiting): {preloaded['outside_child_seconds'] / wall:.1%}"
    )
    print(
        f"  validation after every epoch (the pruner's input, model work rather than orchestration): "
        f"{preloaded['evaluation_seconds'] / wall:.1%}; everything but training: "
        f"{preloaded['not_training_fraction']:.1%}"
    )
    print(
        f"  before the study, as kedro run does it: {preloaded['before_study_seconds']:.1f} s (data processing, "
        f"prepare_study, plan_study with its {preloaded['calibration_seconds']:.1f}-s calibration); the preloaded "
        f"server, started as the pipeline started, imported beside that work, and the calibration waited "
        f"{preloaded['waited_for_server_seconds']:.1f} s for the rest of its imports"
    )
    print(
        f"  overhead with that wait counted as the study's: {preloaded['run_overhead_fraction']:.1%} "
        f"(process: {studies['process']['run_overhead_fraction']:.1%})"
    )
    print(
        f"  fold runs that found their windows in the encoding cache: {preloaded['fold_runs_with_cached_windows']} "
        f"of {preloaded['fold_runs_completed']} (tiny-bert trains a tokenizer per fold, so the first trial fills it)"
    )
    print(
        f"process overhead {studies['process']['overhead_fraction']:.1%}; preloaded saves "
        f"{saved:.1f} s outside the child over {preloaded['fold_runs']} fold runs ({saved / folds:.2f} s per fold)"
    )
    overhead_per_fold = (wall - preloaded["train_seconds"] - preloaded["evaluation_seconds"]) / folds
    model_per_fold = (preloaded["train_seconds"] + preloaded["evaluation_seconds"]) / folds
    print(
        f"per preloaded fold: {preloaded['train_seconds'] / folds:.1f} s training, "
        f"{preloaded['evaluation_seconds'] / folds:.1f} s validation, {overhead_per_fold:.2f} s orchestration "
        f"({preloaded['in_child_other_seconds'] / folds:.2f} s in the child, "
        f"{preloaded['outside_child_seconds'] / folds:.2f} s outside)"
    )
    ratio = speed_check(studies["process"], preloaded)
    return {
        "preloaded_overhead_under": TARGET_OVERHEAD,
        "preloaded_overhead_met": met,
        "preloaded_waited_for_server_seconds": preloaded["waited_for_server_seconds"],
        "preloaded_run_overhead": preloaded["run_overhead_fraction"],
        "train_seconds_per_epoch_ratio": ratio,
        "outside_child_seconds_saved_by_preloaded": saved,
        "saved_per_fold_seconds": saved / folds,
        "preloaded_model_seconds_per_fold": model_per_fold,
        "preloaded_overhead_seconds_per_fold": overhead_per_fold,
    }


def print_pruning(studies: dict[str, dict], title: str) -> dict:
    print()
    print(f"2{title} (preloaded, random sampler with the same seed: both studies try the same hyperparameters)")
    header = (
        f"{'pruner':<7} | {'trials (pruned)':>15} | {'fold runs':>9} | {'epochs':>6} | {'train s':>8} | "
        f"{'child s':>8} | {'study wall s':>12} | {'best value':>10}"
    )
    print(header)
    print("-" * len(header))
    for name in ("none", "median"):
        study = studies[name]
        best = "-" if study["best_value"] is None else f"{study['best_value']:.4f}"
        trials = f"{study['n_trials']} ({study['trials_pruned']})"
        print(
            f"{name:<7} | {trials:>15} | {study['fold_runs']:>9} | {study['epochs_trained']:>6} | "
            f"{study['train_seconds']:>8.1f} | {study['child_seconds']:>8.1f} | "
            f"{study['study_wall_seconds']:>12.1f} | {best:>10}"
        )
    none, median = studies["none"], studies["median"]
    saved_train = 1 - median["train_seconds"] / none["train_seconds"]
    saved_wall = 1 - median["study_wall_seconds"] / none["study_wall_seconds"]
    saved_epochs = 1 - median["epochs_trained"] / none["epochs_trained"]
    same_best = (
        none["best_value"] is not None
        and median["best_value"] is not None
        and abs(none["best_value"] - median["best_value"]) < 1e-9
    )
    # Epoch counts do not depend on the machine's load; seconds do (see speed_check).
    pays = median["trials_pruned"] > 0 and saved_epochs > 0 and same_best
    print()
    print(
        f"median pruner: {median['trials_pruned']} of {median['n_trials']} trials pruned; "
        f"{saved_epochs:.0%} fewer epochs, {less(saved_train)} training time (stopped folds counted at an "
        f"upper bound), {less(saved_wall)} study wall time"
    )
    if none["best_value"] is not None and median["best_value"] is not None:
        print(
            f"best value: none {none['best_value']:.4f} (trial {none['best_trial']}), median "
            f"{median['best_value']:.4f} (trial {median['best_trial']}) -> "
            f"{'same best trial found' if same_best else 'DIFFERENT best'}"
        )
    unpruned = {trial["number"]: trial["value"] for trial in none["trials"]}
    pruned = [
        (unpruned[trial["number"]], trial["number"])
        for trial in median["trials"]
        if trial["state"] == "PRUNED" and unpruned.get(trial["number"]) is not None
    ]
    if pruned:
        value, number = max(pruned)
        best_pruned = none["best_trial"] in {trial for _, trial in pruned}
        print(
            f"the pruned trials, trained to the end in the study without a pruner: best {value:.4f} (trial "
            f"{number}); the best trial was {'PRUNED' if best_pruned else 'never pruned'}"
        )
    print(f"pruning pays: {'YES' if pays else 'NO'} (trials pruned, fewer epochs trained, same best value)")
    ratio = speed_check(none, median)
    return {
        "pruned_trials": median["trials_pruned"],
        "epochs_saved_fraction": saved_epochs,
        "train_seconds_per_epoch_ratio": ratio,
        "train_seconds_saved_fraction": saved_train,
        "study_wall_saved_fraction": saved_wall,
        "same_best_value": same_best,
        "pruning_pays": pays,
    }


# --------------------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    load_start = os.getloadavg()
    began = time.perf_counter()
    workspace = (args.output_dir or Path(tempfile.mkdtemp(prefix="hpo-overhead-"))).resolve()
    workspace.mkdir(parents=True, exist_ok=True)
    storage_url = f"sqlite:///{workspace / 'optuna.db'}"
    print(
        f"Load average at start: {' '.join(f'{value:.2f}' for value in load_start)}; workspace {workspace}", flush=True
    )
    try:
        corpus, schema, folds, described = prepare_data()
        if args.folds > described["n_folds"]:
            raise SystemExit(f"--folds {args.folds}: the splits have {described['n_folds']} folds")
        print(
            f"Corpus: {described['documents']} documents, {described['holdout_documents']} held out, "
            f"{described['n_folds']} folds (validation sizes {described['fold_validation_documents']}); "
            f"the studies use the first {args.folds}",
            flush=True,
        )
        training = training_base(args.threads)
        backbone_seconds = prebuild_backbones(corpus, folds, schema, workspace, training["base"], args.folds)
        print(
            f"Built the tiny-bert backbones of {args.folds} folds (untimed in the studies): {backbone_seconds:.1f} s",
            flush=True,
        )
        data = (corpus, schema, folds)

        overhead_space = {**shipped_search_space(), "epochs": {"type": "fixed", "value": args.epochs}}
        overhead: dict[str, dict] = {}
        for mode in MODES:
            print(
                f"Overhead study, {mode}: {args.trials} trials x {args.folds} folds x {args.epochs} epoch(s)...",
                flush=True,
            )
            overhead[mode] = run_one_study(
                f"overhead-{mode}",
                data,
                workspace,
                storage_url,
                training,
                mode,
                overhead_space,
                args.trials,
                args.folds,
                {"name": "none"},
                as_a_run=True,
            )
            print(f"  {overhead[mode]['study_wall_seconds']:.1f} s", flush=True)

        pruning: dict[str, dict[str, dict]] = {}
        if not args.skip_pruning:
            for case, epochs in pruning_cases(args.prune_epochs).items():
                prune_space = {**shipped_search_space(), "learning_rate": WIDE_LEARNING_RATE, "epochs": epochs}
                pruning[case] = {}
                for name, pruner in {"none": {"name": "none"}, "median": shipped_pruner()}.items():
                    print(
                        f"Pruning study ({case}), pruner {name}: {args.prune_trials} trials x {args.folds} "
                        f"folds, preloaded...",
                        flush=True,
                    )
                    pruning[case][name] = run_one_study(
                        f"pruning-{case}-{name}",
                        data,
                        workspace,
                        storage_url,
                        training,
                        "preloaded",
                        prune_space,
                        args.prune_trials,
                        args.folds,
                        pruner,
                    )
                    print(
                        f"  {pruning[case][name]['study_wall_seconds']:.1f} s, "
                        f"{pruning[case][name]['trials_pruned']} pruned",
                        flush=True,
                    )

        load_end = os.getloadavg()
        machine = machine_info()
        settings = {
            "quick": args.quick,
            "trials": args.trials,
            "epochs": args.epochs,
            "prune_trials": args.prune_trials,
            "prune_epochs": args.prune_epochs,
            "folds": args.folds,
            "threads": args.threads,
            "sampler": f"random(seed={SEED})",
            "backbone": "tiny-bert(64/128)",
            "max_length": 64,
            "stride": 16,
            "precision": "fp32",
        }
        print()
        print("Settings: " + ", ".join(f"{key}={value}" for key, value in settings.items()))
        print(
            f"Machine: {machine['usable_cpus']} usable CPU(s) of {machine['cpu_count']}, {machine['processor']}, "
            f"Python {machine['python']}, torch {machine['torch']}, transformers {machine['transformers']}, "
            f"optuna {machine['optuna']}"
        )
        verdicts = {"overhead": print_overhead(overhead)}
        for index, (case, studies) in enumerate(pruning.items()):
            verdicts[f"pruning_{case}"] = print_pruning(studies, f"{'ab'[index]}. Pruning, {case}")
        elapsed = time.perf_counter() - began
        print()
        print(
            "'training' = the children's own train_seconds (metrics.json: time inside the training epochs); "
            "'validation' = their evaluation_seconds; data preparation, model loading and checkpointing inside "
            "the child count as overhead."
        )
        print(
            f"Load average at start {' '.join(f'{v:.2f}' for v in load_start)}, at the end "
            f"{' '.join(f'{v:.2f}' for v in load_end)}; benchmark took {elapsed:.0f} s"
        )
        if args.json is not None:
            results = {
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "settings": settings
                | {
                    "training": training,
                    "overhead_search_space": overhead_space,
                    "corpus": str(RAW_CORPUS.relative_to(PROJECT)),
                    **described,
                },
                "machine": machine,
                "load_average_start": load_start,
                "load_average_end": load_end,
                "backbone_prebuild_seconds": backbone_seconds,
                "overhead": overhead,
                "pruning": pruning,
                "verdicts": verdicts,
                "benchmark_seconds": elapsed,
            }
            write_figures(args.json, results)
    finally:
        if args.output_dir is None:
            shutil.rmtree(workspace, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
