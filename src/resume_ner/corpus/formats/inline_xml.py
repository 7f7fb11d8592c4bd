"""Inline tags: one resume per XML file, ``<cv>plain text <label type="X">span</label> more text</cv>``.

The files sit in a folder or a zip archive (the dotin resume corpus ships this way). The document id is the
file name without ``.xml``; the text is the root's text with the tags removed.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from resume_ner.corpus.formats.records import RawRecord, decode_utf8
from resume_ner.corpus.problems import ProblemCollector

LABEL_TAG = "label"
TYPE_ATTRIBUTE = "type"


def read_inline_xml(path: Path, collector: ProblemCollector) -> list[RawRecord]:
    """Every ``*.xml`` file in the folder or zip at ``path``, in natural order of their names."""
    if path.is_dir():
        members = [(str(file), file.stem, file.read_bytes()) for file in path.rglob("*.xml") if file.is_file()]
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [
                (f"{path}!{info.filename}", PurePosixPath(info.filename).stem, archive.read(info))
                for info in archive.infolist()
                if not info.is_dir() and info.filename.endswith(".xml") and "__MACOSX" not in info.filename
            ]
    else:
        members = [(str(path), path.stem, path.read_bytes())]
    members.sort(key=lambda member: _natural_key(member[0]))
    records = []
    for file, stem, raw in members:
        record = _parse_document(raw, file, stem, collector)
        if record is not None:
            records.append(RawRecord(file, f"document '{stem}'", record))
    return records


def _parse_document(raw: bytes, file: str, stem: str, collector: ProblemCollector) -> dict | None:
    where = f"document '{stem}'"
    if decode_utf8(raw, collector, file, where) is None:
        return None
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError as error:
        line, column = error.position
        collector.add(where, "malformed-xml", f"not well-formed XML at line {line}, column {column}", file=file)
        return None
    text = root.text or ""
    annotations = []
    for element in root:
        start = len(text)
        text += "".join(element.itertext())
        if element.tag != LABEL_TAG:
            collector.add(
                where, "unexpected-element", f"<{element.tag}> found; only <{LABEL_TAG}> is allowed", file=file
            )
        elif len(element):
            collector.add(where, "nested-label", f"<{LABEL_TAG}> contains other elements", file=file)
        elif (missing := _type_problem(element, text[start:])) is not None:
            collector.add(where, "label-missing", missing, span=f"[{start}, {len(text)}]", file=file)
        else:
            annotations.append([start, len(text), element.get(TYPE_ATTRIBUTE)])
        text += element.tail or ""
    return {"id": stem, "text": text, "annotations": annotations}


def _type_problem(element: ElementTree.Element, content: str) -> str | None:
    """What is wrong with a ``<label>``'s ``type`` attribute, in the file's own terms, or None when it is fine."""
    value = element.get(TYPE_ATTRIBUTE)
    shown = f"<{LABEL_TAG}>{content[:40]!r}</{LABEL_TAG}>"
    if value is None:
        others = f" (it has {', '.join(f'{name}=' for name in element.attrib)})" if element.attrib else ""
        return f'`{TYPE_ATTRIBUTE}` attribute missing from {shown}{others}; add {TYPE_ATTRIBUTE}="<entity type>"'
    if not value.strip():
        return f"`{TYPE_ATTRIBUTE}` attribute of {shown} is empty; add the entity type"
    return None


def _natural_key(name: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
