"""Group near-duplicate documents (shared word n-grams) so that no group straddles a split.

Two documents are near-duplicates when the word n-grams they share cover at least ``threshold`` of the smaller
document's n-grams (the containment of the smaller one). Comparing every pair of documents is quadratic in time
and, as a sparse n-gram matrix product, in memory (12,600 resumes took 5 GB). Here MinHash LSH (datasketch) only
proposes candidate pairs, and the containment of each candidate is counted exactly, so the groups are the ones
the pairwise comparison finds, as long as LSH proposes every pair that qualifies.

Candidates: a MinHash of ``NUM_PERM`` permutations per document, over its distinct n-grams, cut into
``BANDS`` bands of ``ROWS`` values; two documents that agree on every value of some band are a candidate pair.
A pair with Jaccard similarity J is a candidate with probability 1 - (1 - J**ROWS)**BANDS. MinHash estimates
Jaccard, not containment: sizes a <= b with containment c give J = c a / (a + b - c a), which is c / (2 - c) for
equal sizes and lower the more the sizes differ. The bands are chosen for the lowest Jaccard at which two
equal-sized documents still qualify at the default threshold (0.75 -> J 0.6): such a pair is missed with
probability 1.4e-4, a pair with J 0.7 with 2e-8, J 0.8 with 2e-15. Resubmitted resumes are far above that: 16
of the dotin corpus's 17 pairs have J >= 0.78; the 17th (containment 0.79, sizes 391 and 503) has J 0.52, missed
with probability 0.8 % (found with the default seed; the tests check it). A pair whose containment qualifies
but whose Jaccard is low, a short document mostly inside a much longer one, is missed more often (J 0.5: 1.6 %,
J 0.4: 19 %). No MinHash index finds those cheaply: the longer document's sketch mostly samples what the
shorter one lacks. datasketch's LSH Ensemble, built for containment, lowers its Jaccard threshold for such
pairs: it proposed 79,000 candidates for 3,000 synthetic resumes, 15 times this index's 5,400 (most of which
are dropped unchecked, below), because resumes share boilerplate.

Checking a candidate: first the MinHash agreement of the pair is compared with the least Jaccard any qualifying
pair of these two sizes has; a candidate is dropped only if so few agreements would happen with probability
below ``ALPHA`` (binomial; so a qualifying pair is dropped with at most that probability), which removes most
false candidates without counting their n-grams. The rest are
counted exactly, on 64-bit hashes of the n-grams (two different n-grams of one pair sharing a hash, odds about
1e-14, is the only way this differs from counting the n-grams themselves).

Deterministic: the MinHash is seeded (``seed``) and hashes n-grams with CRC-32, not Python's salted ``hash``.
Memory grows linearly with the corpus: a signature and the n-gram hashes per document, and the LSH index, built
``BANDS_PER_INDEX`` bands at a time.
"""

from __future__ import annotations

import hashlib
import logging
import re
import zlib

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.special import bdtr

from resume_ner.corpus.documents import Corpus

logger = logging.getLogger(__name__)

WORD_PATTERN = r"(?u)\b\w+\b"
# The same words as WORD_PATTERN (a longest run of word characters always has a word boundary at both ends), found
# a quarter faster.
_WORDS = re.compile(r"\w+")

# MinHash LSH settings (see the module docstring for the recall they give). 256 permutations in 64 bands of 4.
NUM_PERM = 256
BANDS = 64
ROWS = 4
# The LSH index holds this many bands at a time (its memory: about 350 bytes per document and band).
BANDS_PER_INDEX = 16
MINHASH_SEED = 1
# A candidate is dropped unchecked when a qualifying pair would agree on so few MinHash values with at most this
# probability.
ALPHA = 1e-9
# A progress line every this many documents.
PROGRESS_EVERY = 10_000


def near_duplicate_groups(
    corpus: Corpus, ngram: int = 3, threshold: float = 0.8, seed: int = MINHASH_SEED
) -> list[list[str]]:
    """Every document id in exactly one group, groups and ids in corpus order.

    Two documents are near-duplicates when the word ``ngram``-shingles they share cover at least ``threshold`` of
    the smaller document's shingles (so a truncated copy of a resume counts too). Documents with the same
    normalised text are always grouped, even when too short to have shingles. Shingles are lower-cased words
    (``WORD_PATTERN``) joined by spaces, as scikit-learn's ``CountVectorizer`` makes them.
    """
    if ngram < 1 or not 0 < threshold <= 1:
        raise ValueError(f"near-duplicate ngram must be >= 1 and threshold in (0, 1], got {ngram}, {threshold}")
    ids = corpus.ids()
    size = len(ids)
    if size == 0:
        return []
    rows, cols = _exact_duplicate_pairs(corpus)
    sketches = _Sketches.of(corpus, ngram, seed)
    pairs = sketches.similar_pairs(threshold)
    logger.info(
        "Near-duplicates: %d pair(s) share at least %.0f%% of the smaller document's %d-grams",
        len(pairs),
        100 * threshold,
        ngram,
    )
    if pairs:
        rows = np.concatenate([rows, np.fromiter((i for i, _ in pairs), np.int64, len(pairs))])
        cols = np.concatenate([cols, np.fromiter((j for _, j in pairs), np.int64, len(pairs))])
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size))
    _, component = connected_components(graph, directed=False)
    groups: dict[int, list[str]] = {}
    for index, label in enumerate(component):
        groups.setdefault(label, []).append(ids[index])
    return list(groups.values())


