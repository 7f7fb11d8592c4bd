"""Near-duplicate groups: the groups comparing every pair finds, in memory that grows with the corpus, the same in
every process."""

from __future__ import annotations

import gc
import logging
import random
import tracemalloc

import numpy as np
import pytest
from hash_seeds import prints_under_hash_seeds
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import CountVectorizer

from resume_ner.corpus import near_duplicates
from resume_ner.corpus.documents import Corpus, Document
from resume_ner.corpus.near_duplicates import WORD_PATTERN, near_duplicate_groups
from resume_ner.synthetic import generate_corpus


def _groups_comparing_every_pair(corpus: Corpus, ngram: int, threshold: float) -> list[list[str]]:
    """The definition, computed the quadratic way (every pair's shared n-grams from a sparse matrix product), as
    the project did before LSH: for small corpora only."""
    texts = [doc.text for doc in corpus]
    vectorizer = CountVectorizer(
        analyzer="word",
        ngram_range=(ngram, ngram),
        binary=True,
        lowercase=True,
        token_pattern=WORD_PATTERN,
        dtype=np.int32,
    )
    matrix = vectorizer.fit_transform(texts).tocsr()
    counts = np.asarray(matrix.sum(axis=1)).ravel()
    shared = (matrix @ matrix.T).tocoo()
    upper = shared.row < shared.col
    left, right, common = shared.row[upper], shared.col[upper], shared.data[upper]
    smaller = np.minimum(counts[left], counts[right])
    similar = (smaller > 0) & (common >= threshold * smaller)
    normalised: dict[str, int] = {}
    rows, cols = list(left[similar]), list(right[similar])
    for index, text in enumerate(texts):
        earlier = normalised.setdefault(" ".join(text.lower().split()), index)
        if earlier != index:
            rows.append(earlier)
            cols.append(index)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), len(texts)))
    _, component = connected_components(graph, directed=False)
    groups: dict[int, list[str]] = {}
    for doc, label in zip(corpus, component, strict=True):
        groups.setdefault(label, []).append(doc.id)
    return list(groups.values())


@pytest.mark.parametrize("threshold", [0.5, 0.75, 0.9])
def test_the_dotin_resumes_are_grouped_as_comparing_every_pair_groups_them(dotin_corpus, threshold):
    assert near_duplicate_groups(dotin_corpus, 3, threshold) == _groups_comparing_every_pair(dotin_corpus, 3, threshold)


@pytest.fixture(scope="module")
def synthetic_corpus() -> Corpus:
    # Synthetic resumes share much boilerplate (one template family, small vocabularies): many false candidates.
    return generate_corpus(1_200, seed=11)


@pytest.mark.slow
@pytest.mark.parametrize(("ngram", "threshold"), [(3, 0.75), (2, 0.8), (5, 0.6)])
def test_synthetic_resumes_are_grouped_as_comparing_every_pair_groups_them(synthetic_corpus, ngram, threshold):
    groups = near_duplicate_groups(synthetic_corpus, ngram, threshold)
    assert groups == _groups_comparing_every_pair(synthetic_corpus, ngram, threshold)
    assert sum(len(group) > 1 for group in groups) >= 40


def test_truncated_and_extended_copies_are_grouped_with_their_original():
    originals = generate_corpus(40, seed=2).documents
    base = originals[0].text
    cut = base[: int(len(base) * 0.6)]  # containment 1 in the original, Jaccard about 0.6
    extended = base + "\n" + originals[1].text[: len(base) // 4]  # the original plus a quarter more
    corpus = Corpus(
        (Document("original", base), Document("truncated", cut), Document("extended", extended)) + originals[2:]
    )
    groups = near_duplicate_groups(corpus, 3, 0.75)
    assert groups == _groups_comparing_every_pair(corpus, 3, 0.75)
    assert ["original", "truncated", "extended"] in groups


def test_documents_too_short_for_a_shingle_are_grouped_only_when_equal():
    corpus = Corpus(
        (
            Document("a", "Hi there"),
            Document("b", "hi   THERE"),
            Document("c", "Bye"),
            Document("d", ""),
            Document("e", "hi"),
        )
    )
    assert near_duplicate_groups(corpus) == [["a", "b"], ["c"], ["d"], ["e"]]
    assert near_duplicate_groups(Corpus(())) == []


@pytest.mark.slow
def test_the_groups_do_not_depend_on_the_process_hash_seed():
    # Python salts str hashes per process; the candidates must come from hashes that are the same everywhere.
    code = (
        "from resume_ner.synthetic import generate_corpus\n"
        "from resume_ner.corpus.near_duplicates import near_duplicate_groups\n"
        "print(near_duplicate_groups(generate_corpus(400, seed=4), 3, 0.75))"
    )
    outputs = prints_under_hash_seeds(code)
    assert len(outputs) == 1


def _letters(count: int, rng: random.Random) -> list[str]:
    """``count`` made-up words from a vocabulary of 100,000: two documents hardly ever share one."""
    return [f"w{rng.randrange(100_000)}" for _ in range(count)]


def _sharing_a_header(documents: int) -> Corpus:
    """Short documents that all open with the same header (every pair shares n-grams), none near-duplicates."""
    rng = random.Random(7)
    header = "curriculum vitae of the applicant for the advertised position in our team"
    return Corpus(
        tuple(Document(f"d{index}", header + " " + " ".join(_letters(60, rng))) for index in range(documents))
    )


def _peak_memory(corpus: Corpus) -> int:
    gc.collect()  # earlier tests' garbage is not this call's memory
    tracemalloc.start()
    try:
        groups = near_duplicate_groups(corpus, 3, 0.75)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert all(len(group) == 1 for group in groups)


@pytest.mark.slow
def test_memory_grows_in_proportion_to_the_corpus_when_every_pair_shares_n_grams():
    # Comparing every pair through a sparse matrix product needed memory for every pair that shares an n-gram
    # (12,600 resumes took 5 GB): a header that every document repeats makes that every pair. Twice the
    # documents may take twice the memory (measured 2.0 to 2.4 times, as dictionaries grow in steps), not four
    # times (the pairwise code: 4.0).
    small, large = _peak_memory(_sharing_a_header(1_500)), _peak_memory(_sharing_a_header(3_000))
    assert large <= 3 * small, (small, large)
    assert large <= 25_000 * 3_000, large  # bytes per document: signature, n-gram hashes, LSH buckets


def test_long_runs_log_their_progress(monkeypatch, caplog):
    monkeypatch.setattr(near_duplicates, "PROGRESS_EVERY", 100)
    with caplog.at_level(logging.INFO, logger="resume_ner.corpus.near_duplicates"):
        near_duplicate_groups(generate_corpus(250, seed=1), 3, 0.75)
    assert "sketched 200/250 documents" in caplog.text
    assert "LSH index 4/4 done" in caplog.text
