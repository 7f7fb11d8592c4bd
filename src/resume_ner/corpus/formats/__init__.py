"""Corpus file formats: one reader per format, all returning raw records; the JSON list is the one we write."""

from resume_ner.corpus.formats.conll import read_conll
from resume_ner.corpus.formats.inline_xml import read_inline_xml
from resume_ner.corpus.formats.json_spans import (
    read_doccano,
    read_json,
    read_jsonl,
    write_json,
)
from resume_ner.corpus.formats.records import RawRecord

READERS = {
    "json": read_json,
    "jsonl": read_jsonl,
    "doccano": read_doccano,
    "inline_xml": read_inline_xml,
    "conll": read_conll,
}

__all__ = ["READERS", "RawRecord", "write_json"]
