"""Nodes of the data_processing pipeline: fix the label set, then split the corpus for tuning and evaluation."""

from __future__ import annotations

import logging
import statistics

from resume_ner.corpus import extra, labels, near_duplicates, overlap, splits, validation
from resume_ner.corpus.documents import Corpus
from resume_ner.errors import UserInputError
from resume_ner.pipelines.data_processing.parameters import (
    CorpusParameters,
    ExtraCorporaParameters,
    ExtraCorpusParameters,
    SplitParameters,
)

logger = logging.getLogger(__name__)


def map_labels(raw_corpus: Corpus, corpus_params: CorpusParameters) -> Corpus:
    """Drop (or refuse) documents with empty texts, then rename, merge and drop entity labels so the corpus uses
    the label set the user wants.

    The empty-text policy is applied here because this is the first step that sees the parameters (loading cannot).
    A mapping that leaves no entity at all stops here, before ``corpus.json`` is written, naming the drop list.
    """
    texts = validation.apply_empty_text_policy(raw_corpus, corpus_params.empty_texts)
    mapped = labels.apply_label_mapping(texts, corpus_params.label_mapping)
    if not mapped.label_counts():
        present = sorted(raw_corpus.label_counts())
        if present:  # only drop removes spans: a rename to an empty name is refused with the parameters
            raise UserInputError(
                f"Corpus {raw_corpus.source} has no entity spans left after label mapping: corpus.label_mapping.drop "
                f"removes every label it has ({', '.join(present)}); drop fewer labels"
            )
        raise UserInputError(f"Corpus {raw_corpus.source} has no entity spans, so there is nothing to learn")
    return mapped


def resolve_overlaps(mapped_corpus: Corpus, corpus_params: CorpusParameters) -> Corpus:
    """Make every document's spans disjoint, or fail listing the overlaps (``overlapping_spans`` policy)."""
    return labels.resolve_overlaps(mapped_corpus, corpus_params.overlapping_spans)


def prepare_extra_corpora(
    extra_corpora: dict[str, Corpus],
    main_corpus: Corpus,
    extra_params: ExtraCorporaParameters,
    corpus_params: CorpusParameters,
    split_params: SplitParameters,
) -> tuple[Corpus, dict]:
    """The extra corpora's documents, mapped into the main corpus's labels, ready to join the training side only;
    and what became of each corpus's documents.

    Documents whose labels all drop, and those that near-duplicate a main document, are dropped and counted. With
    no extra corpus (the default) this is an empty corpus.
    """
    unknown = sorted(set(extra_params.root) - set(extra_corpora))
    if unknown:
        raise extra.ExtraCorpusError(
            f"parameters extra_corpora.{unknown[0]}: no such corpus in the catalog's extra_corpora "
            f"(it has: {', '.join(sorted(extra_corpora)) or 'none'}); add it there or remove the parameters"
        )
    entity_types = set(main_corpus.label_counts())
    mapped: dict[str, Corpus] = {}
    reports: dict[str, dict] = {}
    for name, corpus in sorted(extra_corpora.items()):
        settings = extra_params.root.get(name, ExtraCorpusParameters()).settings()
        mapped[name], reports[name] = extra.map_into_schema(
            name, corpus, entity_types, settings, corpus_params.empty_texts, corpus_params.overlapping_spans
        )
    every = Corpus(tuple(doc for corpus in mapped.values() for doc in corpus), source="extra_corpora")
    near = split_params.near_duplicates
    leaking = extra.near_duplicates_of_main(main_corpus, every, near.ngram, near.threshold)
    for name, corpus in mapped.items():
        kept = corpus.replace(doc for doc in corpus if doc.id not in leaking)
        reports[name]["dropped_near_duplicates_of_main"] = len(corpus) - len(kept)
        reports[name]["documents"] = len(kept)
        reports[name]["entities_per_type"] = dict(sorted(kept.label_counts().items()))
        logger.info("Extra corpus %s: %d training-only document(s) from %s", name, len(kept), corpus.source)
        mapped[name] = kept
    return every.replace(doc for corpus in mapped.values() for doc in corpus), reports


def join_corpora(main_corpus: Corpus, extra_training_documents: Corpus) -> Corpus:
    """The corpus every run reads: the main documents, then the extra training-only ones."""
    return extra.join(main_corpus, extra_training_documents)


def build_label_schema(corpus: Corpus) -> dict:
    """The entity types, BIO tags and tag ids that every later step uses."""
    schema = labels.LabelSchema.from_corpus(corpus)
    logger.info("Label schema: %d entity types, %d tags", len(schema.entity_types), len(schema.tags))
    return schema.to_dict()


def group_near_duplicates(corpus: Corpus, split_params: SplitParameters) -> dict:
    """Groups of near-duplicate documents (shared word n-grams) that must stay on one side of every split."""
    settings = split_params.near_duplicates
    groups = near_duplicates.near_duplicate_groups(corpus, settings.ngram, settings.threshold)
    shared = [group for group in groups if len(group) > 1]
    logger.info("Near-duplicates: %d group(s) holding %d documents", len(shared), sum(map(len, shared)))
    return {
        "corpus_fingerprint": corpus.fingerprint(),
        "ngram": settings.ngram,
        "threshold": settings.threshold,
        "groups": groups,
    }


def split_holdout(
    corpus: Corpus, document_groups: dict, extra_training_documents: Corpus, split_params: SplitParameters
) -> dict:
    """Set aside a stratified, seeded hold-out set for the final evaluation; extra documents train only."""
    holdout = splits.split_holdout(
        corpus,
        document_groups,
        split_params.holdout_fraction,
        split_params.seed,
        training_only=extra_training_documents.ids(),
    )
    logger.info("Hold-out split: %d training and %d hold-out documents", len(holdout["train"]), len(holdout["holdout"]))
    return holdout


def make_folds(corpus: Corpus, document_groups: dict, holdout_split: dict, split_params: SplitParameters) -> dict:
    """Stratified, seeded k-fold splits of the training documents for cross-validated tuning."""
    folds = splits.make_folds(corpus, document_groups, holdout_split, split_params.n_folds, split_params.seed)
    logger.info("Folds: %s validation documents", [len(fold["validation"]) for fold in folds["folds"]])
    return folds


def summarise_corpus(corpus: Corpus, holdout_split: dict, folds: dict, extra_corpora_report: dict) -> dict:
    """Corpus statistics for people: sizes, lengths and entity counts per split, how many of each evaluation
    split's entity mentions (text and type) its training side already contains, and what each extra training
    corpus contributed (its documents are in ``train`` and ``training_only``)."""
    by_id = corpus.by_id()

    def describe(ids: list[str]) -> dict:
        subset = corpus.subset(ids)
        lengths = [len(doc.text) for doc in subset] or [0]
        return {
            "documents": len(subset),
            "entities": sum(subset.label_counts().values()),
            "characters_median": statistics.median(lengths),
            "characters_max": max(lengths),
            "entities_per_type": dict(sorted(subset.label_counts().items())),
        }

    return {
        "source": corpus.source,
        "corpus_fingerprint": corpus.fingerprint(),
        "corpus": describe(list(by_id)),
        "train": describe(holdout_split["train"]),
        "holdout": describe(holdout_split["holdout"]),
        "folds": [describe(fold["validation"]) for fold in folds["folds"]],
        "training_only": describe(holdout_split.get("training_only", [])),
        "extra_corpora": extra_corpora_report,
        "mention_overlap": overlap.split_overlap(corpus, holdout_split, folds),
    }
