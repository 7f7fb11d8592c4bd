"""Nodes after the refit model is trained: its hold-out evaluation (the honest estimate of production quality)
and its model card."""

from __future__ import annotations

import logging
import posixpath
from pathlib import Path

from resume_ner.corpus.documents import Corpus
from resume_ner.corpus.splits import check_fingerprint
from resume_ner.execution.steps import TrainingParameters
from resume_ner.model_card import entity_count, lineage_section, parity_section, score_sections, training_section
from resume_ner.pipelines.training_run.parameters import ServingParameters

logger = logging.getLogger(__name__)


def evaluate_on_holdout(model: Path, corpus: Corpus, holdout_split: dict, training: TrainingParameters) -> dict:
    """Entity micro/macro F1 and the per-entity table of ``model`` on the hold-out documents, each predicted
    whole from its raw text by ``resume_ner.predict``, and character-span strict/relaxed scores."""
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


def check_export_parity(
    model: Path, onnx_model: Path, corpus: Corpus, holdout_split: dict, serving: ServingParameters
) -> dict:
    """How the ONNX exports of ``model`` compare with it on the hold-out texts: the share of spans each predicts
    as PyTorch does, their strict character-span F1, whether fp32 and int8 meet their bars, and so the runtime
    to serve (int8 where it holds). The final model shares refit's configuration and export path, so refit's
    parity stands for it (the final model saw the hold-out set)."""
    from resume_ner.export.measure import export_parity
    from resume_ner.predict import RUNTIMES, Predictor

    check_fingerprint(holdout_split, corpus, "holdout_split")
    holdout = corpus.subset(holdout_split["holdout"])
    texts = [document.text for document in holdout]
    predictions = {
        runtime: Predictor.load(model if runtime == "torch" else onnx_model, runtime=runtime).predict(texts)
        for runtime in RUNTIMES
    }
    parity = export_parity(
        predictions, [document.spans for document in holdout], serving.min_span_agreement, serving.max_int8_f1_loss
    )
    runtimes = parity["runtimes"]
    logger.info(
        "Export parity on %d hold-out documents: ONNX fp32 predicts %.2f%% of spans as PyTorch does (%s); int8 "
        "strict F1 %.4f against PyTorch's %.4f (%s); serving runtime: %s",
        parity["documents"],
        100 * runtimes["onnx"]["span_agreement"],
        "holds" if parity["onnx_parity_holds"] else "below the bar",
        runtimes["onnx-int8"]["char_strict_micro_f1"],
        runtimes["torch"]["char_strict_micro_f1"],
        "holds" if parity["int8_parity_holds"] else "below the bar",
        parity["serving_runtime"],
    )
    return parity


def export_parity_for_mlflow(export_parity: dict) -> dict:
    """The parity figures as MLflow metrics (prefixed ``parity.`` by the catalog)."""
    metrics = {"int8_f1_loss": export_parity["int8_f1_loss"]}
    for runtime, figures in export_parity["runtimes"].items():
        name = runtime.replace("-", "_")
        metrics[f"{name}.span_agreement"] = figures["span_agreement"]
        metrics[f"{name}.char_strict_micro_f1"] = figures["char_strict_micro_f1"]
    return {key: {"value": float(value), "step": 0} for key, value in metrics.items()}


def write_model_card(
    lineage: dict, metrics: dict, holdout_metrics: dict, corpus_report: dict, export_parity: dict
) -> str:
    """refit's markdown model card: the data it saw, its hyperparameters, its hold-out scores and its lineage."""
    documents = corpus_report.get("corpus", {}).get("documents", "?")
    held_out = f"{holdout_metrics['documents']} hold-out documents ({holdout_metrics['gold_entities']} entities)"
    return f"""# Model card: resume-ner refit model (the quality estimate)

The best configuration trained on the training documents and scored on the hold-out set, which it never saw: the
estimate of the final model's quality ({entity_count(holdout_metrics)} types scored on the hold-out set).

## Data
- Corpus: {documents} documents, fingerprint `{lineage["corpus_fingerprint"]}`.
- Splits: fingerprint `{lineage["splits_fingerprint"]}`; trained on every training document, scored on the
  {held_out}, never seen in training.

{training_section(lineage, metrics)}
## Hold-out scores
{score_sections(holdout_metrics)}
{parity_section(export_parity)}
{lineage_section(lineage)}"""


def _metric_safe(name: str) -> str:
    """MLflow metric names allow letters, digits, and _ - . space / only, and must read the same as a path
    (``Skills/`` or ``a//b`` do not: MLflow rejects them), so there ``/`` becomes ``_`` too."""
    safe = "".join(char if char.isalnum() or char in "_-. /" else "_" for char in name)
    return safe if posixpath.normpath(safe) == safe else safe.replace("/", "_")
