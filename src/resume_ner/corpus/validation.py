"""Turn raw records into a validated corpus, collecting every problem before failing."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Literal

from resume_ner.corpus.documents import Corpus, Document, Span
from resume_ner.corpus.formats.records import RawRecord
from resume_ner.corpus.problems import ProblemCollector

logger = logging.getLogger(__name__)

# Half of a UTF-16 surrogate pair: JSON's "\ud83d" escape decodes to it, but UTF-8 cannot encode it, so saving the
# corpus would fail long after loading it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def validate_records(records: list[RawRecord], collector: ProblemCollector, end: str | None = None) -> Corpus:
    """Documents from ``records``; problems go to ``collector`` (the caller raises them).

    Span offsets must be integers with ``0 <= start < end <= len(text)``; labels non-empty strings; ids unique.
    Whitespace around a span is trimmed (a span of whitespace only is a problem). ``end`` is the file's end offset
    convention, or None where the reader computed the offsets itself: with ``inclusive`` the file's ``end`` is the
    span's last character (DataTurks exports), so ``0 <= start <= end < len(text)``; problems show the offsets as
    the file has them, and the documents always hold exclusive ends.
    """
    documents = []
    first_seen: dict[str, str] = {}
    trimmed = 0
    for index, record in enumerate(records):
        if not isinstance(record.data, Mapping):
            collector.add(
                record.where,
                "not-a-record",
                f"expected an object, found {type(record.data).__name__}",
                file=record.file,
            )
            continue
        doc_id = _document_id(record.data, index, record, collector)
        unique = True
        if doc_id is not None and doc_id in first_seen:
            collector.add(
                _where(record, doc_id),
                "duplicate-id",
                f"id {doc_id!r} is already used by {first_seen[doc_id]}",
                file=record.file,
            )
            unique = False
        elif doc_id is not None:
            first_seen[doc_id] = record.where
        document, record_trimmed = _validate_content(record, doc_id, collector, end)
        if document is not None and unique:
            documents.append(document)
            trimmed += record_trimmed
    if trimmed:
        logger.info("Trimmed surrounding whitespace from %d span(s) in %s", trimmed, collector.source)
    return Corpus(tuple(documents), source=collector.source)


def _validate_content(
    record: RawRecord, doc_id: str | None, collector: ProblemCollector, end_convention: str | None = None
) -> tuple[Document | None, int]:
    data = record.data
    where = _where(record, doc_id if data.get("id") is not None else None)
    ok = doc_id is not None
    spans_field = record.field_name("annotations")
    text = data.get("text")
    annotations = data.get(spans_field)
    if text is None and annotations is None:
        # Usually another tool's export: one problem that names the fields it has, instead of two generic ones.
        collector.add(
            where,
            "fields-missing",
            f"fields 'text' and {spans_field!r} are missing; {_other_fields_hint(data, record)}",
            file=record.file,
        )
        return None, 0
    if text is None:
        collector.add(where, "text-missing", "field 'text' is missing" + _hint(data, record), file=record.file)
        ok = False
    elif not isinstance(text, str):
        collector.add(
            where, "text-not-string", f"field 'text' is not a string (found {type(text).__name__})", file=record.file
        )
        ok = False
    elif unencodable := _unencodable(text, "field 'text'"):
        collector.add(where, "unencodable-text", unencodable, file=record.file)
        ok = False
    if annotations is None:
        collector.add(
            where,
            "annotations-missing",
            f"field {spans_field!r} is missing (use [] for no entities)" + _hint(data, record),
            file=record.file,
        )
        return None, 0
    if not isinstance(annotations, list):
        collector.add(
            where,
            "annotations-not-list",
            f"field {spans_field!r} is not a list (found {type(annotations).__name__})",
            file=record.file,
        )
        return None, 0
    spans, trimmed = [], 0
    for raw_span in annotations:
        span = _validate_span(raw_span, text if ok else None, where, record.file, collector, end_convention)
        if span is not None:
            start, end, label = _as_triple(raw_span)
            trimmed += span != (start, end + (end_convention == "inclusive"), label)
            spans.append(span)
    if not ok or doc_id is None or len(spans) != len(annotations):
        return None, 0
    return Document(doc_id, text, tuple(spans), where), trimmed


def _hint(data: Mapping, record: RawRecord) -> str:
    """``; the record has ...`` when it has fields this format does not read (likely the missing one under another
    name), else nothing."""
    known = {"id", "text", record.field_name("annotations")}
    return f"; {_other_fields_hint(data, record)}" if set(data) - known else ""


def _other_fields_hint(data: Mapping, record: RawRecord) -> str:
    """What the record has instead, and what to do when it is a known export's shape."""
    has = f"the record has {', '.join(map(repr, data)) or 'no fields'}"
    if "content" in data and "annotation" in data:
        return (
            f"{has} (a DataTurks export): rename 'content' to 'text' and turn 'annotation' into 'annotations', "
            f"[start, end, label] for each point and label, and load with end: inclusive (DataTurks' end offsets "
            f"are inclusive)"
        )
    if record.field_name("annotations") == "annotations" and ("label" in data or "entities" in data):
        field = "entities" if "entities" in data else "label"
        return f"the record has {field!r} (doccano's name for it): use format: doccano"
    return has


