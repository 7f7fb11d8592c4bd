"""The main job's pipelines end to end on in-memory catalogs (``in_memory.run_in_memory``): data_processing, then
hpo, refit and final_training, each fed what the one before produced, every training child the fake trainer.

The fast tier's cover of the pipelines as a whole; tests/pipelines/*/test_*pipeline*.py run the same pipelines as
real `kedro run` sessions (slow).
"""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pandas as pd
import pytest
from champion_stand_in import Champion, unreadable
from conftest import DEFAULT_CORPUS
from in_memory import TINY_TRAINING, fake_training, project_parameters, run_in_memory, through_catalog

from resume_ner.corpus.documents import Corpus
from resume_ner.corpus.reading import read_corpus
from resume_ner.pipelines.data_processing import create_pipeline as data_processing
from resume_ner.pipelines.final_training import create_pipeline as final_training
from resume_ner.pipelines.hpo import create_pipeline as hpo
from resume_ner.pipelines.inference import create_pipeline as inference
from resume_ner.pipelines.inference import create_serving_pipeline
from resume_ner.pipelines.refit import create_pipeline as refit
from resume_ner.tuning.optimize import TooManyFailedTrials

SPLITS = {"splits": {"n_folds": 3, "holdout_fraction": 0.2}}
STUDY = {
    "hpo": {
        "study_name": "in-memory",
        "n_trials": 2,
        "folds": 2,
        "budget_minutes": None,
        "timeout_seconds": None,
        "search_space_preset": "none",  # the tests' spaces alone, not over the tiny backbone's preset
        "sampler": {"name": "random", "seed": 0},
        "pruner": {"name": "none"},
    }
}
SEARCH_SPACE = {
    "learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
    "epochs": {"type": "int", "low": 1, "high": 2},
}
BEST_PARAMS = {
    "params": {"learning_rate": 0.003, "batch_size": 16},
    "best_epochs": [1, 2, 2],
    "study_name": "hand-written",
    "trial_number": 4,
    "value": 0.5,
}


@pytest.fixture(scope="module")
def processed() -> dict:
    """data_processing's outputs for the first 60 resumes of the default corpus."""
    documents = read_corpus(DEFAULT_CORPUS).documents[:60]
    return run_in_memory(
        data_processing(),
        {"raw_corpus": Corpus(tuple(documents), source="first-60"), "extra_corpora": {}},
        project_parameters(SPLITS),
    )


def shared_inputs(processed: dict, workspace) -> dict:
    names = ("corpus", "folds", "label_schema", "holdout_split", "corpus_report")
    return {"model_workspace": workspace, **{name: processed[name] for name in names}}


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory, processed):
    """A real (untrained) tiny-bert checkpoint for the labels of ``processed``: what hold-out evaluation loads."""
    from transformers import AutoTokenizer

    from resume_ner.backbones import resolve_backbone
    from resume_ner.corpus.labels import LabelSchema
    from resume_ner.training.checkpoint import CheckpointMetadata, save_checkpoint
    from resume_ner.training.model import load_model

    folder = tmp_path_factory.mktemp("tiny_checkpoint")
    corpus = processed["corpus"]
    backbone = resolve_backbone(
        "tiny-bert", texts=[document.text for document in corpus], cache_dir=folder / "backbones"
    )
    schema = LabelSchema(tuple(processed["label_schema"]["entity_types"]))
    metadata = CheckpointMetadata(schema.entity_types, 64, 16, "first")
    return save_checkpoint(
        load_model(backbone, schema, None), AutoTokenizer.from_pretrained(backbone), metadata, folder / "checkpoint"
    )


