"""Entity metrics of a Hugging Face ``Trainer``'s window logits, computed as our training program's ``evaluate``
computes them: argmax per window position, each token from the window that owns it, one tag per word (its first
sub-token under the "first" policy), BIO repaired, seqeval strict. The Trainer children of
``training_throughput.py`` and ``hpo_vs_trainer.py`` use it as ``compute_metrics``, so the Trainer is judged by
the same figure as our runs."""

from __future__ import annotations

from resume_ner.corpus.labels import LabelSchema
from resume_ner.tagging import EncodedDocument, merge_window_predictions
from resume_ner.tagging.alignment import SubtokenPolicy, repair_bio, unit_tag_ids
from resume_ner.training.metrics import entity_metrics, tags_from_ids


def window_entity_metrics(
    logits, documents: list[EncodedDocument], schema: LabelSchema, policy: SubtokenPolicy
) -> dict:
    """seqeval entity metrics (``training.metrics.entity_metrics``) of ``logits`` (one row per window of
    ``documents``, in order; a tuple's first item is taken, as Trainer may pass one) against the documents' tags."""
    logits = logits[0] if isinstance(logits, tuple) else logits
    best = logits.argmax(-1)
    windows = [window for document in documents for window in document.windows]
    per_window = [best[row, : len(window)].tolist() for row, window in enumerate(windows)]
    gold_tags, predicted_tags, cursor = [], [], 0
    for document in documents:
        if document.tag_ids is None:
            raise ValueError("window_entity_metrics needs documents encoded with their gold tags")
        own = per_window[cursor : cursor + len(document.windows)]
        cursor += len(document.windows)
        merged = merge_window_predictions(list(document.windows), own, len(document.tokens))
        gold = unit_tag_ids(document.tokens, list(document.tag_ids), policy)
        predicted = repair_bio(unit_tag_ids(document.tokens, merged, policy), schema)
        gold_tags.append(tags_from_ids(gold, schema))
        predicted_tags.append(tags_from_ids(predicted, schema))
    return entity_metrics(gold_tags, predicted_tags)
