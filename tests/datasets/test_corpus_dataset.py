"""CorpusDataset as the catalog builds it: its arguments, and the hints it gives about the catalog entry."""

from __future__ import annotations

import json
import logging

import pytest
from conftest import DOTIN_JSON, copy_project, requires_shared_data

from resume_ner.corpus.reading import read_corpus
from resume_ner.datasets import CorpusCollectionDataset, CorpusDataset
from resume_ner.datasets.corpus_dataset import CorpusDatasetConfigError, CorpusLoadError
from resume_ner.errors import UserInputError


def _project_with_entries(tmp_path, base: str, local: str | None = None):
    """A project copy whose raw_corpus entry in conf/base (and, with ``local``, conf/local) reads these paths."""
    project = copy_project(tmp_path)
    catalog = project / "conf" / "base" / "catalog.yml"
    catalog.write_text(catalog.read_text().replace("filepath: data/01_raw/synthetic_resumes.json", f"filepath: {base}"))
    if local is not None:
        (project / "conf" / "local" / "catalog.yml").write_text(
            f"raw_corpus:\n  type: resume_ner.datasets.CorpusDataset\n  filepath: {local}\n  format: json\n"
        )
    return project


@pytest.mark.parametrize(
    ("local", "relative", "catalog"),
    [
        (None, "data/01_raw/cvs.json", "conf/base/catalog.yml"),
        ("data/01_raw/typo.json", "data/01_raw/typo.json", "conf/local/catalog.yml"),
    ],
)
def test_a_missing_file_names_the_catalog_file_and_entry_it_came_from(tmp_path, local, relative, catalog):
    project = _project_with_entries(tmp_path, base="data/01_raw/cvs.json", local=local)
    # Kedro hands the dataset an absolute path: relative ones are resolved against the project folder.
    with pytest.raises(UserInputError) as caught:
        CorpusDataset(filepath=str(project / relative)).load()
    assert str(caught.value) == (
        f"Corpus file {project / relative} does not exist: fix the filepath of raw_corpus in {catalog} "
        f"(a relative path is relative to the project folder, {project})"
    )


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
        "(conf/base/catalog.yml, or conf/local/catalog.yml where that overrides it)"
    )


def test_unknown_format_or_end_is_one_line_naming_the_choices(tmp_path):
    with pytest.raises(
        UserInputError,
        match=r"^CorpusDataset format 'xml' is not one of json, jsonl, doccano, "
        r"inline_xml, conll \(.*cvs.json\)$",
    ):
        CorpusDataset(filepath=str(tmp_path / "cvs.json"), format="xml")


def _dataturks_style(record: dict) -> dict:
    """A dotin resume (the DataTurks Indeed resumes are among their sources) with DataTurks' inclusive end offsets."""
    return {
        "id": record["id"],
        "text": record["text"],
        "annotations": [[start, end - 1, label] for start, end, label in record["annotations"]],
    }


