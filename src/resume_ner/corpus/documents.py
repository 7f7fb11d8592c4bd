"""The in-memory corpus: documents with character spans, and the fingerprint that identifies a corpus."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple


class Span(NamedTuple):
    """An entity: ``text[start:end]`` (end exclusive) has type ``label``."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Document:
    """One resume: its text and entity spans, sorted by (start, end, label).

    ``where`` says where it was read (``record 4 (id '17')``), so that a later check can point the user at the
    record in the file; it is not part of the document's identity (equality, fingerprint, saved file).
    """

    id: str
    text: str
    spans: tuple[Span, ...] = ()
    where: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Spans that are Spans already (the reader's, a document's own) are kept rather than made again: documents
        # are built on every load of the corpus, about 750,000 spans per load for 12,600 resumes.
        spans = [span if type(span) is Span else Span(*span) for span in self.spans]
        object.__setattr__(self, "spans", tuple(sorted(spans)))

    def __copy__(self) -> Document:
        return self  # immutable, like the corpus below

    def __deepcopy__(self, memo: dict) -> Document:
        return self

    def entity_types(self) -> frozenset[str]:
        return frozenset(span.label for span in self.spans)

    def with_spans(self, spans) -> Document:
        return Document(self.id, self.text, tuple(spans), self.where)

    def location(self) -> str:
        """Where to find this document: the record it was read from, or else its id."""
        return self.where or f"document {self.id!r}"


@dataclass(frozen=True)
class Corpus:
    """Validated documents with unique ids; ``source`` names where they were read from.

    Immutable, so a copy is the corpus itself: Kedro's ``MemoryDataset`` deep-copies what passes through it on
    save and on load, which took 6.5 s for 12,600 resumes and grew with the corpus.
    """

    documents: tuple[Document, ...]
    source: str = field(default="<memory>", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "documents", tuple(self.documents))

    def __copy__(self) -> Corpus:
        return self

    def __deepcopy__(self, memo: dict) -> Corpus:
        return self

    def __len__(self) -> int:
        return len(self.documents)

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)

    def ids(self) -> list[str]:
        return [doc.id for doc in self.documents]

    def by_id(self) -> dict[str, Document]:
        return {doc.id: doc for doc in self.documents}

    def subset(self, ids) -> Corpus:
        """The documents named in ``ids``, in that order; an unknown id is a KeyError naming it."""
        index = self.by_id()
        missing = [doc_id for doc_id in ids if doc_id not in index]
        if missing:
            raise KeyError(f"{len(missing)} document id(s) not in corpus {self.source}: {missing[:5]}")
        return Corpus(tuple(index[doc_id] for doc_id in ids), source=self.source)

    def label_counts(self) -> Counter:
        return Counter(span.label for doc in self.documents for span in doc.spans)

    def replace(self, documents) -> Corpus:
        return Corpus(tuple(documents), source=self.source)

    def to_records(self) -> list[dict]:
        """The corpus as the JSON span format: ``[{"id", "text", "annotations": [[start, end, label]]}]``."""
        return [
            {"id": doc.id, "text": doc.text, "annotations": [list(span) for span in doc.spans]}
            for doc in self.documents
        ]

    def fingerprint(self) -> str:
        """A hash of ids, texts and spans: the same corpus gives the same fingerprint on any machine.

        The SHA-256 of each record of ``to_records`` as sorted-key JSON, one per line. Computed once per corpus
        (the splits check it several times) and record by record, not from the whole list of records: that list
        is a second copy of the corpus in memory.
        """
        cached = self.__dict__.get("_fingerprint")
        if cached is None:
            digest = hashlib.sha256()
            encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
            for doc in self.documents:
                record = {"id": doc.id, "text": doc.text, "annotations": [list(span) for span in doc.spans]}
                digest.update(encode(record).encode("utf-8"))
                digest.update(b"\n")
            cached = "sha256:" + digest.hexdigest()
            object.__setattr__(self, "_fingerprint", cached)  # frozen: the cache is not a field
        return cached
