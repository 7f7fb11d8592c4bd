"""Model cards: one markdown page per trained model (what it tags, its data, hyperparameters, scores, lineage).

refit's card reports the hold-out scores of the refit model itself; the final model's card reports refit's scores
as its expected quality, since the final model learned from the hold-out documents and cannot be scored on them.
"""

from __future__ import annotations


def score_sections(holdout_metrics: dict) -> str:
    """The hold-out scores: character spans (strict and relaxed, per type) and seqeval's word-level table."""
    strict, relaxed = holdout_metrics["char_spans"]["strict"], holdout_metrics["char_spans"]["relaxed"]
    char_rows = "\n".join(
        f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | "
        f"{relaxed['per_entity'][name]['f1']:.3f} | {s['support']} |"
        for name, s in sorted(strict["per_entity"].items(), key=lambda item: -item[1]["f1"])
    )
    rows = "\n".join(
        f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |"
        for name, s in sorted(holdout_metrics.get("per_entity", {}).items(), key=lambda item: -item[1]["f1"])
    )
    characters = (
        f"strict micro F1 **{strict['micro_f1']:.3f}** (P {strict['micro_precision']:.3f}, "
        f"R {strict['micro_recall']:.3f}); relaxed (overlapping, same type) micro F1 {relaxed['micro_f1']:.3f}"
    )
    words = (
        f"micro F1 **{holdout_metrics['micro_f1']:.3f}** (P {holdout_metrics['micro_precision']:.3f}, "
        f"R {holdout_metrics['micro_recall']:.3f}); macro F1 {holdout_metrics['macro_f1']:.3f}"
    )
    return f"""### On character spans of the original text (what users get)
- {characters}.

| entity | strict precision | strict recall | strict F1 | relaxed F1 | support |
|---|---|---|---|---|---|
{char_rows}

### Entity level (seqeval strict IOB2 on word units)
- {words}.

| entity | precision | recall | F1 | support |
|---|---|---|---|---|
{rows}
"""


def training_section(lineage: dict, metrics: dict) -> str:
    """Backbone settings, epochs, training time and documents, and the hyperparameter table."""
    params = "\n".join(f"| {key} | {value} |" for key, value in sorted(lineage["hyperparameters"].items()))
    ran_on = f"{metrics.get('wall_seconds', 0):.0f} s on {metrics.get('device', '?')} ({metrics.get('precision', '?')})"
    return f"""## Training
- Backbone and settings: `{lineage["run_dir"]}/config.json`.
- Epochs: {lineage["epochs"]} ({lineage["epochs_reason"]}).
- Trained on {metrics.get("train_documents", "?")} documents in {ran_on}.

| hyperparameter | value |
|---|---|
{params}
"""


def lineage_section(lineage: dict) -> str:
    """Study, best trial, MLflow run, code and packages."""
    packages = ", ".join(f"{name} {version}" for name, version in lineage["packages"].items())
    study = lineage.get("study_name") or "none (hand-written best parameters)"
    trial = lineage.get("best_trial_number")
    best_trial = f"{'-' if trial is None else trial} (run {lineage.get('best_trial_run_id') or '-'})"
    dirty = " (uncommitted changes)" if lineage["git_dirty"] is True else ""
    return f"""## Lineage
- Study: {study}; study run {lineage.get("study_run_id") or "-"}.
- Best trial: {best_trial}; hyperparameters hash `{lineage["hyperparameters_hash"]}`.
- MLflow run of this model: {lineage.get("mlflow_run_id") or "-"}.
- Code: git commit `{lineage["git_commit"]}`{dirty}.
- Packages: {packages}.
"""


def entity_count(holdout_metrics: dict) -> int:
    """How many entity types the hold-out set scored."""
    return len(holdout_metrics.get("per_entity", {}))


def parity_section(export_parity: dict) -> str:
    """The ONNX exports against PyTorch on the hold-out texts, and the runtime to serve."""
    runtimes = export_parity["runtimes"]
    rows = "\n".join(
        f"| {runtime} | {figures['span_agreement']:.4f} | {figures['char_strict_micro_f1']:.3f} | "
        f"{figures['char_relaxed_micro_f1']:.3f} |"
        for runtime, figures in runtimes.items()
    )
    onnx = "holds" if export_parity["onnx_parity_holds"] else "does not hold"
    int8 = "holds" if export_parity["int8_parity_holds"] else "does not hold"
    lost = f"{export_parity['int8_f1_loss']:.4f}"
    return f"""## Exports (ONNX) against PyTorch, on the {export_parity["documents"]} hold-out texts
- fp32 ONNX parity (at least {export_parity["min_span_agreement"]:.1%} of spans the same as PyTorch's): {onnx}.
- int8 ONNX parity (at most {export_parity["max_int8_f1_loss"]:.3f} strict F1 lost; lost {lost}): {int8}.
- Runtime to serve: **{export_parity["serving_runtime"]}**.

| runtime | span agreement with PyTorch | strict F1 | relaxed F1 |
|---|---|---|---|
{rows}
"""


def latency_section(latency: dict) -> str:
    """Milliseconds per resume (batch 1, p50 and p95) and resumes per second in batches, per runtime."""
    machine = latency["machine"]
    where = f"{machine['processor']} ({machine['cpus']} CPUs, {machine['torch_threads']} torch threads)"
    rows = "\n".join(
        f"| {runtime} | {figures['p50_ms']:.1f} | {figures['p95_ms']:.1f} | {figures['resumes_per_second']:.1f} |"
        if figures
        else f"| {runtime} | - | - | - (not native on this machine) |"
        for runtime, figures in latency["runtimes"].items()
    )
    return f"""## Latency
{latency["texts"]} hold-out resumes on {where}; batch 1 per resume, and {latency["batch_size"]} resumes per call
for the throughput.

| runtime | p50 ms per resume | p95 ms per resume | resumes per second (batch {latency["batch_size"]}) |
|---|---|---|---|
{rows}
"""
