"""The data_processing pipeline: with a runner on an in-memory catalog, and as real `kedro run` sessions."""

from __future__ import annotations

import json

import mlflow
import pytest
from conftest import (
    DEFAULT_CORPUS,
    DOTIN_JSON,
    GREEN2022_CONLL,
    copy_project,
    requires_shared_data,
    run_kedro,
)
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from resume_ner.corpus.reading import read_corpus
from resume_ner.errors import find_user_error
from resume_ner.pipelines.data_processing import create_pipeline
from resume_ner.pipelines.data_processing.parameters import (
    CorpusParameters,
    ExtraCorporaParameters,
    SplitParameters,
)

OUTPUTS = {
    "corpus": "03_primary/corpus.json",
    "label_schema": "03_primary/label_schema.json",
    "document_groups": "02_intermediate/document_groups.json",
    "holdout_split": "05_model_input/holdout_split.json",
    "folds": "05_model_input/folds.json",
    "corpus_report": "08_reporting/corpus_report.json",
}


def test_pipeline_runs_on_an_in_memory_catalog(small_corpus):
    catalog = DataCatalog(
        {
            "raw_corpus": MemoryDataset(small_corpus),
            "params:corpus": MemoryDataset(CorpusParameters()),
            "params:splits": MemoryDataset(SplitParameters(n_folds=3, holdout_fraction=0.2)),
            "extra_corpora": MemoryDataset({}),
            "params:extra_corpora": MemoryDataset(ExtraCorporaParameters()),
        }
    )
    outputs = SequentialRunner().run(create_pipeline(), catalog)
    report = outputs["corpus_report"].load()
    assert report["corpus"]["documents"] == len(small_corpus)
    assert [fold["documents"] for fold in report["folds"]] and len(report["folds"]) == 3
    assert outputs["label_schema"].load()["entity_types"] == ["COMPANY", "EMAIL", "NAME", "SKILL"]


def _outputs(project):
    return {name: project / "data" / relative for name, relative in OUTPUTS.items()}


def _last_run(project):
    client = mlflow.MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("resume_ner")
    return client.search_runs([experiment.experiment_id], order_by=["attributes.start_time DESC"])[0]


@pytest.mark.slow
def test_kedro_run_on_the_default_corpus_writes_every_output_and_one_mlflow_run(tmp_path):
    project = copy_project(tmp_path)
    run_kedro(project, "data_processing")
    paths = _outputs(project)
    assert all(path.exists() for path in paths.values())
    corpus = read_corpus(paths["corpus"])
    folds = json.loads(paths["folds"].read_text())
    schema = json.loads(paths["label_schema"].read_text())
    assert folds["corpus_fingerprint"] == corpus.fingerprint()
    assert set(schema["entity_types"]) == set(corpus.label_counts())
    assert mlflow.active_run() is None  # the run-leak fix ended kedro-mlflow's run
    run = _last_run(project)
    assert run.info.status == "FINISHED"
    assert run.data.params["splits.n_folds"] == "5"
    assert run.data.params["splits.near_duplicates.threshold"] == "0.75"
    assert run.data.params["corpus.overlapping_spans"] == "keep_longest"


@pytest.mark.slow
@requires_shared_data(DOTIN_JSON)
def test_kedro_run_on_the_dotin_resumes_unchanged(tmp_path):
    project = copy_project(tmp_path, raw_corpus=DOTIN_JSON)
    run_kedro(project, "data_processing")
    report = json.loads(_outputs(project)["corpus_report"].read_text())
    assert report["corpus"]["documents"] == 310
    assert report["corpus"]["entities"] == 15_681
    assert report["holdout"]["documents"] in range(40, 55)