def _document_id(data: Mapping, index: int, record: RawRecord, collector: ProblemCollector) -> str | None:
    if "id" not in data or data["id"] is None:
        return f"doc-{index}"
    value = data["id"]
    if isinstance(value, bool) or not isinstance(value, (str, int)) or (isinstance(value, str) and not value.strip()):
        collector.add(
            record.where,
            "invalid-id",
            f"field 'id' must be a non-empty string or integer, found {value!r}",
            file=record.file,
        )
        return None
    if isinstance(value, str) and (unencodable := _unencodable(value, "field 'id'")):
        collector.add(record.where, "unencodable-text", unencodable, file=record.file)
        return None
    return str(value)


def _unencodable(value: str, what: str) -> str | None:
    """Why ``value`` cannot be written as UTF-8 (a lone surrogate, with its offset), or None when it can."""
    found = _LONE_SURROGATE.findall(value)
    first = _LONE_SURROGATE.search(value)
    if not found or first is None:
        return None
    offset = first.start()
    others = f" (the first of {len(found)})" if len(found) > 1 else ""
    return (
        f"{what} has a lone surrogate \\u{ord(found[0]):04x} at offset {offset}{others}, which cannot be written "
        f"as UTF-8 (half of an escaped pair such as an emoji's); remove it or restore the pair"
    )


def _where(record: RawRecord, doc_id: str | None) -> str:
    return record.where if doc_id is None or repr(doc_id) in record.where else f"{record.where} (id {doc_id!r})"


def _span_fields(raw_span) -> tuple[str, str, str] | None:
    """The names of a span object's start, end and label fields (``start_offset`` in doccano's entities), so that
    messages name what the file has; None for a ``[start, end, label]`` list."""
    if not isinstance(raw_span, Mapping):
        return None
    return ("start" if "start" in raw_span else "start_offset", "end" if "end" in raw_span else "end_offset", "label")


def _as_triple(raw_span):
    names = _span_fields(raw_span)
    if names is not None:
        return tuple(raw_span.get(name) for name in names)
    if isinstance(raw_span, Sequence) and not isinstance(raw_span, str):
        return tuple(raw_span) + (None,) * (3 - len(raw_span)) if len(raw_span) <= 3 else None
    return None


