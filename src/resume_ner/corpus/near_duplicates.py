"""Group near-duplicate documents (shared word n-grams) so that no group straddles a split."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import CountVectorizer

from resume_ner.corpus.documents import Corpus

WORD_PATTERN = r"(?u)\b\w+\b"


def near_duplicate_groups(corpus: Corpus, ngram: int = 3, threshold: float = 0.8) -> list[list[str]]:
    """Every document id in exactly one group, groups and ids in corpus order.

    Two documents are near-duplicates when the word ``ngram``-shingles they share cover at least ``threshold`` of
    the smaller document's shingles (so a truncated copy of a resume counts too). Documents with the same
    normalised text are always grouped, even when too short to have shingles.
    """
    if ngram < 1 or not 0 < threshold <= 1:
        raise ValueError(f"near-duplicate ngram must be >= 1 and threshold in (0, 1], got {ngram}, {threshold}")
    ids = corpus.ids()
    size = len(ids)
    if size == 0:
        return []
    rows, cols = _exact_duplicate_pairs(corpus)
    shingles = _shingle_matrix([doc.text for doc in corpus], ngram)
    if shingles is not None:
        counts = np.asarray(shingles.sum(axis=1)).ravel()
        shared = (shingles @ shingles.T).tocoo()
        upper = shared.row < shared.col
        left, right, common = shared.row[upper], shared.col[upper], shared.data[upper]
        smaller = np.minimum(counts[left], counts[right])
        similar = (smaller > 0) & (common >= threshold * smaller)
        rows = np.concatenate([rows, left[similar]])
        cols = np.concatenate([cols, right[similar]])
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size))
    _, component = connected_components(graph, directed=False)
    groups: dict[int, list[str]] = {}
    for index, label in enumerate(component):
        groups.setdefault(label, []).append(ids[index])
    return list(groups.values())


def _shingle_matrix(texts: list[str], ngram: int):
    vectorizer = CountVectorizer(
        analyzer="word", ngram_range=(ngram, ngram), binary=True, lowercase=True, token_pattern=WORD_PATTERN,
        dtype=np.int32,
    )
    try:
        return vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # no document has ngram words: nothing to compare
        return None


def _exact_duplicate_pairs(corpus: Corpus) -> tuple[np.ndarray, np.ndarray]:
    first: dict[str, int] = {}
    rows, cols = [], []
    for index, doc in enumerate(corpus):
        key = " ".join(doc.text.lower().split())
        if key in first:
            rows.append(first[key])
            cols.append(index)
        else:
            first[key] = index
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