@pytest.mark.slow
@requires_shared_data(GREEN2022_CONLL)
def test_kedro_run_with_an_extra_corpus_trains_on_it_but_holds_out_and_validates_on_the_main_corpus_only(tmp_path):
    alone = copy_project(tmp_path / "alone")
    run_kedro(alone, "data_processing")
    project = copy_project(tmp_path / "with")
    (project / "conf" / "local" / "catalog.yml").write_text(
        "extra_corpora:\n"
        "  type: resume_ner.datasets.CorpusCollectionDataset\n"
        "  corpora:\n"
        f"    green2022: {{filepath: {GREEN2022_CONLL}, format: conll}}\n",
        encoding="utf-8",
    )
    (project / "conf" / "local" / "parameters.yml").write_text(
        "extra_corpora:\n  green2022: {label_mapping: {rename: {Skill: SKILL}}, other_labels: drop}\n",
        encoding="utf-8",
    )
    run_kedro(project, "data_processing")
    paths, alone_paths = _outputs(project), _outputs(alone)
    report = json.loads(paths["corpus_report"].read_text())
    green = report["extra_corpora"]["green2022"]
    assert green["documents_read"] == 336
    assert green["dropped_no_labels_left"] > 0  # sentences with only occupations, domains, ...
    assert green["documents"] == report["training_only"]["documents"] == 336 - green["dropped_no_labels_left"]
    assert set(green["entities_per_type"]) == {"SKILL"}
    holdout, alone_holdout = (json.loads(p["holdout_split"].read_text()) for p in (paths, alone_paths))
    folds, alone_folds = (json.loads(p["folds"].read_text()) for p in (paths, alone_paths))
    assert holdout["holdout"] == alone_holdout["holdout"]
    assert [f["validation"] for f in folds["folds"]] == [f["validation"] for f in alone_folds["folds"]]
    assert all(set(holdout["training_only"]) <= set(f["train"]) for f in folds["folds"])
    corpus = read_corpus(paths["corpus"])
    assert len(corpus) == len(read_corpus(alone_paths["corpus"])) + green["documents"]


@pytest.mark.slow
@requires_shared_data(DOTIN_JSON)
def test_kedro_run_reads_inclusive_end_offsets_set_in_the_catalog_with_spans_intact(tmp_path):
    # The dotin resumes with DataTurks' inclusive end offsets: `end: inclusive` on the catalog entry restores them.
    records = json.loads(DOTIN_JSON.read_text(encoding="utf-8"))
    inclusive = tmp_path / "dataturks.jsonl"
    inclusive.write_text(
        "".join(
            json.dumps({**record, "annotations": [[s, e - 1, label] for s, e, label in record["annotations"]]}) + "\n"
            for record in records
        ),
        encoding="utf-8",
    )
    project = copy_project(tmp_path, raw_corpus=inclusive, corpus_format="jsonl")
    catalog = project / "conf" / "local" / "catalog.yml"
    catalog.write_text(catalog.read_text(encoding="utf-8") + "  end: inclusive\n", encoding="utf-8")
    run_kedro(project, "data_processing")
    assert read_corpus(_outputs(project)["corpus"]).fingerprint() == read_corpus(DOTIN_JSON).fingerprint()


MALFORMED = [
    {"id": "1", "text": "Jane Doe", "annotations": [[0, 99, "NAME"]]},
    {"id": "2", "text": "Jane Doe", "annotations": [[4, 4, "NAME"]]},
    {"id": "3", "text": "Jane Doe", "annotations": [[5, 0, "NAME"]]},
    {"id": "4", "text": "Jane Doe", "annotations": [["0", 4, "NAME"]]},
    {"id": "5", "text": "Jane Doe", "annotations": [[0, 4]]},
    {"id": "6", "text": "Jane Doe", "annotations": [[0, 4, ["NAME"]]]},
    {"id": "7", "annotations": []},
    {"id": "8", "text": ["Jane"], "annotations": []},
    {"id": "1", "text": "again", "annotations": []},
    {"id": "10", "text": "Jane   Doe", "annotations": [[4, 7, "NAME"]]},
    {"id": "11", "text": "Jane Doe", "annotations": {"0": [0, 4, "NAME"]}},
    {"id": "12", "text": "Jane Doe"},
]


