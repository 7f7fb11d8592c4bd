"""Span formats: a JSON list, JSON Lines, and doccano's JSONL export.

Each record is ``{"id"?, "text", "annotations": [[start, end, label], ...]}`` with ``end`` exclusive. doccano
writes ``label`` instead of ``annotations`` (older exports) or ``entities`` with
``{"start_offset", "end_offset", "label"}`` objects (newer exports); both are read.
"""

from __future__ import annotations

import json
from pathlib import Path

from resume_ner.corpus.documents import Corpus
from resume_ner.corpus.formats.records import RawRecord, decode_utf8
from resume_ner.corpus.problems import ProblemCollector
from resume_ner.files import write_text_atomically


def read_json(path: Path, collector: ProblemCollector) -> list[RawRecord]:
    """A JSON list of records."""
    file = str(path)
    raw = path.read_bytes()
    text = decode_utf8(raw, collector, file, "file")
    if text is None:
        # Keep going on a lossy decode so the other problems of the file are reported in the same run.
        text = raw.decode("utf-8-sig", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        json_lines = _is_json_lines(text)
        hint = "; the file holds one JSON record per line (JSON Lines): use format: jsonl" if json_lines else ""
        collector.add(
            "file", "invalid-json", f"not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}{hint}"
        )
        return []
    if not isinstance(data, list):
        collector.add(
            "file",
            "not-a-list",
            f"the top level must be a list of records, found {type(data).__name__}{_top_level_hint(data)}",
        )
        return []
    return [RawRecord(file, f"record {index}", record) for index, record in enumerate(data)]


def read_jsonl(path: Path, collector: ProblemCollector, doccano: bool = False) -> list[RawRecord]:
    """One JSON record per line; blank lines are skipped. With ``doccano``, read doccano's field names."""
    file = str(path)
    raw = path.read_bytes()
    if _is_json_list(raw):
        # Otherwise every line of the list would be its own invalid-json problem, and none would say why.
        collector.add("file", "invalid-json", "the file is one JSON list, not one record per line: use format: json")
        return []
    records = []
    for number, raw_line in enumerate(raw.splitlines(), start=1):
        where = f"line {number}"
        line = decode_utf8(raw_line, collector, file, where)
        if line is None or not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            collector.add(where, "invalid-json", f"not valid JSON at column {error.colno}: {error.msg}")
            continue
        records.append(RawRecord(file, where, record, _doccano_fields(record) if doccano else {}))
    return records


def _top_level_hint(data) -> str:
    """Where the records probably are when the top level is an object instead of a list."""
    if not isinstance(data, dict):
        return ""
    inner = next(
        (
            key
            for key, value in data.items()
            if isinstance(value, list) and value and all(isinstance(item, dict) for item in value)
        ),
        None,
    )
    if inner is not None:
        return f" (its field {inner!r} holds a list of objects: make that list the whole file)"
    if "text" in data or "content" in data:
        return " (one record? put it in a list, [{...}], or use format: jsonl)"
    return ""


def _is_json_lines(text: str) -> bool:
    """Whether ``text`` (not valid JSON as a whole) starts with a line that is a JSON object of its own."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def _is_json_list(raw: bytes) -> bool:
    """Whether the whole file is one JSON list: a ``json`` file given to a line reader."""
    if not raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
        return False
    try:
        return isinstance(json.loads(raw.decode("utf-8-sig")), list)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False


def read_doccano(path: Path, collector: ProblemCollector) -> list[RawRecord]:
    """doccano's sequence-labelling JSONL export."""
    return read_jsonl(path, collector, doccano=True)


def _doccano_fields(record) -> dict[str, str]:
    """Where a doccano record keeps its spans: ``entities`` (objects with ``start_offset``, ``end_offset``,
    ``label``; newer exports) or ``label`` (``[start, end, label]`` lists; older exports). Validation reads that
    field as it is, so its messages name the field the file has."""
    if not isinstance(record, dict) or "annotations" in record:
        return {}
    return {"annotations": "entities" if "entities" in record else "label"}


def corpus_to_json(corpus: Corpus) -> str:
    """The JSON list format, one document per line so diffs and greps stay readable."""
    lines = [json.dumps(record, ensure_ascii=False) for record in corpus.to_records()]
    return "[\n" + ",\n".join(lines) + "\n]\n"


def write_json(corpus: Corpus, path: Path) -> None:
    """Write ``corpus`` as a JSON list of records, atomically."""
    write_text_atomically(path, corpus_to_json(corpus))