def test_data_processing_splits_the_corpus_into_a_holdout_and_folds_of_one_fingerprint(processed):
    corpus = processed["corpus"]
    holdout, folds = processed["holdout_split"], processed["folds"]
    assert len(corpus) == 60
    assert folds["corpus_fingerprint"] == corpus.fingerprint()
    assert not set(holdout["holdout"]) & set(holdout["train"])
    assert set(holdout["holdout"]) | set(holdout["train"]) == set(corpus.ids())
    assert len(folds["folds"]) == 3
    assert processed["corpus_report"]["corpus"]["documents"] == 60
    assert set(processed["label_schema"]["entity_types"]) == set(corpus.label_counts())


def test_hpo_runs_a_study_of_fake_trials_and_reports_its_best_params(processed, tmp_path):
    parameters = project_parameters(TINY_TRAINING, fake_training(tmp_path), STUDY)
    parameters["hpo"]["search_space"] = SEARCH_SPACE  # in place of conf's, not merged into it
    outputs = run_in_memory(
        hpo(),
        {**shared_inputs(processed, tmp_path / "models"), "optuna_storage": f"sqlite:///{tmp_path / 'optuna.db'}"},
        parameters,
    )
    trials = outputs["trials_table"]
    assert isinstance(trials, pd.DataFrame) and len(trials) == 2
    best = outputs["best_params"]
    assert best["study_name"] == "in-memory" and set(best["params"]) == {"learning_rate", "epochs"}
    # The fake trainer scores a learning rate by its closeness to 1e-3: the best trial is the closest one.
    assert best["value"] == max(trials["value"])
    assert len(best["best_epochs"]) == 2  # one per fold
    folds = sorted((tmp_path / "models" / "runs" / "trial" / "in-memory").glob("trial-*/fold-*/progress.jsonl"))
    assert len(folds) == 2 * 2  # trials x folds, each a fake training child
    # What refit and final_training read back from the catalog's best_params file.
    assert through_catalog("best_params", best, tmp_path)["params"] == best["params"]


@pytest.fixture(scope="module")
def refitted(processed, tiny_checkpoint, tmp_path_factory) -> tuple[dict, Path]:
    """refit's outputs with the best-params file (its exports and checks are the costly part: run once here for
    the tests that read them) and the folder it ran in."""
    folder = tmp_path_factory.mktemp("refit")
    parameters = project_parameters(TINY_TRAINING, fake_training(folder, checkpoint=tiny_checkpoint))
    best = through_catalog("best_params", BEST_PARAMS, folder)
    inputs = {**shared_inputs(processed, folder / "models"), "best_params": best}
    return run_in_memory(refit(), inputs, parameters), folder


def test_refit_trains_on_the_training_documents_with_the_best_params_and_records_lineage(processed, refitted):
    outputs, tmp_path = refitted
    metrics, lineage = outputs["refit.metrics"], outputs["refit.lineage"]
    assert metrics["epochs_run"] == 2  # the median of the folds' best epochs [1, 2, 2]
    config = json.loads((tmp_path / "models" / "runs" / "refit").glob("*/config.json").__next__().read_text())
    assert config["data"]["fold"] == "all" and config["optimization"]["learning_rate"] == 0.003
    assert lineage["study_name"] == "hand-written" and lineage["best_trial_number"] == 4
    assert lineage["corpus_fingerprint"] == processed["corpus"].fingerprint()
    assert lineage["hyperparameters"] == BEST_PARAMS["params"]
    assert (tmp_path / "models" / "runs" / "refit").exists()
    assert str(outputs["refit.model"]).startswith(str(tmp_path / "models" / "runs" / "refit"))


