"""refit and final_training as real `kedro run` sessions: a temp project copy, a real sqlite MLflow store, real
child training runs (tiny backbone)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_project, run_kedro
from kedro.io import DatasetError
from mlflow import MlflowClient
from tiny_settings import tiny_training_base

from resume_ner.datasets import CheckpointDataset
from resume_ner.errors import UserInputError
from resume_ner.execution import TrainingFailed
from resume_ner.pipelines.training_run import create_pipeline as create_template

SECRET = "s3cret-value-never-logged"
TINY = {
    "training": {
        "base": tiny_training_base(),
        "environment": {"pass_through": ["RESUME_NER_TEST_SECRET"]},
    }
}
BEST_PARAMS = """\
params:
  learning_rate: 0.003
  batch_size: 16
  warmup_ratio: 0.0
best_epochs: [1, 1, 2]
study_name: hand-written
trial_number: 4
value: 0.5
"""


def kedro_run_command(pipeline: str, params: str) -> list[str]:
    """``kedro run`` of ``pipeline`` with ``--params`` (key=value pairs, comma-separated), as a user types it."""
    return [str(Path(sys.executable).parent / "kedro"), "run", f"--pipelines={pipeline}", "--params", params]


def kedro_run(project: Path, pipeline: str, params: dict = TINY) -> dict:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)  # MLflow's sqlite store keeps artifacts under ./mlruns
        patch.setenv("RESUME_NER_TEST_SECRET", SECRET)
        return run_kedro(project, pipeline, params)


def runs(project: Path) -> list:
    client = MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("resume_ner")
    return client.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """data_processing, then refit, then final_training, in one project."""
    project = copy_project(tmp_path_factory.mktemp("training_runs"))
    kedro_run(project, "data_processing")
    (project / "data" / "07_model_output" / "best_params.yml").write_text(BEST_PARAMS, encoding="utf-8")
    kedro_run(project, "refit")
    kedro_run(project, "final_training")
    return project


def test_refit_and_final_training_are_one_template_under_two_namespaces():
    from kedro.framework.project import configure_project

    from resume_ner.pipeline_registry import register_pipelines

    configure_project("resume_ner")
    pipelines = register_pipelines()
    template = [node.name for node in create_template().nodes]
    for namespace in ("refit", "final_training"):
        names = {node.name for node in pipelines[namespace].nodes}
        assert {f"{namespace}.{name}" for name in template} <= names
    assert pipelines["refit"].inputs() == {
        "best_params",
        "corpus",
        "folds",
        "label_schema",
        "model_workspace",
        "holdout_split",
        "corpus_report",
        "params:training",
        "params:serving",
        "params:refit.run",
    }
    # final_training's card takes refit's scores: refit must have run (the main job runs it first).
    assert "holdout_metrics" in pipelines["refit"].all_outputs() & pipelines["final_training"].inputs()
    assert "training_run" not in pipelines
    main_job = [pipelines[name] for name in ("data_processing", "hpo", "refit", "final_training")]
    assert set(pipelines["__default__"].nodes) == {node for part in main_job for node in part.nodes}


@pytest.mark.slow
def test_refit_trains_on_all_training_documents_for_the_derived_epochs(trained):
    metrics = json.loads((trained / "data/08_reporting/refit/metrics.json").read_text())
    assert metrics["epochs_run"] == 1  # median of [1, 1, 2]
    run_dir = Path(metrics["run_dir"])
    config = json.loads((run_dir / "config.json").read_text())
    holdout = json.loads((trained / "data/05_model_input/holdout_split.json").read_text())
    events = [json.loads(line) for line in (run_dir / "progress.jsonl").read_text().splitlines()]
    ready = next(event for event in events if event["event"] == "data_ready")
    assert ready["train_documents"] == len(holdout["train"]) and ready["validation_documents"] == 0
    assert config["data"]["fold"] == "all" and config["optimization"]["learning_rate"] == 0.003
    assert Path(config["data"]["corpus"]).is_relative_to(run_dir)  # the run folder holds its own inputs
    model = CheckpointDataset(str(trained / "data/06_models/refit/model")).load()
    from resume_ner.predict import Predictor

    assert isinstance(Predictor.load(model).predict(["Jane Doe, Python developer"]), list)


@pytest.mark.slow
def test_lineage_is_recorded_in_a_file_and_as_tags_on_each_run(trained):
    lineage = json.loads((trained / "data/08_reporting/final_training/lineage.json").read_text())
    report = json.loads((trained / "data/08_reporting/corpus_report.json").read_text())
    assert lineage["corpus_fingerprint"] == report["corpus_fingerprint"]
    assert lineage["study_name"] == "hand-written" and lineage["best_trial_number"] == 4
    assert lineage["git_commit"] != "" and lineage["packages"]["torch"].startswith("2.13")
    refit_run, final_run = [run for run in runs(trained) if run.info.run_name in ("refit", "final_training")]
    for run, purpose in ((refit_run, "refit"), (final_run, "final")):
        tags = run.data.tags
        assert run.info.status == "FINISHED"
        for key in (
            "study_name",
            "best_trial_number",
            "hyperparameters_hash",
            "corpus_fingerprint",
            "splits_fingerprint",
            "git_commit",
            "git_dirty",
            "packages.transformers",
        ):
            assert f"resume_ner.{purpose}.{key}" in tags, key
    assert final_run.data.tags["resume_ner.final.best_trial_number"] == "4"
    assert lineage["mlflow_run_id"] == final_run.info.run_id


@pytest.mark.slow
def test_the_child_logs_into_the_kedro_run_and_no_other_run_is_created(trained):
    assert [run.info.run_name for run in runs(trained)] == ["data_processing", "refit", "final_training"]
    refit_run, final_run = runs(trained)[-2:]
    assert final_run.data.params["final.optimization.learning_rate"] == "0.003"  # logged by the child
    assert "final.train_loss" in final_run.data.metrics and "expected.micro_f1" in final_run.data.metrics
    assert "holdout.micro_f1" in refit_run.data.metrics and "holdout.micro_f1" not in final_run.data.metrics
    assert final_run.data.metrics["expected.micro_f1"] == refit_run.data.metrics["holdout.micro_f1"]
    client = MlflowClient(f"sqlite:///{trained / 'mlflow.db'}")
    assert "refit/model_card.md" in {item.path for item in client.list_artifacts(refit_run.info.run_id, "refit")}
    artifacts = {item.path for item in client.list_artifacts(final_run.info.run_id, "model")}
    assert "model/model.safetensors" in artifacts and "model/resume_ner.json" in artifacts
    assert "model_card.md" in {item.path for item in client.list_artifacts(final_run.info.run_id)}


@pytest.mark.slow
def test_no_secret_from_the_environment_is_logged(trained):
    for run in runs(trained):
        values = [*run.data.params.values(), *run.data.tags.values()]
        assert not [value for value in values if SECRET in value]


@pytest.mark.slow
def test_refit_and_final_training_train_on_different_documents(trained):
    """refit never sees the hold-out set it is scored on; the shipped model learns from every document."""
    split = json.loads((trained / "data/05_model_input/holdout_split.json").read_text())
    seen = {}
    for purpose in ("refit", "final_training"):
        run_dir = Path(json.loads((trained / f"data/08_reporting/{purpose}/lineage.json").read_text())["run_dir"])
        seen[purpose] = json.loads((run_dir / "documents.json").read_text())
        assert seen[purpose]["validation"] == []
    refit_ids, final_ids = set(seen["refit"]["train"]), set(seen["final_training"]["train"])
    assert refit_ids == set(split["train"]) and refit_ids.isdisjoint(split["holdout"])
    assert final_ids == set(split["train"]) | set(split["holdout"])
    final_metrics = json.loads((trained / "data/08_reporting/final_training/training_metrics.json").read_text())
    assert final_metrics["train_documents"] == len(final_ids) > len(refit_ids)


@pytest.mark.slow
def test_refit_scores_the_holdout_documents_and_the_final_card_takes_them_as_expected_quality(trained):
    holdout = json.loads((trained / "data/08_reporting/refit/holdout_metrics.json").read_text())
    split = json.loads((trained / "data/05_model_input/holdout_split.json").read_text())
    assert holdout["documents"] == len(split["holdout"]) and 0 <= holdout["micro_f1"] <= 1
    # Predicting nothing scores 0. The tiny model's one epoch scores about 0.16 since the hold-out's names,
    # companies, titles, skills and colleges are ones no training document has (issue 12).
    assert holdout["micro_f1"] > 0.1, "a trained model finds some of the synthetic entities"
    assert set(holdout["per_entity"]) <= set(
        json.loads((trained / "data/03_primary/label_schema.json").read_text())["entity_types"]
    )
    card = (trained / "data/08_reporting/refit/model_card.md").read_text()
    assert f"micro F1 **{holdout['micro_f1']:.3f}**" in card and "hand-written" in card and "## Lineage" in card
    final_card = (trained / "data/08_reporting/final_training/model_card.md").read_text()
    assert "## Expected quality (refit's hold-out scores)" in final_card
    assert f"micro F1 **{holdout['micro_f1']:.3f}**" in final_card
    held_out = len(split["holdout"])
    assert f"the {held_out} hold-out documents included: {held_out} more documents" in final_card
    CheckpointDataset(str(trained / "data/06_models/final_training/model")).load()


# --- bad input and failures: one clear error, the MLflow run FAILED, earlier outputs intact -----------------


def _fails(project: Path, pipeline: str, error_type, match: str, params: dict = TINY):
    model = project / "data/06_models" / pipeline / "model" / "model.safetensors"
    before = model.stat().st_mtime_ns
    with pytest.raises(Exception) as caught:
        kedro_run(project, pipeline, params)
    error: BaseException | None = caught.value
    while not isinstance(error, error_type) and (error.__cause__ or error.__context__):
        error = error.__cause__ or error.__context__
    assert isinstance(error, error_type), caught.value
    assert match in str(error)
    assert runs(project)[-1].info.status == "FAILED"
    assert model.stat().st_mtime_ns == before
    return str(error)


@pytest.mark.slow
def test_a_missing_best_params_file_is_named(trained):
    best = trained / "data/07_model_output/best_params.yml"
    saved = best.read_text()
    best.unlink()
    try:
        message = _fails(trained, "refit", UserInputError, "does not exist")
    finally:
        best.write_text(saved)
    assert str(best) in message and "kedro run --pipelines=hpo" in message


@pytest.mark.slow
def test_a_malformed_best_params_file_is_named_with_its_bad_keys(trained):
    best = trained / "data/07_model_output/best_params.yml"
    saved = best.read_text()
    best.write_text("params:\n  lr: 0.1\nbest_epochs: [0]\n")
    try:
        message = _fails(trained, "refit", UserInputError, "Invalid best-params file")
    finally:
        best.write_text(saved)
    assert "'lr' is not a training setting" in message and "best_epochs" in message and "\n" not in message


@pytest.mark.slow
def test_splits_from_another_corpus_are_refused(trained):
    folds = trained / "data/05_model_input/folds.json"
    saved = folds.read_text()
    folds.write_text(json.dumps({**json.loads(saved), "corpus_fingerprint": "sha256:another"}))
    try:
        _fails(trained, "final_training", UserInputError, "folds was made from corpus sha256:another")
    finally:
        folds.write_text(saved)


def broken_model_folder(project: Path) -> Path:
    """A folder that passes for a model (it has a config.json) until the child tries to load it."""
    folder = project / "broken-model"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text('{"model_type": "bert", "vocab_size": -1}')
    return folder


@pytest.mark.slow
def test_a_crashing_child_fails_the_run_with_its_exit_status_and_stderr(trained):
    params = json.loads(json.dumps(TINY))
    params["training"]["base"]["backbone"] = {"name": str(broken_model_folder(trained)), "num_layers": None}
    message = _fails(trained, "refit", TrainingFailed, "exit status 2", params)
    assert "broken-model cannot be loaded" in message and "stderr.log" in message


@pytest.mark.slow
def test_a_backbone_that_cannot_be_had_fails_before_any_child_starts(trained):
    params = json.loads(json.dumps(TINY))
    params["training"]["base"]["backbone"] = {"name": str(trained / "no-such-model"), "num_layers": None}
    folders = set((trained / "data/06_models/runs/refit").iterdir())
    message = _fails(trained, "refit", UserInputError, "no-such-model", params)
    assert "\n" not in message
    assert set((trained / "data/06_models/runs/refit").iterdir()) == folders  # no run folder was made


@pytest.mark.slow
def test_kedro_run_reports_a_failed_child_in_one_message_without_a_traceback(trained):
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{trained / 'mlflow.db'}"}
    result = subprocess.run(
        kedro_run_command(
            "refit",
            f"training.base.backbone.name={broken_model_folder(trained)},training.base.backbone.num_layers=null",
        ),
        cwd=trained,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "Error: Training run" in result.stderr and "exit status 2" in result.stderr
    assert "broken-model cannot be loaded" in result.stderr  # the child's own one-line error
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_checkpoint_folder_missing_files_is_refused(trained, tmp_path):
    import shutil

    broken = tmp_path / "model"
    shutil.copytree(trained / "data/06_models/refit/model", broken)
    (broken / "model.safetensors").unlink()
    with pytest.raises(DatasetError, match=r"is missing model.safetensors") as caught:
        CheckpointDataset(str(broken)).load()
    assert isinstance(caught.value.__cause__, UserInputError)
    target = CheckpointDataset(str(trained / "data/06_models/refit/model"))
    with pytest.raises((UserInputError, DatasetError)):
        target.save(broken)
    target.load()  # the stored model is untouched


@pytest.mark.slow
def test_sigterm_to_a_refit_stops_its_child_and_closes_its_run_killed(trained, tmp_path):
    import shutil
    import signal
    import time

    project = tmp_path / "project"
    shutil.copytree(trained, project, ignore=shutil.ignore_patterns("mlflow.db", "mlruns", "refit"))
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{project / 'mlflow.db'}"}
    worker = subprocess.Popen(
        kedro_run_command(
            "refit",
            "training.base.backbone.name=tiny-bert,training.base.backbone.num_layers=null,"
            "training.base.tokenization.max_length=64,training.base.tokenization.stride=16,"
            "training.base.precision=fp32,refit.run.epochs_rule=params,training.base.optimization.epochs=50",
        ),
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    progress: list[str] = []
    while time.monotonic() < deadline and not any(
        '"event": "step"' in line or '"event": "epoch"' in line for line in progress
    ):
        time.sleep(0.5)
        progress = [
            line
            for path in (project / "data/06_models/runs/refit").glob("*/progress.jsonl")
            for line in path.read_text().splitlines()
        ]
    assert progress, "the refit child never started training"
    child = next(json.loads(line)["pid"] for line in progress if json.loads(line)["event"] == "started")
    worker.send_signal(signal.SIGTERM)
    _, stderr = worker.communicate(timeout=60)
    assert worker.returncode == 143, stderr[-3000:]
    assert next(line for line in stderr.splitlines() if line.strip()).startswith("Stopped by SIGTERM: ")
    assert len([line for line in stderr.splitlines() if line.strip()]) == 1, stderr
    assert not Path(f"/proc/{child}").exists() or Path(f"/proc/{child}/stat").read_text().split()[2] == "Z"
    stream = next((project / "data/06_models/runs/refit").glob("*/progress.jsonl"))
    assert json.loads(stream.read_text().splitlines()[-1])["event"] == "stopped"  # it stopped cleanly
    assert [run.info.status for run in runs(project) if run.info.run_name == "refit"] == ["KILLED"]
    assert not (project / "data/06_models/refit/model").exists()  # nothing half-stored


@pytest.mark.slow
def test_a_warm_started_final_model_continues_from_refits_model_on_every_document(trained):
    """Last in this file: it replaces the final model the tests above read."""
    warm = {"final_training": {"run": {"init": "refit", "warm_start": {"epochs": 1, "learning_rate_factor": 0.5}}}}
    kedro_run(trained, "final_training", {**TINY, **warm})
    lineage = json.loads((trained / "data/08_reporting/final_training/lineage.json").read_text())
    assert lineage["epochs_reason"].startswith("warm start from refit's model")
    config = json.loads((Path(lineage["run_dir"]) / "config.json").read_text())
    assert Path(config["init_checkpoint"]) == (trained / "data/06_models/refit/model").resolve()
    assert config["optimization"]["learning_rate"] == pytest.approx(0.003 * 0.5)
    assert config["optimization"]["epochs"] == 1 and config["data"]["fold"] == "all_with_holdout"
    split = json.loads((trained / "data/05_model_input/holdout_split.json").read_text())
    seen = json.loads((Path(lineage["run_dir"]) / "documents.json").read_text())
    assert set(seen["train"]) == set(split["train"]) | set(split["holdout"])
    assert (trained / "data/06_models/final_training/model/model.safetensors").exists()
