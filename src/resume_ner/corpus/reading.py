"""Read a corpus file in any supported format into a validated corpus."""

from __future__ import annotations

from pathlib import Path

from resume_ner.corpus.documents import Corpus
from resume_ner.corpus.formats import READERS
from resume_ner.corpus.problems import EmptyCorpusError, ProblemCollector
from resume_ner.corpus.validation import validate_records, warn_if_ends_look_inclusive
from resume_ner.errors import UserInputError


class CorpusFileNotFoundError(UserInputError, FileNotFoundError):
    """The corpus file named in the catalog is not there."""


FIX_HINT = "Fix these records in the file (or drop or rename labels with the corpus.label_mapping parameters)."

# End offset conventions: exclusive (text[start:end], ours and doccano's) or inclusive (the last character, as
# DataTurks exports). Only the formats whose files carry offsets have one to choose.
END_CONVENTIONS = ("exclusive", "inclusive")
FORMATS_WITH_END_CHOICE = ("json", "jsonl")


def read_corpus(path: str | Path, format: str = "json", max_problems: int = 50, end: str = "exclusive") -> Corpus:
    """Parse and validate ``path``; raise one CorpusValidationError listing every problem found.

    ``end`` says how the file's span end offsets count (see END_CONVENTIONS); the corpus always holds exclusive ones.
    """
    if format not in READERS:
        raise UserInputError(f"Unknown corpus format {format!r} for {path}; choose one of {', '.join(READERS)}")
    check_end_convention(end, format, path)
    path = Path(path)
    if not path.exists():
        raise CorpusFileNotFoundError(
            f"Corpus file {path} does not exist (check its filepath in conf/base/catalog.yml)"
        )
    collector = ProblemCollector(str(path), max_problems)
    records = READERS[format](path, collector)
    corpus = validate_records(records, collector, end if format in FORMATS_WITH_END_CHOICE else None)
    collector.raise_if_any(FIX_HINT)
    _require_documents_and_entities(corpus, path, format, records)
    if format in FORMATS_WITH_END_CHOICE and end == "exclusive":
        warn_if_ends_look_inclusive(corpus)
    return corpus


def check_end_convention(end: str, format: str, where: str | Path) -> None:
    """Refuse an unknown ``end`` value, or ``inclusive`` for a format whose offsets are not written in the file
    (CoNLL, inline XML) or are exclusive by definition (doccano)."""
    if end not in END_CONVENTIONS:
        raise UserInputError(f"end {end!r} is not one of {', '.join(END_CONVENTIONS)} ({where})")
    if end == "inclusive" and format not in FORMATS_WITH_END_CHOICE:
        raise UserInputError(
            f"end: inclusive applies to the {' and '.join(FORMATS_WITH_END_CHOICE)} formats, not {format} ({where})"
        )


def _require_documents_and_entities(corpus: Corpus, path: Path, format: str, records) -> None:
    """Refuse, in one line, a corpus with nothing to learn from: usually a wrong file, format or field name.

    Checked at load so that the run stops before any output is written (a later node would find an empty label
    set only after ``corpus.json`` was saved, and blame the label mapping).
    """
    if not len(corpus):
        raise EmptyCorpusError(
            f"Corpus {path} has no documents: {_no_documents_reason(path, format)}; check that "
            f"the catalog names the right file and format (format: {format})"
        )
    if not any(doc.spans for doc in corpus):
        raise EmptyCorpusError(
            f"Corpus {path} has {len(corpus)} document(s) but no entity spans: "
            f"{_no_spans_reason(format, records)}, so there is nothing to learn; annotate the "
            f"resumes, or check the format (format: {format})"
        )


def _no_documents_reason(path: Path, format: str) -> str:
    """What an empty corpus looks like in this format, in the file's own terms."""
    if format == "json":
        return "the list is empty"
    if format == "conll":
        return "the file has no token lines"
    if format == "inline_xml":
        return f"no .xml files in the {'folder' if path.is_dir() else 'zip'}"
    return "the file has no records"


def _no_spans_reason(format: str, records) -> str:
    """Where this format keeps its spans, to say what was empty everywhere (doccano's own field name included)."""
    if format == "conll":
        return "every tag is O"
    if format == "inline_xml":
        return "no <label type=...> elements in any file"
    return f"field {records[0].field_name('annotations')!r} is empty in every record"