def test_refit_scores_its_model_on_the_holdout_and_writes_its_model_card(processed, refitted):
    outputs, tmp_path = refitted
    holdout = outputs["holdout_metrics"]
    assert holdout["documents"] == len(processed["holdout_split"]["holdout"])
    assert 0 <= holdout["micro_f1"] <= 1
    assert set(holdout["per_entity"]) <= set(processed["label_schema"]["entity_types"])
    mlflow_metrics = outputs["refit.holdout_mlflow_metrics"]
    assert mlflow_metrics["micro_f1"] == {"value": holdout["micro_f1"], "step": 0}
    card = outputs["refit.model_card"]
    assert f"micro F1 **{holdout['micro_f1']:.3f}**" in card and "hand-written" in card
    assert card.startswith("# Model card: resume-ner refit model")
    # The exports, checked against the PyTorch model on the hold-out texts.
    parity = outputs["export_parity"]
    assert parity["documents"] == holdout["documents"] and set(parity["runtimes"]) == {"torch", "onnx", "onnx-int8"}
    assert parity["runtimes"]["onnx"]["span_agreement"] >= 0.995 and parity["onnx_parity_holds"]
    assert parity["serving_runtime"] in ("onnx-int8", "torch")
    assert f"Runtime to serve: **{parity['serving_runtime']}**" in card
    assert (tmp_path / "models" / "runs" / "refit").glob("*/onnx/model.int8.onnx").__next__().is_file()


def test_final_training_trains_on_every_document_and_takes_refits_scores_as_its_expected_quality(
    processed, tiny_checkpoint, refitted, tmp_path
):
    refit_outputs, _ = refitted
    parameters = project_parameters(TINY_TRAINING, fake_training(tmp_path, checkpoint=tiny_checkpoint))
    best = through_catalog("best_params", BEST_PARAMS, tmp_path)
    inputs = {
        **shared_inputs(processed, tmp_path / "models"),
        "best_params": best,
        "holdout_metrics": refit_outputs["holdout_metrics"],
        "export_parity": refit_outputs["export_parity"],
        "refit.model": refit_outputs["refit.model"],
    }
    outputs = run_in_memory(final_training(), inputs, parameters)
    config = json.loads(next((tmp_path / "models" / "runs" / "final").glob("*/config.json")).read_text())
    assert config["data"]["fold"] == "all_with_holdout"
    assert "holdout_metrics" not in final_training().all_outputs()  # it quotes refit's scores, never makes its own
    expected = outputs["final_training.expected_mlflow_metrics"]
    assert expected["micro_f1"] == {"value": refit_outputs["holdout_metrics"]["micro_f1"], "step": 0}
    latency = outputs["final_training.latency"]
    assert latency["texts"] == len(processed["holdout_split"]["holdout"])
    assert set(latency["runtimes"]) == {"torch fp32", "torch bf16", "onnx fp32", "onnx int8"}
    timed = [figures for figures in latency["runtimes"].values() if figures]
    assert len(timed) >= 3 and all(
        0 < row["p50_ms"] <= row["p95_ms"] and row["resumes_per_second"] > 0 for row in timed
    )
    assert set(outputs["final_training.latency_mlflow_metrics"]) >= {"onnx_int8.p50_ms", "torch_fp32.p95_ms"}
    card = outputs["final_training.model_card"]
    assert "## Expected quality (refit's hold-out scores)" in card and "hand-written" in card
    assert "## Latency" in card and "| onnx int8 |" in card
    assert f"micro F1 **{refit_outputs['holdout_metrics']['micro_f1']:.3f}**" in card
    assert outputs["final_training.lineage"]["purpose"] == "final"


# --- failures: one clear error from the run --------------------------------------------------------------------


def test_data_processing_stops_when_the_label_mapping_drops_every_label(processed):
    labels = sorted(processed["corpus"].label_counts())
    with pytest.raises(Exception, match=r"corpus\.label_mapping\.drop removes every label it has"):
        run_in_memory(
            data_processing(),
            {"raw_corpus": processed["corpus"], "extra_corpora": {}},
            project_parameters(SPLITS, {"corpus": {"label_mapping": {"drop": labels}}}),
        )


