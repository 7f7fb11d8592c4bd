"""Near-duplicate groups, stratified hold-out and k-fold splits, and their corpus fingerprint."""

from __future__ import annotations

import itertools
import random

import pytest

from resume_ner.corpus.documents import Corpus, Document, Span
from resume_ner.corpus.near_duplicates import near_duplicate_groups
from resume_ner.corpus.splits import (
    SplitsMismatchError,
    assign_groups,
    check_fingerprint,
    fold_ids,
    make_folds,
    split_holdout,
)

# The near-duplicate groups the dotin README lists (17 pairs).
DOTIN_GROUPS = [
    ["28", "29", "80"],
    ["86", "91"],
    ["148", "166"],
    ["187", "211"],
    ["232", "282"],
    ["235", "268"],
    ["242", "273"],
    ["246", "255"],
    ["251", "267", "281"],
    ["253", "258"],
    ["256", "285"],
    ["269", "283"],
    ["297", "304"],
]


def _groups_output(corpus: Corpus, threshold: float = 0.75) -> dict:
    return {"corpus_fingerprint": corpus.fingerprint(), "groups": near_duplicate_groups(corpus, 3, threshold)}


def test_near_duplicates_are_grouped_and_the_rest_stand_alone(small_corpus):
    groups = near_duplicate_groups(small_corpus)
    assert ["cv-03", "cv-20"] in groups
    assert sorted(itertools.chain(*groups)) == sorted(small_corpus.ids())
    assert sum(len(g) > 1 for g in groups) == 1


def test_identical_short_texts_are_grouped_even_without_trigrams():
    corpus = Corpus((Document("a", "Hi there"), Document("b", "hi   THERE"), Document("c", "Bye")))
    assert near_duplicate_groups(corpus) == [["a", "b"], ["c"]]


def test_dotin_near_duplicates_from_its_readme_are_found(dotin_corpus):
    groups = near_duplicate_groups(dotin_corpus, 3, 0.75)
    group_of = {doc_id: index for index, group in enumerate(groups) for doc_id in group}
    for expected in DOTIN_GROUPS:
        assert len({group_of[doc_id] for doc_id in expected}) == 1, expected


def _splits(corpus: Corpus, seed: int = 7, n_folds: int = 3, fraction: float = 0.2) -> tuple[dict, dict]:
    groups = _groups_output(corpus)
    holdout = split_holdout(corpus, groups, fraction, seed)
    return holdout, make_folds(corpus, groups, holdout, n_folds, seed)


def test_splits_partition_the_corpus_and_keep_groups_together(small_corpus):
    holdout, folds = _splits(small_corpus)
    assert sorted(holdout["train"] + holdout["holdout"]) == sorted(small_corpus.ids())
    assert not set(holdout["train"]) & set(holdout["holdout"])
    validation = [fold["validation"] for fold in folds["folds"]]
    assert sorted(itertools.chain(*validation)) == sorted(holdout["train"])
    for fold in folds["folds"]:
        assert sorted(fold["train"] + fold["validation"]) == sorted(holdout["train"])
        assert fold["validation"]
    side = {doc_id: "holdout" for doc_id in holdout["holdout"]}
    side.update({doc_id: f"fold {f['fold']}" for f in folds["folds"] for doc_id in f["validation"]})
    assert side["cv-03"] == side["cv-20"]


def test_splits_are_deterministic_for_a_seed_and_change_with_it(small_corpus):
    assert _splits(small_corpus, seed=3) == _splits(small_corpus, seed=3)
    outcomes = {str(_splits(small_corpus, seed=seed)[0]["holdout"]) for seed in range(6)}
    assert len(outcomes) > 1


def test_rare_entity_types_are_spread_over_the_folds(small_corpus):
    # EMAIL is in 5 of 21 documents: with 5 folds each fold should get one, not two in one and none in another.
    groups = _groups_output(small_corpus)
    holdout = {"corpus_fingerprint": small_corpus.fingerprint(), "train": small_corpus.ids(), "holdout": []}
    folds = make_folds(small_corpus, groups, holdout, 5, seed=1)
    by_id = small_corpus.by_id()
    emails = [sum("EMAIL" in by_id[i].entity_types() for i in f["validation"]) for f in folds["folds"]]
    assert emails == [1, 1, 1, 1, 1]


def _deviation(corpus: Corpus, train: list[str], validation_sets: list[list[str]]) -> float:
    """Sum over entity types and folds of |documents with the type in the fold - the fold's fair share|."""
    by_id = corpus.by_id()
    total = 0.0
    for entity_type in corpus.label_counts():
        having = sum(entity_type in by_id[i].entity_types() for i in train)
        for ids in validation_sets:
            fair = having * len(ids) / len(train)
            total += abs(sum(entity_type in by_id[i].entity_types() for i in ids) - fair)
    return total


