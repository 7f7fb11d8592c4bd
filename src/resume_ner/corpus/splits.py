"""Hold-out and k-fold splits: seeded, stratified on entity types, near-duplicate groups kept together.

Stratification follows iterative stratification for multi-label data (Sechidis, Tsoumakas and Vlahavas, 2011),
applied to groups of documents instead of single documents: the rarest entity type is placed first, each group
goes to the split that still needs that type most.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Sequence

from resume_ner.corpus.documents import Corpus
from resume_ner.errors import UserInputError

# The fold that trains on every document, the hold-out set included: the final model, which nothing scores after.
ALL_WITH_HOLDOUT = "all_with_holdout"


class SplitsMismatchError(UserInputError, ValueError):
    """Splits were made from another corpus than the one they are used with."""


class SplitError(UserInputError, ValueError):
    """The corpus cannot be split as the parameters ask (more splits than groups of documents)."""


def assign_groups(
    groups: list[list[str]], entity_types: dict[str, frozenset[str]], proportions: list[float], seed: int
) -> list[int]:
    """For each group, the index of the split it goes to; split ``i`` gets about ``proportions[i]`` of the
    documents and of the documents holding each entity type. Every split gets at least one group."""
    if len(groups) < len(proportions):
        raise SplitError(f"cannot make {len(proportions)} splits from {len(groups)} document group(s)")
    rng = random.Random(seed)
    group_types = [frozenset().union(*(entity_types[doc_id] for doc_id in group)) for group in groups]
    total_docs = sum(len(group) for group in groups)
    docs_with_type = Counter(t for group in groups for doc_id in group for t in entity_types[doc_id])
    wanted_docs = [share * total_docs for share in proportions]
    wanted_by_type = {t: [share * count for share in proportions] for t, count in docs_with_type.items()}
    assignment = [-1] * len(groups)
    empty_splits = set(range(len(proportions)))
    # The groups not placed yet, in their order: a dict, so that placing one is O(1) (list.remove made assigning
    # 100,000 groups quadratic) while iteration keeps the order the seeded shuffles below depend on.
    remaining = dict.fromkeys(range(len(groups)))

    def place(index: int, entity_type: str | None) -> None:
        candidates: Sequence[int] = range(len(proportions))
        if len(remaining) <= len(empty_splits):
            candidates = sorted(empty_splits)
        need = wanted_by_type[entity_type] if entity_type is not None else wanted_docs
        chosen = max(candidates, key=lambda s: (need[s], wanted_docs[s], rng.random()))
        assignment[index] = chosen
        empty_splits.discard(chosen)
        size = len(groups[index])
        wanted_docs[chosen] -= size
        for doc_id in groups[index]:
            for t in entity_types[doc_id]:
                wanted_by_type[t][chosen] -= 1
        del remaining[index]

    while remaining:
        left = Counter(t for index in remaining for doc_id in groups[index] for t in entity_types[doc_id])
        if not left:
            order = list(remaining)
            rng.shuffle(order)
            for index in sorted(order, key=lambda i: -len(groups[i])):
                place(index, None)
            break
        rarest = min(sorted(left), key=lambda t: left[t])
        holders = [index for index in remaining if rarest in group_types[index]]
        rng.shuffle(holders)
        for index in sorted(holders, key=lambda i: -len(groups[i])):
            place(index, rarest)
    return assignment


def _groups_of(corpus: Corpus, document_groups: dict, training_only: set[str]) -> list[list[str]]:
    """Groups from the ``document_groups`` output, checked against the corpus, without training-only documents."""
    check_fingerprint(document_groups, corpus, "document_groups")
    groups = (list(group) for group in document_groups["groups"])
    return [group for group in groups if not training_only.intersection(group)]


def split_holdout(
    corpus: Corpus, document_groups: dict, fraction: float, seed: int, training_only: Collection[str] = ()
) -> dict:
    """``{"train": ids, "holdout": ids, "training_only": ids}`` with about ``fraction`` of the documents held out.

    ``training_only`` documents (extra corpora) always go to ``train`` and take no part in the stratification, so
    the hold-out set is the one the other documents alone would get.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"splits.holdout_fraction must be between 0 and 1 (exclusive), got {fraction}")
    only_train = set(training_only)
    groups = _groups_of(corpus, document_groups, only_train)
    entity_types = {doc.id: doc.entity_types() for doc in corpus}
    assignment = assign_groups(groups, entity_types, [fraction, 1 - fraction], seed)
    chosen: dict[int, set[str]] = {0: set(), 1: set(only_train)}
    for group, split in zip(groups, assignment, strict=True):
        chosen[split].update(group)
    ids = corpus.ids()
    return {
        "corpus_fingerprint": corpus.fingerprint(),
        "seed": seed,
        "holdout_fraction": fraction,
        "train": [doc_id for doc_id in ids if doc_id in chosen[1]],
        "holdout": [doc_id for doc_id in ids if doc_id in chosen[0]],
        "training_only": [doc_id for doc_id in ids if doc_id in only_train],
    }


