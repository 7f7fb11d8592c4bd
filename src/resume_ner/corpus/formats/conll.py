"""CoNLL-style columns: one token per line with its tag in the last column, blank lines between sentences.

Columns may be separated by tabs or spaces (trailing spaces are fine). Tags are BIO (also IOB1, BIOES and BILOU);
an ``I-`` tag that does not continue an entity of its type starts one. Tokens are joined with single spaces and
sentences with newlines. Where the file has ``-DOCSTART-`` lines they delimit documents; otherwise every sentence
is a document.
"""

from __future__ import annotations

import logging
from pathlib import Path

from resume_ner.corpus.formats.records import RawRecord, decode_utf8
from resume_ner.corpus.problems import ProblemCollector

logger = logging.getLogger(__name__)

DOCSTART = "-DOCSTART-"
OUTSIDE = "O"
BEGIN_PREFIXES = {"B", "S", "U"}
INSIDE_PREFIXES = {"I", "E", "L"}
ENDING_PREFIXES = {"E", "S", "L", "U"}


def read_conll(path: Path, collector: ProblemCollector) -> list[RawRecord]:
    """Documents of ``path`` as span records with ids ``<file stem>-<n>``."""
    file = str(path)
    text = decode_utf8(path.read_bytes(), collector, file, "file")
    if text is None:
        return []
    lines = text.splitlines()
    has_docstart = any(line.split()[:1] == [DOCSTART] for line in lines)
    documents: list[list[list[tuple[int, str, str]]]] = []  # document -> sentence -> (line number, token, tag)
    sentence: list[tuple[int, str, str]] = []
    document: list[list[tuple[int, str, str]]] = []

    def close_sentence() -> None:
        nonlocal sentence
        if sentence:
            document.append(sentence)
            sentence = []

    def close_document() -> None:
        nonlocal document
        close_sentence()
        if document:
            documents.append(document)
            document = []

    for number, line in enumerate(lines, start=1):
        columns = line.split()
        if not columns:
            close_sentence()
            if not has_docstart:
                close_document()
        elif columns[0] == DOCSTART:
            close_document()
        elif len(columns) < 2:
            collector.add(
                f"line {number}", "missing-tag", f"expected a token and a tag, found {line.strip()!r}", file=file
            )
        else:
            sentence.append((number, columns[0], columns[-1]))
    close_document()
    repaired: list[int] = []
    records = [
        RawRecord(
            file,
            f"document {index} (line {doc[0][0][0]})",
            _to_record(f"{path.stem}-{index}", doc, file, collector, repaired),
        )
        for index, doc in enumerate(documents)
    ]
    if repaired:
        # Normal in IOB1 files, a sign of a broken export in BIO ones: either way the user should know it happened.
        logger.info(
            "Repaired %d I-/E- tag(s) in %s that did not continue an entity of their type (each starts one, "
            "as B- would; the first at line %d)",
            len(repaired),
            file,
            repaired[0],
        )
    return records


def _to_record(doc_id: str, sentences, file: str, collector: ProblemCollector, repaired: list[int]) -> dict:
    """One document's text and spans; the line numbers of inside tags that had to start an entity go to
    ``repaired``."""
    text = ""
    annotations: list[list] = []
    open_entity: list | None = None  # [start, end, label] of the entity the next I- tag may continue
    for sentence_index, sentence in enumerate(sentences):
        if sentence_index:
            text += "\n"
        open_entity = None  # entities never cross sentences
        for token_index, (number, token, tag) in enumerate(sentence):
            if token_index:
                text += " "
            start, end = len(text), len(text) + len(token)
            text += token
            prefix, label = _split_tag(tag)
            if prefix is None:
                collector.add(
                    f"line {number}", "invalid-tag", f"tag {tag!r} is not O or a B-/I-/E-/S-/L-/U- tag", file=file
                )
                open_entity = None
                continue
            if prefix == OUTSIDE:
                open_entity = None
                continue
            continues = prefix in INSIDE_PREFIXES and open_entity is not None and open_entity[2] == label
            if continues and open_entity is not None:
                open_entity[1] = end
            else:
                if prefix in INSIDE_PREFIXES:
                    repaired.append(number)
                open_entity = [start, end, label]
                annotations.append(open_entity)
            if prefix in ENDING_PREFIXES:
                open_entity = None
    return {"id": doc_id, "text": text, "annotations": annotations}


def _split_tag(tag: str) -> tuple[str | None, str | None]:
    """``("B", "SKILL")`` for ``B-SKILL``; only the part before the first hyphen is ever a prefix."""
    if tag == OUTSIDE:
        return OUTSIDE, None
    prefix, hyphen, label = tag.partition("-")
    if hyphen and label and prefix in BEGIN_PREFIXES | INSIDE_PREFIXES:
        return prefix, label
    return None, None
