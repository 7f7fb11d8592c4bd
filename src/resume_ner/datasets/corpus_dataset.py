"""``CorpusDataset``: a labelled corpus file in any supported format, validated on load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from resume_ner.corpus.documents import Corpus
from resume_ner.corpus.formats import READERS, write_json
from resume_ner.corpus.reading import read_corpus


class CorpusDataset(AbstractDataset[Corpus, Corpus]):
    """A corpus of documents with entity spans.

    ``format`` is one of ``json`` (a list of ``{"id", "text", "annotations": [[start, end, label], ...]}``),
    ``jsonl``, ``doccano``, ``inline_xml`` (a folder or zip of ``<label type="X">`` tagged files) or ``conll``.
    Loading validates every record and raises one error listing up to ``max_problems`` problems. Saving always
    writes the ``json`` format, atomically.

    Example ``conf/base/catalog.yml`` entry::

        raw_corpus:
          type: resume_ner.datasets.CorpusDataset
          filepath: data/01_raw/resumes.zip
          format: inline_xml
    """

    def __init__(
        self, filepath: str, format: str = "json", max_problems: int = 50, metadata: dict[str, Any] | None = None
    ) -> None:
        if format not in READERS:
            raise DatasetError(f"CorpusDataset format {format!r} is not one of {', '.join(READERS)} ({filepath})")
        self._filepath = Path(filepath)
        self._format = format
        self._max_problems = max_problems
        self.metadata = metadata

    def load(self) -> Corpus:
        return read_corpus(self._filepath, self._format, self._max_problems)

    def save(self, data: Corpus) -> None:
        if self._format != "json":
            raise DatasetError(f"CorpusDataset saves only the json format; set format: json for {self._filepath}")
        if not isinstance(data, Corpus):
            raise DatasetError(f"CorpusDataset saves a Corpus, got {type(data).__name__}")
        write_json(data, self._filepath)

    def _exists(self) -> bool:
        return self._filepath.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "format": self._format, "max_problems": self._max_problems}
