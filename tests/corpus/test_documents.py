"""The in-memory corpus: its fingerprint and why it is never copied."""

from __future__ import annotations

import copy

from kedro.io import MemoryDataset

from resume_ner.corpus import documents
from resume_ner.corpus.documents import Corpus, Document, Span


def _corpus() -> Corpus:
    return Corpus(
        (
            Document(
                "cv-1",
                'Zoë Müller — Data Engineer at Acme\n"quoted" \\ tab\t',
                (Span(13, 26, "TITLE"), Span(0, 10, "NAME"), Span(30, 34, "COMPANY")),
            ),
            Document("cv-2", "plain", ()),
            Document("日本", "東京 engineer", (Span(0, 2, "LOCATION"),)),
        ),
        source="test",
    )


def test_the_fingerprint_is_the_one_splits_files_already_carry():
    # Splits written before store this value: computing it another way must not change it.
    assert _corpus().fingerprint() == "sha256:87592423596e5e96b2f6e9a086423c2e3bd1055a0d45d9f27e22a8683d9ee4dd"


def test_the_fingerprint_is_computed_once_per_corpus(monkeypatch):
    # The splits check a corpus's fingerprint up to three times per node: one pass over 400 MB is enough.
    made = []
    sha256 = documents.hashlib.sha256
    monkeypatch.setattr(documents.hashlib, "sha256", lambda *args: made.append(1) or sha256(*args))
    corpus = _corpus()
    assert corpus.fingerprint() == corpus.fingerprint() == _corpus().fingerprint()
    assert len(made) == 2  # once for each of the two corpora


def test_a_corpus_is_never_copied():
    # Kedro's MemoryDataset deep-copies what it holds on save and on load: 6.5 s for 12,600 resumes, for
    # objects that cannot change.
    corpus = _corpus()
    assert copy.deepcopy(corpus) is corpus and copy.copy(corpus) is corpus
    assert copy.deepcopy(corpus.documents[0]) is corpus.documents[0]
    dataset = MemoryDataset()
    dataset.save(corpus)
    assert dataset.load() is corpus
