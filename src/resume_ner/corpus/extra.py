"""Extra training corpora: other labelled corpora whose documents join the training side only.

Each extra corpus maps its own labels into the main corpus's entity types. Its documents train every fold, refit
and the final model, but never sit in the hold-out set or a validation fold, so every score stays on the main
corpus; the hold-out set and the folds are the ones the main corpus alone would get. Documents that would teach
nothing are dropped and counted: those whose labels all drop, and those that near-duplicate a main document (they
would leak a hold-out or validation document's text into training).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from resume_ner.corpus import labels, near_duplicates, validation
from resume_ner.corpus.documents import Corpus, Document
from resume_ner.errors import UserInputError

logger = logging.getLogger(__name__)

# Extra documents' ids are "<corpus name>:<id>", so they never clash with the main corpus's or each other's.
ID_SEPARATOR = ":"

OtherLabelsPolicy = Literal["error", "drop"]


class ExtraCorpusError(UserInputError, ValueError):
    """An extra corpus that cannot join the main one as configured (its message says which and how to fix it)."""


@dataclass(frozen=True)
class ExtraCorpusSettings:
    """How one extra corpus joins: its label mapping, and what happens to labels the main corpus does not have."""

    label_mapping: labels.LabelMapping
    other_labels: OtherLabelsPolicy = "error"


def map_into_schema(
    name: str,
    corpus: Corpus,
    entity_types: set[str],
    settings: ExtraCorpusSettings,
    empty_texts: validation.EmptyTextPolicy = "drop",
    overlapping_spans: labels.OverlapPolicy = "keep_longest",
) -> tuple[Corpus, dict]:
    """``corpus`` with its labels mapped into ``entity_types``, overlaps resolved, documents without a span left
    dropped and ids prefixed with ``name``; and a report of what was read, dropped and kept."""
    texts = validation.apply_empty_text_policy(corpus, empty_texts)
    mapped = labels.apply_label_mapping(texts, settings.label_mapping)
    foreign = sorted(set(mapped.label_counts()) - entity_types)
    if foreign and settings.other_labels == "error":
        raise ExtraCorpusError(
            f"Extra corpus {name} ({corpus.source}) has label(s) {foreign} that the main corpus does not have "
            f"({', '.join(sorted(entity_types))}); rename them in extra_corpora.{name}.label_mapping, drop them, "
            f"or set extra_corpora.{name}.other_labels: drop"
        )
    if foreign:
        mapped = labels.apply_label_mapping(mapped, labels.LabelMapping(drop=foreign))
    resolved = labels.resolve_overlaps(mapped, overlapping_spans)
    kept = [Document(f"{name}{ID_SEPARATOR}{doc.id}", doc.text, doc.spans, doc.where) for doc in resolved if doc.spans]
    report = {
        "source": corpus.source,
        "documents_read": len(corpus),
        "dropped_empty_text": len(corpus) - len(texts),
        "dropped_no_labels_left": len(resolved) - len(kept),
        "labels_dropped_as_foreign": foreign,
        "documents": len(kept),
    }
    if report["dropped_no_labels_left"]:
        logger.info(
            "Extra corpus %s: %d of %d document(s) dropped, no label left after mapping into the main schema",
            name,
            report["dropped_no_labels_left"],
            len(corpus),
        )
    return Corpus(tuple(kept), source=corpus.source), report


def near_duplicates_of_main(main: Corpus, extra: Corpus, ngram: int, threshold: float) -> set[str]:
    """Ids of the ``extra`` documents that are near-duplicates of a ``main`` document."""
    if not len(extra):
        return set()
    main_ids = set(main.ids())
    joined = Corpus(main.documents + extra.documents, source=main.source)
    leaking = {
        doc_id
        for group in near_duplicates.near_duplicate_groups(joined, ngram, threshold)
        if len(group) > 1 and not main_ids.isdisjoint(group)
        for doc_id in group
        if doc_id not in main_ids
    }
    if leaking:
        logger.warning(
            "Extra corpora: %d document(s) dropped as near-duplicates of main-corpus documents (they would leak "
            "hold-out or validation text into training), e.g. %s",
            len(leaking),
            sorted(leaking)[:3],
        )
    return leaking


def join(main: Corpus, extra: Corpus) -> Corpus:
    """One corpus: the main documents, then the extra ones (ids checked unique, named in the error)."""
    clashes = sorted(set(main.ids()) & set(extra.ids()))
    if clashes:
        raise ExtraCorpusError(
            f"Extra corpus document id(s) {clashes[:3]} are also ids of the main corpus {main.source}; rename the "
            f"extra corpus (its name prefixes its ids)"
        )
    return Corpus(main.documents + extra.documents, source=main.source)
