"""Read a corpus file in any supported format into a validated corpus."""

from __future__ import annotations

from pathlib import Path

from resume_ner.corpus.documents import Corpus
from resume_ner.corpus.formats import READERS
from resume_ner.corpus.problems import ProblemCollector
from resume_ner.corpus.validation import validate_records
from resume_ner.errors import UserInputError


class CorpusFileNotFoundError(UserInputError, FileNotFoundError):
    """The corpus file named in the catalog is not there."""


FIX_HINT = "Fix these records in the file (or drop or rename labels with the corpus.label_mapping parameters)."


def read_corpus(path: str | Path, format: str = "json", max_problems: int = 50) -> Corpus:
    """Parse and validate ``path``; raise one CorpusValidationError listing every problem found."""
    if format not in READERS:
        raise UserInputError(f"Unknown corpus format {format!r} for {path}; choose one of {', '.join(READERS)}")
    path = Path(path)
    if not path.exists():
        raise CorpusFileNotFoundError(f"Corpus file {path} does not exist (check its filepath in conf/base/catalog.yml)")
    collector = ProblemCollector(str(path), max_problems)
    records = READERS[format](path, collector)
    corpus = validate_records(records, collector)
    collector.raise_if_any(FIX_HINT)
    return corpus
