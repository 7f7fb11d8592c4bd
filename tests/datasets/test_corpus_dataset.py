"""CorpusDataset as the catalog builds it: its arguments, and the hints it gives about the catalog entry."""

from __future__ import annotations

import pytest
from conftest import copy_project

from resume_ner.datasets import CorpusDataset
from resume_ner.errors import UserInputError


def _project_with_entries(tmp_path, base: str, local: str | None = None):
    """A project copy whose raw_corpus entry in conf/base (and, with ``local``, conf/local) reads these paths."""
    project = copy_project(tmp_path)
    catalog = project / "conf" / "base" / "catalog.yml"
    catalog.write_text(catalog.read_text().replace("filepath: data/01_raw/synthetic_resumes.json", f"filepath: {base}"))
    if local is not None:
        (project / "conf" / "local" / "catalog.yml").write_text(
            f"raw_corpus:\n  type: resume_ner.datasets.CorpusDataset\n  filepath: {local}\n  format: json\n")
    return project


@pytest.mark.parametrize(("local", "relative", "catalog"), [
    (None, "data/01_raw/cvs.json", "conf/base/catalog.yml"),
    ("data/01_raw/typo.json", "data/01_raw/typo.json", "conf/local/catalog.yml"),
])
def test_a_missing_file_names_the_catalog_file_and_entry_it_came_from(tmp_path, local, relative, catalog):
    project = _project_with_entries(tmp_path, base="data/01_raw/cvs.json", local=local)
    # Kedro hands the dataset an absolute path: relative ones are resolved against the project folder.
    with pytest.raises(UserInputError) as caught:
        CorpusDataset(filepath=str(project / relative)).load()
    assert str(caught.value) == (
        f"Corpus file {project / relative} does not exist: fix the filepath of raw_corpus in {catalog} "
        f"(a relative path is relative to the project folder, {project})")


def test_a_missing_file_outside_the_project_is_found_from_the_working_folder(tmp_path, monkeypatch):
    outside = tmp_path / "elsewhere" / "cvs.json"
    project = _project_with_entries(tmp_path, base="data/01_raw/synthetic_resumes.json", local=str(outside))
    monkeypatch.chdir(project)  # where `kedro run` runs
    with pytest.raises(UserInputError, match=r"fix the filepath of raw_corpus in conf/local/catalog.yml"):
        CorpusDataset(filepath=str(outside)).load()


def test_a_missing_file_no_catalog_entry_names_gets_the_general_hint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserInputError) as caught:
        CorpusDataset(filepath=str(tmp_path / "cvs.json")).load()
    assert str(caught.value) == (
        f"Corpus file {tmp_path / 'cvs.json'} does not exist: fix the filepath of its entry in the catalog "
        "(conf/base/catalog.yml, or conf/local/catalog.yml where that overrides it)")


def test_unknown_format_or_end_is_one_line_naming_the_choices(tmp_path):
    with pytest.raises(UserInputError, match=r"^CorpusDataset format 'xml' is not one of json, jsonl, doccano, "
                                             r"inline_xml, conll \(.*cvs.json\)$"):
        CorpusDataset(filepath=str(tmp_path / "cvs.json"), format="xml")