def shingles(text: str, ngram: int) -> set[str]:
    """The distinct word ``ngram``-grams of ``text``: lower-cased ``WORD_PATTERN`` words joined by spaces."""
    words = _WORDS.findall(text.lower())
    return set(map(" ".join, zip(*(words[offset:] for offset in range(ngram)), strict=False)))


class _Sketches:
    """Per document: the number of distinct shingles, their 64-bit hashes (sorted) and a MinHash signature."""

    def __init__(self, sizes: np.ndarray, hashes: list[np.ndarray], signatures: np.ndarray, seed: int) -> None:
        self.sizes, self.hashes, self.signatures, self.seed = sizes, hashes, signatures, seed

    @classmethod
    def of(cls, corpus: Corpus, ngram: int, seed: int) -> _Sketches:
        total = len(corpus)
        sizes = np.zeros(total, dtype=np.int64)
        hashes: list[np.ndarray] = []
        signatures = np.zeros((total, NUM_PERM), dtype=np.uint32)
        # The MinHash is fed CRC-32 values of the shingles (32 bits, as its affine32 scheme takes, and the same in
        # every process), computed here in one comprehension: ``hashfunc=int`` passes them through, cheaper than
        # a Python hash function called per shingle.
        empty = MinHash(num_perm=NUM_PERM, seed=seed, hashfunc=int)
        for index, doc in enumerate(corpus):
            grams = shingles(doc.text, ngram)
            sizes[index] = len(grams)
            # Python's str hash is salted per process, but cached on each string: free, and only ever compared
            # within this process. The exact count uses it; the MinHash, which decides the candidates, does not.
            hashes.append(np.sort(np.fromiter(map(hash, grams), np.int64, len(grams))))
            if grams:
                minhash = empty.copy()
                minhash.update_batch([zlib.crc32(gram.encode("utf-8")) for gram in grams])
                signatures[index] = minhash.hashvalues
            if (index + 1) % PROGRESS_EVERY == 0:
                logger.info("Near-duplicates: sketched %d/%d documents", index + 1, total)
        return cls(sizes, hashes, signatures, seed)

    def similar_pairs(self, threshold: float) -> set[tuple[int, int]]:
        """(i, j), i < j, of documents whose shared shingles are at least ``threshold`` of the smaller one's."""
        pairs: set[tuple[int, int]] = set()
        candidates = dropped = 0
        width = BANDS_PER_INDEX * ROWS
        indexes = range(0, BANDS * ROWS, width)
        for number, low in enumerate(indexes, start=1):
            # One index per group of bands, each on its own slice of the signatures: together they propose the
            # same pairs as one index of all the bands, with a quarter of its memory at any time.
            lsh = MinHashLSH(num_perm=width, params=(BANDS_PER_INDEX, ROWS))
            for index in map(int, np.flatnonzero(self.sizes)):
                sketch = LeanMinHash(
                    seed=self.seed, hashvalues=self.signatures[index, low : low + width], scheme="affine32"
                )
                found = [other for other in lsh.query(sketch) if (other, index) not in pairs]
                lsh.insert(index, sketch, check_duplication=False)
                if found:
                    others = np.asarray(found, dtype=np.int64)
                    likely = self._plausible(index, others, threshold)
                    candidates += len(others)
                    dropped += len(others) - int(likely.sum())
                    pairs.update(
                        (int(other), index) for other in others[likely] if self._contained(index, other, threshold)
                    )
            del lsh
            logger.info(
                "Near-duplicates: LSH index %d/%d done: %d candidate pair(s) so far, %d dropped on their "
                "MinHash agreement, %d near-duplicate pair(s)",
                number,
                len(indexes),
                candidates,
                dropped,
                len(pairs),
            )
        return pairs

    def _plausible(self, index: int, others: np.ndarray, threshold: float) -> np.ndarray:
        """Which of ``others`` agree with ``index`` on enough MinHash values to possibly qualify."""
        smaller = np.minimum(self.sizes[others], self.sizes[index])
        larger = np.maximum(self.sizes[others], self.sizes[index])
        # The least Jaccard of a qualifying pair of these sizes: `threshold * smaller` shingles shared.
        least_jaccard = threshold * smaller / (larger + smaller - threshold * smaller)
        agreements = (self.signatures[others] == self.signatures[index]).sum(axis=1)
        return bdtr(agreements, NUM_PERM, least_jaccard) >= ALPHA

    def _contained(self, index: int, other: int, threshold: float) -> bool:
        """The exact test: shared shingles >= ``threshold`` x the smaller document's shingles."""
        mine, theirs = self.hashes[index], self.hashes[other]
        positions = np.searchsorted(theirs, mine).clip(max=len(theirs) - 1)
        common = int(np.count_nonzero(theirs[positions] == mine))
        smaller = min(self.sizes[index], self.sizes[other])
        return smaller > 0 and common >= threshold * smaller


def _exact_duplicate_pairs(corpus: Corpus) -> tuple[np.ndarray, np.ndarray]:
    """(first, later) index pairs of documents with the same lower-cased, whitespace-normalised text."""
    first: dict[bytes, int] = {}
    rows, cols = [], []
    for index, doc in enumerate(corpus):
        # A digest instead of the text itself as the key: the dictionary would otherwise hold a second copy of
        # the corpus. Equal digests are confirmed on the texts.
        digest = hashlib.blake2b(_normalised(doc.text).encode("utf-8"), digest_size=16).digest()
        earlier = first.setdefault(digest, index)
        if earlier != index and _normalised(corpus.documents[earlier].text) == _normalised(doc.text):
            rows.append(earlier)
            cols.append(index)
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())
