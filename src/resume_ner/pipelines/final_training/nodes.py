"""Nodes after the production model is trained: hold-out evaluation and the model card."""

from __future__ import annotations

import logging
import posixpath
from pathlib import Path

from resume_ner.corpus.documents import Corpus
from resume_ner.corpus.splits import check_fingerprint
from resume_ner.execution.steps import TrainingParameters

logger = logging.getLogger(__name__)


def evaluate_on_holdout(model: Path, corpus: Corpus, holdout_split: dict, training: TrainingParameters) -> dict:
    """Entity micro/macro F1 and the per-entity table of ``model`` on the hold-out documents, each predicted
    whole from its raw text by ``resume_ner.predict``."""
    from resume_ner.predict import Predictor
    from resume_ner.predict.evaluation import evaluate_corpus
    from resume_ner.training.model import resolve_device

    check_fingerprint(holdout_split, corpus, "holdout_split")
    device = str(resolve_device(training.base.device))
    predictor = Predictor.load(model, device=device)
    metrics = evaluate_corpus(predictor, corpus.subset(holdout_split["holdout"]))
    logger.info(
        "Hold-out: micro F1 %.4f (P %.4f, R %.4f), macro F1 %.4f; character spans strict F1 %.4f, relaxed %.4f; "
        "on %d documents, %d entities",
        metrics["micro_f1"],
        metrics["micro_precision"],
        metrics["micro_recall"],
        metrics["macro_f1"],
        metrics["char_strict_micro_f1"],
        metrics["char_relaxed_micro_f1"],
        metrics["documents"],
        metrics["gold_entities"],
    )
    return metrics


def holdout_metrics_for_mlflow(holdout_metrics: dict) -> dict:
    """The hold-out figures as MLflow metrics; the catalog prefixes them (``holdout.micro_f1``,
    ``holdout.f1.SKILL``, ``holdout.char_strict_micro_f1``, ``holdout.char_strict.f1.SKILL``)."""
    metrics = {
        key: value
        for key, value in holdout_metrics.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }
    for entity_type, scores in holdout_metrics.get("per_entity", {}).items():
        metrics[_metric_safe(f"f1.{entity_type}")] = scores["f1"]
    for mode, table in holdout_metrics.get("char_spans", {}).items():
        for entity_type, scores in table["per_entity"].items():
            metrics[_metric_safe(f"char_{mode}.f1.{entity_type}")] = scores["f1"]
    return {key: {"value": float(value), "step": 0} for key, value in metrics.items()}


def write_model_card(lineage: dict, metrics: dict, holdout_metrics: dict, corpus_report: dict) -> str:
    """A markdown model card: what the model tags, the data, the hyperparameters, the scores and the lineage."""
    per_entity = holdout_metrics.get("per_entity", {})
    rows = "\n".join(
        f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |"
        for name, s in sorted(per_entity.items(), key=lambda item: -item[1]["f1"])
    )
    strict, relaxed = holdout_metrics["char_spans"]["strict"], holdout_metrics["char_spans"]["relaxed"]
    char_rows = "\n".join(
        f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | "
        f"{relaxed['per_entity'][name]['f1']:.3f} | {s['support']} |"
        for name, s in sorted(strict["per_entity"].items(), key=lambda item: -item[1]["f1"])
    )
    characters = (
        f"strict micro F1 **{strict['micro_f1']:.3f}** (P {strict['micro_precision']:.3f}, "
        f"R {strict['micro_recall']:.3f}); relaxed (overlapping, same type) micro F1 {relaxed['micro_f1']:.3f}"
    )
    params = "\n".join(f"| {key} | {value} |" for key, value in sorted(lineage["hyperparameters"].items()))
    packages = ", ".join(f"{name} {version}" for name, version in lineage["packages"].items())
    documents = corpus_report.get("corpus", {}).get("documents", "?")
    trial = lineage.get("best_trial_number")
    held_out = f"{holdout_metrics['documents']} hold-out documents ({holdout_metrics['gold_entities']} entities)"
    run_facts = f"{metrics.get('device', '?')} ({metrics.get('precision', '?')})"
    micro = (
        f"micro F1 **{holdout_metrics['micro_f1']:.3f}** (P {holdout_metrics['micro_precision']:.3f}, "
        f"R {holdout_metrics['micro_recall']:.3f}); macro F1 {holdout_metrics['macro_f1']:.3f}"
    )
    study = lineage.get("study_name") or "none (hand-written best parameters)"
    best_trial = f"{'-' if trial is None else trial} (run {lineage.get('best_trial_run_id') or '-'})"
    dirty = " (uncommitted changes)" if lineage["git_dirty"] is True else ""
    return f"""# Model card: resume-ner final model

A token-classification model that finds entities in resumes ({len(per_entity)} types scored on the hold-out set).

## Data
- Corpus: {documents} documents, fingerprint `{lineage["corpus_fingerprint"]}`.
- Splits: fingerprint `{lineage["splits_fingerprint"]}`; trained on every training document, scored on the
  {held_out}, never seen in training.

## Training
- Backbone and settings: `{lineage["run_dir"]}/config.json`.
- Epochs: {lineage["epochs"]} ({lineage["epochs_reason"]}).
- Training time: {metrics.get("wall_seconds", 0):.0f} s on {run_facts}.

| hyperparameter | value |
|---|---|
{params}

## Hold-out scores on character spans of the original text (what users get)
- {characters}.

| entity | strict precision | strict recall | strict F1 | relaxed F1 | support |
|---|---|---|---|---|---|
{char_rows}

## Hold-out scores (entity level, seqeval strict IOB2 on word units)
- {micro}.

| entity | precision | recall | F1 | support |
|---|---|---|---|---|
{rows}

## Lineage
- Study: {study}; study run {lineage.get("study_run_id") or "-"}.
- Best trial: {best_trial}; hyperparameters hash `{lineage["hyperparameters_hash"]}`.
- MLflow run of this model: {lineage.get("mlflow_run_id") or "-"}.
- Code: git commit `{lineage["git_commit"]}`{dirty}.
- Packages: {packages}.
"""


def _metric_safe(name: str) -> str:
    """MLflow metric names allow letters, digits, and _ - . space / only, and must read the same as a path
    (``Skills/`` or ``a//b`` do not: MLflow rejects them), so there ``/`` becomes ``_`` too."""
    safe = "".join(char if char.isalnum() or char in "_-. /" else "_" for char in name)
    return safe if posixpath.normpath(safe) == safe else safe.replace("/", "_")
