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
