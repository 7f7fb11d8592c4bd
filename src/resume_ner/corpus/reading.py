"""Read a corpus file in any supported format into a validated corpus."""

from __future__ import annotations

from pathlib import Path

from resume_ner.corpus.documents import Corpus
from resume_ner.corpus.formats import READERS
from resume_ner.corpus.problems import EmptyCorpusError, ProblemCollector
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
    _require_documents_and_entities(corpus, path, format, records)
    return corpus


def _require_documents_and_entities(corpus: Corpus, path: Path, format: str, records) -> None:
    """Refuse, in one line, a corpus with nothing to learn from: usually a wrong file, format or field name.

    Checked at load so that the run stops before any output is written (a later node would find an empty label
    set only after ``corpus.json`` was saved, and blame the label mapping).
    """
    if not len(corpus):
        raise EmptyCorpusError(f"Corpus {path} has no documents: {_no_documents_reason(path, format)}; check that "
                               f"the catalog names the right file and format (format: {format})")
    if not any(doc.spans for doc in corpus):
        raise EmptyCorpusError(f"Corpus {path} has {len(corpus)} document(s) but no entity spans: "
                               f"{_no_spans_reason(format, records)}, so there is nothing to learn; annotate the "
                               f"resumes, or check the format (format: {format})")


def _no_documents_reason(path: Path, format: str) -> str:
    if format == "json":
        return "the list is empty"
    if format == "conll":
        return "the file has no token lines"
    if format == "inline_xml":
        return f"no .xml files in the {'folder' if path.is_dir() else 'zip'}"
    return "the file has no records"


def _no_spans_reason(format: str, records) -> str:
    if format == "conll":
        return "every tag is O"
    if format == "inline_xml":
        return "no <label type=...> elements in any file"
    return f"field {records[0].field_name('annotations')!r} is empty in every record"