def make_folds(corpus: Corpus, document_groups: dict, holdout_split: dict, n_folds: int, seed: int) -> dict:
    """k folds over the training part of ``holdout_split``: each fold lists its ``train`` and ``validation`` ids."""
    check_fingerprint(holdout_split, corpus, "holdout_split")
    if n_folds < 2:
        raise ValueError(f"splits.n_folds must be at least 2, got {n_folds}")
    training_only = set(holdout_split.get("training_only", ()))
    train_ids = set(holdout_split["train"]) - training_only
    groups = [group for group in _groups_of(corpus, document_groups, training_only) if group[0] in train_ids]
    if n_folds > len(groups):
        raise SplitError(
            f"splits.n_folds is {n_folds} but the training part has only {len(groups)} group(s) of near-duplicate "
            f"documents; lower n_folds or use a larger corpus"
        )
    entity_types = {doc.id: doc.entity_types() for doc in corpus}
    assignment = assign_groups(groups, entity_types, [1 / n_folds] * n_folds, seed)
    fold_of = {doc_id: fold for group, fold in zip(groups, assignment, strict=True) for doc_id in group}
    ordered = [doc_id for doc_id in corpus.ids() if doc_id in train_ids or doc_id in training_only]
    fold_of.update(dict.fromkeys(training_only, -1))  # trains every fold, validates none
    return {
        "corpus_fingerprint": corpus.fingerprint(),
        "seed": seed,
        "n_folds": n_folds,
        "folds": [
            {
                "fold": fold,
                "train": [doc_id for doc_id in ordered if fold_of[doc_id] != fold],
                "validation": [doc_id for doc_id in ordered if fold_of[doc_id] == fold],
            }
            for fold in range(n_folds)
        ],
    }


def check_fingerprint(splits: dict, corpus: Corpus, name: str = "splits") -> None:
    """Fail clearly when ``splits`` were made from another corpus than ``corpus``."""
    expected = splits.get("corpus_fingerprint")
    actual = corpus.fingerprint()
    if expected != actual:
        raise SplitsMismatchError(
            f"{name} was made from corpus {expected} but the corpus in use ({corpus.source}) is {actual}; "
            f"re-run `kedro run --pipelines=data_processing` to make splits for this corpus"
        )


def fold_ids(folds: dict, corpus: Corpus, fold: int | str) -> tuple[list[str], list[str]]:
    """(train ids, validation ids) of ``fold``; ``"all"`` trains on every training document with no validation,
    ``"all_with_holdout"`` on every document of the corpus, the hold-out set included (the shipped model)."""
    check_fingerprint(folds, corpus, "folds")
    if fold == ALL_WITH_HOLDOUT:
        return corpus.ids(), []
    if fold == "all":
        first = folds["folds"][0]
        every = set(first["train"]) | set(first["validation"])
        return [doc_id for doc_id in corpus.ids() if doc_id in every], []
    if not isinstance(fold, int) or not 0 <= fold < len(folds["folds"]):
        raise ValueError(
            f"fold must be 'all', '{ALL_WITH_HOLDOUT}' or an integer from 0 to {len(folds['folds']) - 1}, got {fold!r}"
        )
    chosen = folds["folds"][fold]
    return list(chosen["train"]), list(chosen["validation"])