def test_stratification_on_the_dotin_resumes(dotin_corpus):
    holdout, folds = _splits(dotin_corpus, seed=42, n_folds=5, fraction=0.15)
    by_id = dotin_corpus.by_id()
    for entity_type in ("Email Address", "Graduation Year", "Soft Skills"):
        having = sum(entity_type in doc.entity_types() for doc in dotin_corpus)
        in_holdout = sum(entity_type in by_id[i].entity_types() for i in holdout["holdout"])
        assert abs(in_holdout - 0.15 * having) <= 3, entity_type
    sizes = [len(f["validation"]) for f in folds["folds"]]
    assert max(sizes) - min(sizes) <= 5
    side = {i: "holdout" for i in holdout["holdout"]}
    side.update({i: f["fold"] for f in folds["folds"] for i in f["validation"]})
    for group in DOTIN_GROUPS:
        assert len({side[i] for i in group}) == 1, group
    # Against plain seeded shuffles of the same groups into folds of the same sizes, stratification is closer to
    # each type's fair share in every fold.
    train = holdout["train"]
    ours = _deviation(dotin_corpus, train, [f["validation"] for f in folds["folds"]])
    groups = [g for g in near_duplicate_groups(dotin_corpus, 3, 0.75) if g[0] in set(train)]
    for seed in range(5):
        random.Random(seed).shuffle(groups)
        shuffled = list(itertools.chain(*groups))
        cuts = list(itertools.accumulate(sizes))
        baseline = [shuffled[a:b] for a, b in zip([0] + cuts[:-1], cuts, strict=True)]
        assert ours < _deviation(dotin_corpus, train, baseline), seed


def test_more_folds_than_groups_is_an_error(small_corpus):
    groups = _groups_output(small_corpus)
    holdout = split_holdout(small_corpus, groups, 0.2, 0)
    with pytest.raises(ValueError, match=r"n_folds is 50 but the training part has only \d+ group"):
        make_folds(small_corpus, groups, holdout, 50, 0)
    with pytest.raises(ValueError, match="cannot make 3 splits from 2 document group"):
        assign_groups([["a"], ["b"]], {"a": frozenset(), "b": frozenset()}, [0.3, 0.3, 0.4], 0)


def test_every_split_gets_a_group_even_when_groups_are_few():
    types = {str(i): frozenset({"X"}) for i in range(4)}
    assignment = assign_groups([["0"], ["1"], ["2"], ["3"]], types, [0.25] * 4, seed=5)
    assert sorted(assignment) == [0, 1, 2, 3]


def test_splits_of_another_corpus_fail_clearly(small_corpus):
    holdout, folds = _splits(small_corpus)
    changed = small_corpus.replace(
        [Document(d.id, d.text, d.spans + ((Span(0, 1, "X"),) if d.id == "cv-05" else ())) for d in small_corpus]
    )
    with pytest.raises(SplitsMismatchError, match=r"folds was made from corpus sha256:.* re-run `kedro run"):
        fold_ids(folds, changed, 0)
    with pytest.raises(SplitsMismatchError):
        check_fingerprint(holdout, changed, "holdout_split")


def test_fold_ids_give_train_and_validation_or_everything(small_corpus):
    holdout, folds = _splits(small_corpus)
    train, validation = fold_ids(folds, small_corpus, 1)
    assert validation == folds["folds"][1]["validation"] and train == folds["folds"][1]["train"]
    training, none = fold_ids(folds, small_corpus, "all")
    assert sorted(training) == sorted(holdout["train"]) and none == []
    everything, none = fold_ids(folds, small_corpus, "all_with_holdout")
    assert sorted(everything) == sorted(holdout["train"] + holdout["holdout"]) == sorted(small_corpus.ids())
    assert none == [] and set(everything) - set(training) == set(holdout["holdout"])
    with pytest.raises(ValueError, match="fold must be 'all', 'all_with_holdout' or an integer from 0 to 2"):
        fold_ids(folds, small_corpus, 3)


def test_bad_fractions_are_refused(small_corpus):
    groups = _groups_output(small_corpus)
    with pytest.raises(ValueError, match="holdout_fraction must be between 0 and 1"):
        split_holdout(small_corpus, groups, 1.0, 0)


@pytest.mark.slow
def test_half_a_million_groups_are_assigned_in_proportion():
    # Placing a group removed it from a list of the groups left, so assigning n groups took about n^2 / 4 steps:
    # 300,000 groups took 143 s, half a million would take about 7 minutes. Placing one is O(1) now: seconds.
    count = 500_000
    rng = random.Random(3)
    kinds = [frozenset(kind) | {"D"} for kind in ("", "A", "B", "C", "AB", "AC", "BC", "ABC")]
    entity_types = {
        str(index): frozenset({"RARE"}) if index % 1000 == 0 else rng.choice(kinds) for index in range(count)
    }
    groups = [[str(index)] for index in range(count)]
    assignment = assign_groups(groups, entity_types, [0.15, 0.85], seed=1)
    assert abs(assignment.count(0) - 0.15 * count) <= 2
    rare = [assignment[index] for index in range(0, count, 1000)]
    assert abs(rare.count(0) - 0.15 * len(rare)) <= 1
