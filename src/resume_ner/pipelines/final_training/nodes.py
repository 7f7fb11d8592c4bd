"""The final model's model card. The final model learned from every labelled document, the hold-out set
included, so nothing can score it honestly: its expected quality is refit's hold-out score (the same
configuration trained on fewer documents)."""

from __future__ import annotations

from resume_ner.model_card import entity_count, lineage_section, score_sections, training_section


def write_model_card(
    lineage: dict, metrics: dict, expected_quality: dict, holdout_split: dict, corpus_report: dict
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
{lineage_section(lineage)}"""
