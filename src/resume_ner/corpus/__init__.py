"""Corpora: formats, validation, label policies and schema, near-duplicates and splits."""

from resume_ner.corpus.documents import Corpus, Document, Span
from resume_ner.corpus.labels import LabelSchema
from resume_ner.corpus.problems import CorpusValidationError
from resume_ner.corpus.reading import read_corpus

__all__ = ["Corpus", "CorpusValidationError", "Document", "LabelSchema", "Span", "read_corpus"]
