"""Mention overlap between the evaluation and training sides of each split, and the splits data_processing makes."""

from __future__ import annotations

import json

import pytest
from conftest import DEFAULT_CORPUS, REPO_ROOT, copy_project, make_document, run_kedro

from resume_ner.corpus.documents import Corpus
from resume_ner.corpus.overlap import (
    DEFAULT_PARAMETERS,
    format_overlap,
    main,
    mention_overlap,
    pipeline_splits,
    read_parameters,
    split_overlap,
)
from resume_ner.corpus.reading import read_corpus


@pytest.fixture
def tiny_corpus() -> Corpus:
    return Corpus(
        (
            make_document("a", [("Ada Lovelace", "NAME"), " knows ", ("Python", "SKILL"), " and ", ("SQL", "SKILL")]),
            make_document("b", [("Alan Turing", "NAME"), " at ", ("Acme", "COMPANY"), ", ", ("Python", "SKILL")]),
            # Verbatim means case and type too: "python" and "Python" the COMPANY are not training mentions.
            make_document(
                "c",
                [
                    ("Ada Lovelace", "NAME"),
                    " knows ",
                    ("python", "SKILL"),
                    ", ",
                    ("Python", "SKILL"),
                    " at ",
                    ("Python", "COMPANY"),
                    " and ",
                    ("Acme", "COMPANY"),
                ],
            ),
            make_document("d", [("Grace Hopper", "NAME"), " knows ", ("SQL", "SKILL"), " and ", ("SQL", "SKILL")]),
        )
    )


def test_mention_overlap_counts_each_mention_by_text_and_type(tiny_corpus):
    overlap = mention_overlap(tiny_corpus, ["a", "b"], ["c", "d"])
    assert overlap["mentions"] == 8
    assert overlap["in_training"] == 5  # Ada Lovelace, Python (SKILL), Acme, and SQL twice
    assert overlap["share"] == 0.625
    assert overlap["per_type"] == {
        "COMPANY": {"mentions": 2, "in_training": 1, "share": 0.5},
        "NAME": {"mentions": 2, "in_training": 1, "share": 0.5},
        "SKILL": {"mentions": 4, "in_training": 3, "share": 0.75},
    }
    assert mention_overlap(tiny_corpus, ["a", "b", "c"], ["d"])["share"] == round(2 / 3, 4)


def test_mention_overlap_of_nothing_has_no_share(tiny_corpus):
    assert mention_overlap(tiny_corpus, ["a"], []) == {"mentions": 0, "in_training": 0, "share": None, "per_type": {}}
    assert mention_overlap(tiny_corpus, [], ["a"])["share"] == 0.0


def test_split_overlap_measures_the_holdout_and_each_folds_validation_against_its_own_training_side(tiny_corpus):
    holdout = {"train": ["a", "b", "c"], "holdout": ["d"]}
    folds = {
        "folds": [
            {"fold": 0, "train": ["a", "b"], "validation": ["c"]},
            {"fold": 1, "train": ["c"], "validation": ["a", "b"]},
        ]
    }
    report = split_overlap(tiny_corpus, holdout, folds)
    assert report["holdout"] == mention_overlap(tiny_corpus, ["a", "b", "c"], ["d"])
    assert report["folds"] == [
        mention_overlap(tiny_corpus, ["a", "b"], ["c"]),
        mention_overlap(tiny_corpus, ["c"], ["a", "b"]),
    ]
    assert report["folds"][1]["per_type"]["NAME"] == {"mentions": 2, "in_training": 1, "share": 0.5}


def test_an_unknown_document_id_is_an_error_naming_it(tiny_corpus):
    with pytest.raises(KeyError, match="nope"):
        mention_overlap(tiny_corpus, ["a"], ["nope"])


def test_format_overlap_is_a_table_with_one_column_per_split(tiny_corpus):
    holdout = {"train": ["a", "b", "c"], "holdout": ["d"]}
    folds = {"folds": [{"fold": 0, "train": ["a", "b"], "validation": ["c"]}]}
    lines = format_overlap(split_overlap(tiny_corpus, holdout, folds)).splitlines()
    assert lines[0].split() == ["type", "holdout", "fold", "0"]
    assert [line.split()[0] for line in lines[1:]] == ["all", "COMPANY", "NAME", "SKILL"]
    assert lines[1].split() == ["all", "66.7%", "(3)", "60.0%", "(5)"]
    assert lines[2].split() == ["COMPANY", "-", "50.0%", "(2)"]  # no hold-out mention of that type
    assert lines[3].split() == ["NAME", "0.0%", "(1)", "100.0%", "(1)"]
    assert lines[4].split() == ["SKILL", "100.0%", "(2)", "50.0%", "(2)"]


def test_read_parameters_reads_the_shipped_data_processing_parameters():
    parameters = read_parameters(REPO_ROOT / DEFAULT_PARAMETERS)
    assert parameters["splits"]["seed"] == 42 and parameters["splits"]["n_folds"] == 5
    assert set(parameters) == {"corpus", "splits", "extra_corpora"}
    assert parameters["extra_corpora"] == {}  # none shipped


@pytest.mark.slow
def test_pipeline_splits_are_the_splits_a_data_processing_run_writes(tmp_path):
    project = copy_project(tmp_path)
    run_kedro(project, "data_processing")
    written = {
        name: json.loads((project / "data" / "05_model_input" / f"{name}.json").read_text())
        for name in ("holdout_split", "folds")
    }
    made = pipeline_splits(read_corpus(DEFAULT_CORPUS), read_parameters(REPO_ROOT / DEFAULT_PARAMETERS))
    assert made.holdout_split == written["holdout_split"]
    assert made.folds == written["folds"]
    assert made.corpus == read_corpus(project / "data" / "03_primary" / "corpus.json")


def test_pipeline_splits_apply_the_label_mapping_first(small_corpus):
    made = pipeline_splits(
        small_corpus,
        {"corpus": {"label_mapping": {"rename": {"SKILL": "TOOL"}}}, "splits": {"n_folds": 3, "holdout_fraction": 0.2}},
    )
    assert "TOOL" in made.corpus.label_counts() and len(made.folds["folds"]) == 3
    assert sorted(made.holdout_split["train"] + made.holdout_split["holdout"]) == sorted(small_corpus.ids())


def test_the_command_prints_the_table_for_the_shipped_corpus(capsys, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    assert main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    table = lines[[line.split()[:1] for line in lines].index(["type"]) :]  # after any log lines of the nodes
    assert table[0].split() == ["type", "holdout", "fold", "0", "fold", "1", "fold", "2", "fold", "3", "fold", "4"]
    assert [line.split()[0] for line in table[1:3]] == ["all", "COLLEGE"]
