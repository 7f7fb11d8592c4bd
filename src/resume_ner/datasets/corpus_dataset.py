"""``CorpusDataset``: a labelled corpus file in any supported format, validated on load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from resume_ner.corpus.documents import Corpus
from resume_ner.corpus.formats import READERS, write_json
from resume_ner.corpus.reading import (
    CorpusFileNotFoundError,
    check_end_convention,
    read_corpus,
)
from resume_ner.errors import UserInputError


class CorpusDatasetConfigError(UserInputError, DatasetError):
    """A catalog entry with an argument CorpusDataset does not take; reported in one line, exit status 2."""


class CorpusLoadError(UserInputError, DatasetError):
    """A corpus that cannot be loaded, for a reason the user can fix (its message says which); the original error,
    with its list of problems, is its ``__cause__``.

    Being a DatasetError, Kedro passes it on as it is instead of burying the message under its own
    ``Failed while loading data from dataset CorpusDataset(filepath=..., format=..., max_problems=...)`` line.
    """


class CorpusDataset(AbstractDataset[Corpus, Corpus]):
    """A corpus of documents with entity spans.

    ``format`` is one of ``json`` (a list of ``{"id", "text", "annotations": [[start, end, label], ...]}``),
    ``jsonl``, ``doccano``, ``inline_xml`` (a folder or zip of ``<label type="X">`` tagged files) or ``conll``.
    Loading validates every record and raises one error listing up to ``max_problems`` problems. ``end:
    inclusive`` (json and jsonl) reads span end offsets that point at the last character, as DataTurks exports
    them. Saving always writes the ``json`` format with exclusive ends, atomically.

    Example ``conf/base/catalog.yml`` entry::

        raw_corpus:
          type: resume_ner.datasets.CorpusDataset
          filepath: data/01_raw/resumes.zip
          format: inline_xml
    """

    def __init__(
        self,
        filepath: str,
        format: str = "json",
        max_problems: int = 50,
        end: str = "exclusive",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if format not in READERS:
            raise CorpusDatasetConfigError(
                f"CorpusDataset format {format!r} is not one of {', '.join(READERS)} ({filepath})"
            )
        try:
            check_end_convention(end, format, filepath)
        except UserInputError as error:
            raise CorpusDatasetConfigError(f"CorpusDataset {error}") from error
        self._filepath = Path(filepath)
        self._format = format
        self._max_problems = max_problems
        self._end = end
        self.metadata = metadata

    def load(self) -> Corpus:
        """Read and validate the file; a missing one names the catalog entry that points at it."""
        try:
            if not self._filepath.exists():
                raise CorpusFileNotFoundError(
                    f"Corpus file {self._filepath} does not exist: {_missing_file_hint(self._filepath)}"
                )
            return read_corpus(self._filepath, self._format, self._max_problems, self._end)
        except UserInputError as error:
            raise CorpusLoadError(str(error)) from error

    def save(self, data: Corpus) -> None:
        if self._format != "json":
            raise DatasetError(f"CorpusDataset saves only the json format; set format: json for {self._filepath}")
        if self._end != "exclusive":
            # What it writes has exclusive ends: read back as inclusive, every span would gain a character.
            raise DatasetError(
                f"CorpusDataset saves exclusive end offsets only; remove end: inclusive for {self._filepath}"
            )
        if not isinstance(data, Corpus):
            raise DatasetError(f"CorpusDataset saves a Corpus, got {type(data).__name__}")
        write_json(data, self._filepath)

    def _exists(self) -> bool:
        return self._filepath.exists()

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": str(self._filepath),
            "format": self._format,
            "max_problems": self._max_problems,
            "end": self._end,
        }


def _missing_file_hint(path: Path) -> str:
    """Which catalog entry to fix: the dataset never learns its name or conf environment from Kedro, so look for
    the entries whose filepath resolves to ``path`` in the project around the file or the working folder."""
    entries = _catalog_entries_for(path)
    # conf/local (or the --env given) overrides conf/base: an entry there is the one in effect.
    overriding = [entry for entry in entries if not entry[1].startswith("conf/base/")] or entries
    if not overriding:
        return (
            "fix the filepath of its entry in the catalog (conf/base/catalog.yml, or conf/local/catalog.yml where "
            "that overrides it)"
        )
    names = " or ".join(f"{name} in {catalog}" for _, catalog, name, _ in overriding)
    project, _, _, relative = overriding[0]
    note = f" (a relative path is relative to the project folder, {project})" if relative else ""
    return f"fix the filepath of {names}{note}"


def _catalog_entries_for(path: Path) -> list[tuple[Path, str, str, bool]]:
    """``(project, catalog file relative to it, entry name, whether its filepath is relative)`` for every catalog
    entry of the nearby Kedro projects whose filepath is ``path``."""
    import yaml
    from kedro.utils import find_kedro_project

    target = path.resolve()
    projects = {find_kedro_project(folder) for folder in (path.parent, Path.cwd())} - {None}
    found = []
    for project in sorted(projects):
        conf = project / "conf"
        for catalog in sorted(conf.glob("*/**/*.y*ml")):
            relative_name = catalog.relative_to(project).as_posix()
            if "catalog" not in catalog.relative_to(conf).as_posix():
                continue
            try:
                entries = yaml.safe_load(catalog.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError):
                continue  # Kedro itself reports a catalog it cannot read
            for name, entry in entries.items() if isinstance(entries, dict) else ():
                filepath = entry.get("filepath") if isinstance(entry, dict) else None
                if isinstance(filepath, str) and (project / filepath).resolve() == target:
                    found.append((project, relative_name, name, not Path(filepath).is_absolute()))
    return found


class CorpusCollectionDataset(AbstractDataset[dict[str, Corpus], dict[str, Corpus]]):
    """Named corpora, each a ``CorpusDataset`` (``filepath``, ``format``, ``end``, ``max_problems``), loaded as
    ``{name: Corpus}``; no corpus (the default) loads as ``{}``. Read-only: the extra training corpora.

    Example ``conf/base/catalog.yml`` entry::

        extra_corpora:
          type: resume_ner.datasets.CorpusCollectionDataset
          corpora:
            green2022:
              filepath: ../shared/data/job_descriptions_green2022/testset.conll
              format: conll
    """

    def __init__(self, corpora: dict[str, dict] | None = None, metadata: dict[str, Any] | None = None) -> None:
        self._corpora: dict[str, CorpusDataset] = {}
        for name, settings in (corpora or {}).items():
            if not isinstance(settings, dict) or "filepath" not in settings:
                raise CorpusDatasetConfigError(
                    f"CorpusCollectionDataset corpora.{name} needs a filepath (and a format unless it is json)"
                )
            try:
                self._corpora[name] = CorpusDataset(**settings)
            except TypeError as error:
                raise CorpusDatasetConfigError(f"CorpusCollectionDataset corpora.{name}: {error}") from error
            except CorpusDatasetConfigError as error:
                raise CorpusDatasetConfigError(f"CorpusCollectionDataset corpora.{name}: {error}") from error
        self.metadata = metadata

    def load(self) -> dict[str, Corpus]:
        """Every corpus, read and validated; the first that fails names its entry."""
        corpora = {}
        for name, dataset in self._corpora.items():
            try:
                corpora[name] = dataset.load()
            except CorpusLoadError as error:
                raise CorpusLoadError(f"extra corpus {name}: {error}") from error.__cause__
        return corpora

    def save(self, data: dict[str, Corpus]) -> None:
        raise DatasetError("CorpusCollectionDataset is read-only: it lists corpora to read")

    def _exists(self) -> bool:
        return all(dataset.exists() for dataset in self._corpora.values())

    def _describe(self) -> dict[str, Any]:
        return {"corpora": {name: dataset._describe() for name, dataset in self._corpora.items()}}