def test_hpo_stops_after_max_failed_trials_when_every_trial_crashes(processed, tmp_path):
    parameters = project_parameters(TINY_TRAINING, fake_training(tmp_path), STUDY, {"hpo": {"max_failed_trials": 2}})
    # The fake trainer crashes (exit 1) on max_grad_norm 13.0.
    parameters["hpo"]["search_space"] = {**SEARCH_SPACE, "max_grad_norm": {"type": "categorical", "choices": [13.0]}}
    with pytest.raises(Exception) as caught:
        run_in_memory(
            hpo(),
            {**shared_inputs(processed, tmp_path / "models"), "optuna_storage": f"sqlite:///{tmp_path / 'optuna.db'}"},
            parameters,
        )
    error: BaseException | None = caught.value
    while error is not None and not isinstance(error, TooManyFailedTrials):
        error = error.__cause__ or error.__context__
    assert isinstance(error, TooManyFailedTrials), caught.value
    assert "stopped after 2 failed trials of this run (hpo.max_failed_trials: 2)" in str(error)


def test_a_best_params_file_with_an_unknown_setting_is_refused_by_name(tmp_path):
    with pytest.raises(Exception, match="'lr' is not a training setting"):
        through_catalog("best_params", {"params": {"lr": 0.1}, "best_epochs": [1]}, tmp_path)


def test_the_first_trial_trains_the_base_configuration_once_however_often_the_study_resumes(processed, tmp_path):
    base = {"training": {"base": {"optimization": {"learning_rate": 1e-3, "epochs": 2}}}}
    parameters = project_parameters(TINY_TRAINING, fake_training(tmp_path), STUDY, base)
    parameters["hpo"]["search_space"] = SEARCH_SPACE
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    inputs = {**shared_inputs(processed, tmp_path / "models"), "optuna_storage": storage}
    for n_trials in (2, 3):  # the second run resumes the study and adds one trial
        parameters["hpo"]["n_trials"] = n_trials
        outputs = run_in_memory(hpo(), inputs, parameters)
    trials = optuna.load_study(study_name="in-memory", storage=storage).trials
    assert len(trials) == 3
    assert trials[0].params == {"learning_rate": 1e-3, "epochs": 2}
    assert [trial.user_attrs.get("source") for trial in trials] == ["training.base", None, None]
    # The fake trainer scores learning rates by their closeness to 1e-3: the base is the best a study can find.
    assert outputs["best_params"]["trial_number"] == 0


def test_a_base_configuration_outside_the_space_is_not_queued_and_says_why(processed, tmp_path, caplog):
    parameters = project_parameters(TINY_TRAINING, fake_training(tmp_path), STUDY)
    parameters["hpo"]["search_space"] = SEARCH_SPACE  # epochs 1..2
    parameters["training"]["base"]["optimization"]["epochs"] = 4
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    with caplog.at_level("WARNING", logger="resume_ner.tuning.study"):
        run_in_memory(hpo(), {**shared_inputs(processed, tmp_path / "models"), "optuna_storage": storage}, parameters)
    trials = optuna.load_study(study_name="in-memory", storage=storage).trials
    assert all("source" not in trial.user_attrs for trial in trials)
    assert "training.base is not a point of hpo.search_space (epochs = 4 is outside" in caplog.text


def test_the_backbones_preset_is_searched_and_its_recommended_configuration_is_the_first_trial(processed, tmp_path):
    parameters = project_parameters(TINY_TRAINING, fake_training(tmp_path), STUDY)
    parameters["hpo"].update(search_space_preset="auto", search_space={"epochs": {"high": 2}})  # narrowed by hand
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    outputs = run_in_memory(
        hpo(), {**shared_inputs(processed, tmp_path / "models"), "optuna_storage": storage}, parameters
    )
    preset = parameters["hpo"]["search_space_presets"]["tiny"]  # tiny-bert's family
    study = optuna.load_study(study_name="in-memory", storage=storage)
    assert set(study.user_attrs["search_space"]) == set(preset["space"])
    epochs = study.user_attrs["search_space"]["epochs"]
    assert (epochs["type"], epochs["low"], epochs["high"]) == ("int", 1, 2)
    assert study.trials[0].user_attrs["source"] == "training.base"
    assert study.trials[0].params == preset["recommended"]
    assert set(outputs["best_params"]["params"]) == set(preset["space"])


