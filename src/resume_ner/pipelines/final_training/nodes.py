"""The final model's model card. The final model learned from every labelled document, the hold-out set
included, so nothing can score it honestly: its expected quality is refit's hold-out score (the same
configuration trained on fewer documents)."""

from __future__ import annotations

import logging
from pathlib import Path

from resume_ner.corpus.documents import Corpus
from resume_ner.execution.steps import RunResult
from resume_ner.model_card import (
    entity_count,
    latency_section,
    lineage_section,
    parity_section,
    score_sections,
    training_section,
)
from resume_ner.pipelines.training_run.parameters import ServingParameters

logger = logging.getLogger(__name__)

# The latency table's rows: (runtime, precision) per row name.
LATENCY_RUNTIMES = {
    "torch fp32": ("torch", "fp32"),
    "torch bf16": ("torch", "bf16"),
    "onnx fp32": ("onnx", "fp32"),
    "onnx int8": ("onnx-int8", "fp32"),
}


def measure_latency(
    model: Path, onnx_model: Path, corpus: Corpus, holdout_split: dict, serving: ServingParameters
) -> dict:
    """Milliseconds per resume one at a time (p50, p95) and resumes per second in batches of
    ``serving.latency_batch_size``, on the hold-out texts, for PyTorch fp32, PyTorch bf16 (where this CPU has it
    natively), ONNX fp32 and ONNX int8, with the machine it ran on."""
    import torch

    from resume_ner.export.measure import latency, machine
    from resume_ner.predict import Predictor
    from resume_ner.training.model import native_bf16

    texts = [document.text for document in corpus.subset(holdout_split["holdout"])][: serving.latency_texts]
    rows: dict[str, dict | None] = {}
    for name, (runtime, precision) in LATENCY_RUNTIMES.items():
        if precision == "bf16" and not native_bf16(torch.device("cpu")):
            rows[name] = None
            continue
        predictor = Predictor.load(model if runtime == "torch" else onnx_model, runtime=runtime, precision=precision)
        figures = rows[name] = latency(predictor, texts, serving.latency_batch_size)
        logger.info(
            "Latency, %s: %.1f ms per resume (p50), %.1f (p95); %.1f resumes/s in batches of %d",
            name,
            figures["p50_ms"],
            figures["p95_ms"],
            figures["resumes_per_second"],
            serving.latency_batch_size,
        )
    return {"machine": machine(), "texts": len(texts), "batch_size": serving.latency_batch_size, "runtimes": rows}


def package_serving_model(model: Path, onnx_model: Path, export_parity: dict, run_result: RunResult) -> str:
    """The folder to serve (``resume_ner.serving.model``) in the run folder's ``serving/``: the exported model,
    with the PyTorch weights too when refit's parity check chose torch, and ``serving.json`` naming the runtime."""
    from resume_ner.serving.model import package_serving_folder

    runtime = export_parity["serving_runtime"]
    target = package_serving_folder(Path(model), Path(onnx_model), runtime, Path(run_result.run_dir) / "serving")
    logger.info("Serving %s with the %s runtime (refit's export parity)", target, runtime)
    return str(target)


def latency_for_mlflow(latency: dict) -> dict:
    """The latency table as MLflow metrics (prefixed ``latency.`` by the catalog): ``onnx_int8.p50_ms``, ..."""
    metrics = {}
    for name, figures in latency["runtimes"].items():
        for key in ("p50_ms", "p95_ms", "resumes_per_second"):
            if figures:
                metrics[f"{name.replace(' ', '_')}.{key}"] = {"value": float(figures[key]), "step": 0}
    return metrics


def write_model_card(
    lineage: dict,
    metrics: dict,
    expected_quality: dict,
    holdout_split: dict,
    corpus_report: dict,
    export_parity: dict,
    latency: dict,
) -> str:
    """The shipped model's markdown model card: its data, hyperparameters and lineage, with refit's hold-out
    scores (``expected_quality``, the ``holdout_metrics`` dataset) as the quality to expect and how many more
    documents this model saw than refit (which trains on ``holdout_split``'s training documents)."""
    documents = corpus_report.get("corpus", {}).get("documents", "?")
    trained, refit_trained = metrics.get("train_documents"), len(holdout_split["train"])
    more = (
        f"{trained - refit_trained} more documents than refit ({refit_trained})"
        if isinstance(trained, int)
        else "more documents than refit"
    )
    held_out = expected_quality["documents"]
    return f"""# Model card: resume-ner final model

A token-classification model that finds entities in resumes ({entity_count(expected_quality)} entity types).

## Data
- Corpus: {documents} documents, fingerprint `{lineage["corpus_fingerprint"]}`.
- Trained on every labelled document, the {held_out} hold-out documents included: {more}.
- Splits: fingerprint `{lineage["splits_fingerprint"]}`.

{training_section(lineage, metrics)}
## Expected quality (refit's hold-out scores)
This model has seen the hold-out documents, so it is not scored on them. The figures below are refit's: the same
configuration trained on the training documents ({refit_trained}) and scored
on the {held_out} hold-out documents it never saw. This model learned from {more}, so expect at least this.

{score_sections(expected_quality)}
{parity_section(export_parity)}
{latency_section(latency)}
{lineage_section(lineage)}"""