@requires_shared_data(DOTIN_JSON)
def test_inclusive_end_offsets_load_a_real_dataturks_style_record_with_its_spans_intact(tmp_path, caplog):
    record = json.loads(DOTIN_JSON.read_text(encoding="utf-8"))[0]
    path = tmp_path / "dataturks.jsonl"
    path.write_text(json.dumps(_dataturks_style(record)) + "\n", encoding="utf-8")
    expected = read_corpus(DOTIN_JSON).by_id()[record["id"]]

    intact = CorpusDataset(filepath=str(path), format="jsonl", end="inclusive").load().documents[0]
    assert intact == expected
    assert intact.text[intact.spans[0].start : intact.spans[0].end] == "Meda Cronin"

    # Read as exclusive, a one-character entity is empty, and the problem says what to set.
    with pytest.raises(UserInputError) as caught:
        CorpusDataset(filepath=str(path), format="jsonl").load()
    assert (
        f"  - {path}: line 1 (id '1'), span [864, 864, 'Tech Tools']: start equals end, the span is empty (if the "
        "file's end offsets are inclusive, as DataTurks exports them, set end: inclusive) [empty-span]"
    ) in str(caught.value).splitlines()

    # Without such entities it loads, every span one character short, and the log says what to set.
    longer = dict(record, annotations=[span for span in record["annotations"] if span[1] - span[0] > 1])
    path.write_text(json.dumps(_dataturks_style(longer)) + "\n", encoding="utf-8")
    caplog.set_level(logging.WARNING, logger="resume_ner")
    drifted = CorpusDataset(filepath=str(path), format="jsonl").load().documents[0]
    assert drifted.text[drifted.spans[0].start : drifted.spans[0].end] == "Meda Croni"
    warning = next(message for message in caplog.messages if "end inside a word" in message)
    # 33: three of the 36 spans lose a character that is not a letter or digit ("C++" becomes "C+").
    assert warning == (
        f"33 of {len(drifted.spans)} spans in {path} end inside a word (e.g. line 1 "
        "(id '1'): 'Meda Croni' before 'n'): if the file's end offsets are inclusive (DataTurks "
        "exports them so), set end: inclusive on its CorpusDataset entry"
    )


@requires_shared_data(DOTIN_JSON)
def test_the_dotin_resumes_give_no_drift_warning(caplog):
    caplog.set_level(logging.WARNING, logger="resume_ner")
    CorpusDataset(filepath=str(DOTIN_JSON)).load()
    assert not [message for message in caplog.messages if "end inside a word" in message]


def test_end_must_be_exclusive_or_inclusive_and_inclusive_only_for_span_lists(tmp_path):
    with pytest.raises(UserInputError, match=r"^CorpusDataset end 'closed' is not one of exclusive, inclusive"):
        CorpusDataset(filepath=str(tmp_path / "cvs.json"), end="closed")
    with pytest.raises(
        UserInputError,
        match=r"^CorpusDataset end: inclusive applies to the json and jsonl formats, "
        r"not doccano",
    ):
        CorpusDataset(filepath=str(tmp_path / "cvs.jsonl"), format="doccano", end="inclusive")


def test_a_collection_loads_each_named_corpus_in_its_own_format(tmp_path):
    (tmp_path / "ads.conll").write_text("Needs B-Skill \nPython I-Skill \n\nRust B-Skill \n", encoding="utf-8")
    (tmp_path / "more.json").write_text(
        json.dumps([{"id": "m1", "text": "Go and C", "annotations": [[0, 2, "SKILL"]]}]), encoding="utf-8"
    )
    dataset = CorpusCollectionDataset(
        corpora={
            "ads": {"filepath": str(tmp_path / "ads.conll"), "format": "conll"},
            "more": {"filepath": str(tmp_path / "more.json")},
        }
    )
    corpora = dataset.load()
    assert sorted(corpora) == ["ads", "more"]
    assert [doc.text for doc in corpora["ads"]] == ["Needs Python", "Rust"]
    assert corpora["more"].by_id()["m1"].spans[0].label == "SKILL"
    assert CorpusCollectionDataset().load() == {}


def test_a_collection_names_the_corpus_whose_entry_or_file_is_wrong(tmp_path):
    with pytest.raises(CorpusDatasetConfigError, match=r"corpora\.ads needs a filepath"):
        CorpusCollectionDataset(corpora={"ads": {"format": "conll"}})
    with pytest.raises(CorpusDatasetConfigError, match=r"corpora\.ads: CorpusDataset format 'csv' is not one of"):
        CorpusCollectionDataset(corpora={"ads": {"filepath": "x.csv", "format": "csv"}})
    with pytest.raises(CorpusLoadError, match=r"^extra corpus ads: Corpus file .*missing.conll does not exist"):
        CorpusCollectionDataset(corpora={"ads": {"filepath": str(tmp_path / "missing.conll")}}).load()
