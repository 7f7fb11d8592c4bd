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
        object.__setattr__(self, "spans", tuple(sorted(Span(*s) for s in self.spans)))

    def entity_types(self) -> frozenset[str]:
        return frozenset(span.label for span in self.spans)

    def with_spans(self, spans) -> Document:
        return Document(self.id, self.text, tuple(spans), self.where)

    def location(self) -> str:
        """Where to find this document: the record it was read from, or else its id."""
        return self.where or f"document {self.id!r}"


@dataclass(frozen=True)
class Corpus:
    """Validated documents with unique ids; ``source`` names where they were read from."""

    documents: tuple[Document, ...]
    source: str = field(default="<memory>", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "documents", tuple(self.documents))

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
        """A hash of ids, texts and spans: the same corpus gives the same fingerprint on any machine."""
        digest = hashlib.sha256()
        for record in self.to_records():
            digest.update(json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8"))
            digest.update(b"\n")
        return "sha256:" + digest.hexdigest()