@pytest.mark.slow
def test_a_malformed_corpus_stops_the_run_listing_every_fault_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(MALFORMED), encoding="utf-8")
    project = copy_project(tmp_path, raw_corpus=bad)
    with pytest.raises(Exception) as caught:
        run_kedro(project, "data_processing")
    message = str(caught.value)
    assert f"Corpus {bad} is not valid: {len(MALFORMED)} problem(s)" in message
    for rule in [
        "span-out-of-range",
        "empty-span",
        "start-after-end",
        "non-integer-offset",
        "label-missing",
        "label-not-string",
        "text-missing",
        "text-not-string",
        "duplicate-id",
        "whitespace-only-span",
        "annotations-not-list",
        "annotations-missing",
    ]:
        assert f"[{rule}]" in message, rule
    assert not [path for path in _outputs(project).values() if path.exists()]
    assert _last_run(project).info.status == "FAILED"
    assert mlflow.active_run() is None


@pytest.mark.slow
def test_a_corpus_without_entities_stops_the_run_at_load_and_writes_nothing(tmp_path):
    raw = tmp_path / "unlabelled.json"
    raw.write_text(json.dumps([{"id": "1", "text": "Jane Doe, engineer", "annotations": []}]), encoding="utf-8")
    project = copy_project(tmp_path, raw_corpus=raw)
    with pytest.raises(Exception) as caught:
        run_kedro(project, "data_processing")
    assert str(find_user_error(caught.value)).startswith(f"Corpus {raw} has 1 document(s) but no entity spans")
    assert not [path for path in _outputs(project).values() if path.exists()]
    assert _last_run(project).info.status == "FAILED"


@pytest.mark.slow
def test_a_label_mapping_that_drops_every_label_stops_the_run_before_writing(tmp_path):
    project = copy_project(tmp_path)
    labels = sorted(read_corpus(project / "data" / "01_raw" / "synthetic_resumes.json").label_counts())
    with pytest.raises(Exception) as caught:
        run_kedro(project, "data_processing", runtime_params={"corpus": {"label_mapping": {"drop": labels}}})
    assert "corpus.label_mapping.drop removes every label it has" in str(find_user_error(caught.value))
    assert not [path for path in _outputs(project).values() if path.exists()]


def _with_an_empty_resume(tmp_path):
    records = json.loads(DEFAULT_CORPUS.read_text(encoding="utf-8"))
    records.append({"id": "empty", "text": " \n ", "annotations": []})
    path = tmp_path / "with_empty.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


@pytest.mark.slow
def test_an_empty_resume_is_dropped_with_a_logged_count_never_kept(tmp_path, caplog):
    project = copy_project(tmp_path, raw_corpus=_with_an_empty_resume(tmp_path))
    run_kedro(project, "data_processing")
    paths = _outputs(project)
    assert "empty" not in read_corpus(paths["corpus"]).ids()
    holdout = json.loads(paths["holdout_split"].read_text())
    assert "empty" not in holdout["train"] + holdout["holdout"]
    assert any(
        message.startswith("Dropped 1 document(s) whose text is empty or whitespace only")
        for message in caplog.messages
    )


@pytest.mark.slow
def test_an_empty_resume_stops_the_run_under_the_error_policy_writing_nothing(tmp_path):
    raw = _with_an_empty_resume(tmp_path)
    project = copy_project(tmp_path, raw_corpus=raw)
    with pytest.raises(Exception) as caught:
        run_kedro(project, "data_processing", runtime_params={"corpus": {"empty_texts": "error"}})
    last = len(json.loads(raw.read_text(encoding="utf-8"))) - 1
    assert f"{raw}: record {last} (id 'empty'): field 'text' is whitespace only [empty-text]" in str(
        find_user_error(caught.value)
    )
    assert not [path for path in _outputs(project).values() if path.exists()]


@pytest.mark.slow
def test_bad_parameters_fail_before_any_node_runs(tmp_path):
    project = copy_project(tmp_path)
    with pytest.raises(Exception, match="n_folds"):
        run_kedro(project, "data_processing", runtime_params={"splits": {"n_folds": 1}})
    assert not [path for path in _outputs(project).values() if path.exists()]


@pytest.mark.slow
def test_more_folds_than_documents_is_a_clear_error(tmp_path):
    project = copy_project(tmp_path)
    with pytest.raises(ValueError, match="n_folds is 5000 but the training part has only"):
        run_kedro(project, "data_processing", runtime_params={"splits": {"n_folds": 5000}})