def _validate_span(
    raw_span, text: str | None, where: str, file: str, collector: ProblemCollector, end_convention: str | None = None
) -> Span | None:
    triple = _as_triple(raw_span)
    if triple is None:
        collector.add(where, "malformed-span", f"a span must be [start, end, label], found {raw_span!r}", file=file)
        return None
    start, end, label = triple
    shown = f"[{start!r}, {end!r}, {label!r}]"
    start_name, end_name, label_name = _span_fields(raw_span) or ("start", "end", "label")
    inclusive_end = end_convention == "inclusive"
    problems = []
    if not all(isinstance(offset, int) and not isinstance(offset, bool) for offset in (start, end)):
        problems.append(("non-integer-offset", f"{start_name} and {end_name} must be integers"))
    if label is None:
        problems.append(
            (
                "label-missing",
                f"field {label_name!r} is missing" if isinstance(raw_span, Mapping) else "the label is missing",
            )
        )
    elif not isinstance(label, str):
        problems.append(("label-not-string", f"the label is not a string (found {type(label).__name__})"))
    elif not label.strip():
        problems.append(("label-missing", "the label is empty"))
    elif unencodable := _unencodable(label, "the label"):
        problems.append(("unencodable-text", unencodable))
    if not problems:
        if start > end:
            problems.append(("start-after-end", "start is after end"))
        elif start == end and not inclusive_end:
            # A one-character entity of a file with inclusive ends (DataTurks) reads as exactly this.
            hint = (
                " (if the file's end offsets are inclusive, as DataTurks exports them, set end: inclusive)"
                if end_convention == "exclusive"
                else ""
            )
            problems.append(("empty-span", f"start equals end, the span is empty{hint}"))
        elif text is not None and (start < 0 or end + inclusive_end > len(text)):
            inclusive = f"; end is inclusive, so at most {len(text) - 1}" if inclusive_end else ""
            problems.append(("span-out-of-range", f"offsets fall outside the text (length {len(text)}{inclusive})"))
    for rule, detail in problems:
        collector.add(where, rule, detail, span=shown, file=file)
    if problems or text is None:
        return None
    end += inclusive_end  # from here on, end is exclusive whatever the file's convention
    trimmed_start = start + len(text[start:end]) - len(text[start:end].lstrip())
    trimmed_end = end - (len(text[start:end]) - len(text[start:end].rstrip()))
    if trimmed_start >= trimmed_end:
        collector.add(where, "whitespace-only-span", "the span covers only whitespace", span=shown, file=file)
        return None
    return Span(trimmed_start, trimmed_end, label)


EmptyTextPolicy = Literal["error", "drop"]


def apply_empty_text_policy(corpus: Corpus, policy: EmptyTextPolicy = "drop", max_problems: int = 50) -> Corpus:
    """Documents whose text is empty or whitespace only: ``drop`` removes them (counted and named in the log),
    ``error`` fails listing each one.

    They are never kept: a resume with no text teaches nothing, and would take a place in the hold-out set or a
    fold as if it were one.
    """
    if policy not in ("error", "drop"):
        raise ValueError(f"empty_texts must be 'error' or 'drop', got {policy!r}")
    empty = [doc for doc in corpus if not doc.text.strip()]
    if not empty:
        return corpus
    if policy == "error":
        collector = ProblemCollector(corpus.source, max_problems)
        for doc in empty:
            collector.add(
                doc.location(), "empty-text", f"field 'text' is {'empty' if not doc.text else 'whitespace only'}"
            )
        collector.raise_if_any("Remove these records from the file, or set corpus.empty_texts: drop.")
    more = f" and {len(empty) - 10} more" if len(empty) > 10 else ""
    shown = ", ".join(doc.location() for doc in empty[:10]) + more
    logger.info(
        "Dropped %d document(s) whose text is empty or whitespace only from %s: %s (corpus.empty_texts: drop; "
        "set it to error to stop instead)",
        len(empty),
        corpus.source,
        shown,
    )
    dropped = {id(doc) for doc in empty}
    return corpus.replace(doc for doc in corpus if id(doc) not in dropped)


def warn_if_ends_look_inclusive(corpus: Corpus) -> None:
    """Log a warning when most spans end inside a word, cutting its last character off: the mark of a file whose
    end offsets are inclusive (DataTurks exports) read as exclusive. Only a warning: text without spaces between
    words (Chinese, Japanese) ends spans inside "words" all the time."""
    total, cut, example = 0, 0, None
    for doc in corpus:
        for span in doc.spans:
            total += 1
            if span.end < len(doc.text) and doc.text[span.end - 1].isalnum() and doc.text[span.end].isalnum():
                cut += 1
                example = example or (doc, span)
    if cut >= 5 and cut > total / 2 and example is not None:
        doc, span = example
        logger.warning(
            "%d of %d spans in %s end inside a word (e.g. %s: %r before %r): if the file's end offsets are "
            "inclusive (DataTurks exports them so), set end: inclusive on its CorpusDataset entry",
            cut,
            total,
            corpus.source,
            doc.location(),
            doc.text[span.start : span.end],
            doc.text[span.end],
        )