# Slow: the calibration trains the tiny backbone for real, and the study then runs for its whole budget.
@pytest.mark.slow
def test_a_budgeted_study_is_planned_from_a_real_calibration_and_records_planned_against_actual(processed, tmp_path):
    parameters = project_parameters(TINY_TRAINING, fake_training(tmp_path, epoch_seconds=0.2), STUDY)
    # Every trial is drawn (none queued at the base's own epochs), so each costs the plan's seconds per trial.
    parameters["hpo"].update(search_space=SEARCH_SPACE, budget_minutes=0.1, n_trials=None, enqueue_base=False)
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    outputs = run_in_memory(
        hpo(), {**shared_inputs(processed, tmp_path / "models"), "optuna_storage": storage}, parameters
    )
    plan = outputs["study_plan"]
    assert plan["budget_minutes"] == 0.1 and plan["n_trials"] is None
    assert plan["calibration"]["train_tokens_per_second"] > 0 and plan["calibration"]["train_tokens_per_epoch"] > 0
    assert plan["timeout_seconds"] == pytest.approx(max(1.0, 6 - plan["seconds_per_trial"] / 2))
    assert plan["estimated_minutes"] == pytest.approx(plan["planned_trials"] * plan["seconds_per_trial"] / 60)
    last = outputs["study_summary"]["last_plan"]
    assert last["actual_trials"] == len(outputs["trials_table"]) >= 1
    assert last["actual_minutes"] > 0 and last["estimated_minutes"] == plan["estimated_minutes"]
    # No trial started after the plan's timeout.
    trials = optuna.load_study(study_name="in-memory", storage=storage).trials
    starts = sorted(trial.datetime_start for trial in trials if trial.datetime_start is not None)
    assert (starts[-1] - starts[0]).total_seconds() <= plan["timeout_seconds"]


# --- inference: the batch job and the pyfunc model's pipeline ---------------------------------------------------


def test_the_batch_pipeline_runs_a_folder_through_the_champion(tmp_path):
    outputs = run_in_memory(
        inference(),
        {
            "resumes": {"x.txt": lambda: "Python", "y.pdf": unreadable("y.pdf: the PDF has no text layer")},
            "champion_model": Champion(),
        },
        {},
    )
    assert json.loads(outputs["inference_results"])["entities"][0]["text"] == "Python"
    assert outputs["inference_summary"]["unreadable"] == [
        {"file": "y.pdf", "reason": "y.pdf: the PDF has no text layer"}
    ]


def test_the_serving_pipeline_is_one_node_from_texts_to_entities():
    pipeline = create_serving_pipeline()
    assert pipeline.inputs() == {"serving_model", "texts"} and pipeline.outputs() == {"entities"}
    outputs = run_in_memory(pipeline, {"serving_model": Predictorish(), "texts": ["Python"]}, {})
    assert outputs["entities"] == [[{"start": 0, "end": 6, "label": "SKILL", "text": "Python", "confidence": 0.5}]]


class Predictorish:
    """Stands in for a Predictor: "Python" at the start of a text is a SKILL."""

    def predict_with_confidence(self, texts):
        from resume_ner.predict import PredictedSpan

        return [[PredictedSpan(0, 6, "SKILL", 0.5)] if text.startswith("Python") else [] for text in texts]


@pytest.mark.parametrize("bad", [[1], pd.DataFrame({"a": ["x"], "b": ["y"]})])
def test_the_serving_pipeline_refuses_inputs_that_are_not_texts(bad):
    with pytest.raises(Exception, match=r"every input must be a text|send a column named 'text'"):
        run_in_memory(create_serving_pipeline(), {"serving_model": Predictorish(), "texts": bad}, {})
