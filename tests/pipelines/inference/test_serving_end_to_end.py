"""The shipped model end to end, as real `kedro run` sessions on a project copy with a real sqlite MLflow store:
final_training logs one pyfunc model (kedro-mlflow's pipeline_ml_factory) and registers it; the alias champion
follows refit's hold-out score; `mlflow models serve` answers over HTTP; `kedro run --pipelines=inference` tags a
mixed folder of resumes with the champion."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import copy_project, run_kedro
from mlflow import MlflowClient
from tiny_settings import tiny_training_base

pytestmark = pytest.mark.slow

PARAMS = {"training": {"base": tiny_training_base()}}
BEST_PARAMS = "params:\n  learning_rate: 0.003\n  batch_size: 16\n  warmup_ratio: 0.0\n  epochs: 2\n"
NAME = "resume-ner"
RESUME = "Jane Doe\nSenior Python developer at Acme Corp, Berlin.\nSkills: Python, Kubernetes, SQL."


def kedro_run(project: Path, pipeline: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)  # MLflow's sqlite store keeps artifacts under ./mlruns
        run_kedro(project, pipeline, PARAMS)


def client(project: Path) -> MlflowClient:
    return MlflowClient(f"sqlite:///{project / 'mlflow.db'}")


def set_refit_score(project: Path, score: float) -> None:
    """Pretend refit scored ``score`` on the hold-out set (what the champion decision reads)."""
    path = project / "data/08_reporting/refit/holdout_metrics.json"
    metrics = json.loads(path.read_text())
    path.write_text(json.dumps({**metrics, "char_strict_micro_f1": score}))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("serving"))
    kedro_run(project, "data_processing")
    (project / "data/07_model_output/best_params.yml").write_text(BEST_PARAMS)
    kedro_run(project, "refit")
    kedro_run(project, "final_training")
    return project


def test_final_training_logs_one_pyfunc_model_and_registers_it_as_the_champion(project):
    registry = client(project)
    versions = registry.search_model_versions(f"name='{NAME}'")
    assert len(versions) == 1
    champion = registry.get_model_version_by_alias(NAME, "champion")
    refit_score = json.loads((project / "data/08_reporting/refit/holdout_metrics.json").read_text())
    assert str(champion.version) == "1"
    assert float(champion.tags["holdout.char_strict_micro_f1"]) == refit_score["char_strict_micro_f1"]
    final_run = registry.get_run(str(champion.run_id))
    assert final_run.info.run_name == "final_training"

    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{project / 'mlflow.db'}")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        model = mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
    found = model.predict([RESUME, ""])
    assert len(found) == 2 and found[1] == []
    for entity in found[0]:
        assert RESUME[entity["start"] : entity["end"]] == entity["text"] and 0 < entity["confidence"] <= 1
    serving = json.loads((project / "data/06_models/serving/serving.json").read_text())
    parity = json.loads((project / "data/08_reporting/refit/export_parity.json").read_text())
    assert serving["runtime"] == parity["serving_runtime"]


def test_the_champion_moves_only_to_a_model_scoring_at_least_as_well(project):
    registry = client(project)
    first = registry.get_model_version_by_alias(NAME, "champion")
    champion_score = float(first.tags["holdout.char_strict_micro_f1"])
    set_refit_score(project, champion_score - 0.05)
    kedro_run(project, "final_training")
    second = registry.get_model_version(NAME, "2")
    assert registry.get_model_version_by_alias(NAME, "champion").version == first.version  # worse: it stays
    assert float(second.tags["champion_at_registration.char_strict_micro_f1"]) == champion_score
    set_refit_score(project, champion_score)  # as good: moves
    kedro_run(project, "final_training")
    assert str(registry.get_model_version_by_alias(NAME, "champion").version) == "3"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_mlflow_models_serve_answers_with_character_offsets(project):
    port = _free_port()
    scripts = Path(sys.executable).parent  # mlflow starts the server as `uvicorn` from PATH
    env = dict(
        os.environ,
        MLFLOW_TRACKING_URI=f"sqlite:///{project / 'mlflow.db'}",
        PATH=f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    mlflow_cli = str(scripts / "mlflow")
    server = subprocess.Popen(
        [mlflow_cli, "models", "serve", "-m", f"models:/{NAME}@champion", "--env-manager", "local"]
        + ["--host", "127.0.0.1", "--port", str(port)],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2)
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()[-3000:] if server.stderr else ""
                assert time.monotonic() < deadline, "mlflow models serve did not start in 120 s"
                time.sleep(1)
        texts = [RESUME, "Hobbies: chess."]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations",
            data=json.dumps({"dataframe_split": {"columns": ["text"], "data": [[text] for text in texts]}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        answer = json.loads(urllib.request.urlopen(request, timeout=60).read())
        predictions = answer["predictions"]
        assert len(predictions) == 2
        for text, found in zip(texts, predictions, strict=True):
            for entity in found:
                assert text[entity["start"] : entity["end"]] == entity["text"]
                assert {"label", "confidence"} <= entity.keys()
    finally:
        server.terminate()
        server.wait(timeout=30)


def _docx(path: Path, text: str) -> None:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    document.save(str(path))


def test_the_inference_pipeline_tags_a_mixed_folder_and_lists_the_files_it_cannot_read(project):
    from pdf_files import write_text_pdf

    folder = project / "data/01_raw/resumes"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plain.txt").write_text(RESUME, encoding="utf-8")
    write_text_pdf(folder / "scanned-text.pdf", "Jane Doe, Python developer at Acme Corp")
    _docx(folder / "word.docx", RESUME)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    kedro_run(project, "inference")
    records = [
        json.loads(line) for line in (project / "data/08_reporting/inference/results.jsonl").read_text().splitlines()
    ]
    assert [record["file"] for record in records] == ["plain.txt", "scanned-text.pdf", "word.docx"]
    assert records[0]["characters"] == len(RESUME)
    summary = json.loads((project / "data/08_reporting/inference/summary.json").read_text())
    assert summary["files"] == 4 and summary["predicted"] == 3
    assert [entry["file"] for entry in summary["unreadable"]] == ["broken.pdf"]
    assert "cannot read it as PDF" in summary["unreadable"][0]["reason"]
    assert summary["entities"] == sum(len(record["entities"]) for record in records)
