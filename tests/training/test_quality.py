"""Real backbones (slow): the README's hand-run walkthrough, and MiniLM learning the dotin resumes."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import (
    DOTIN_JSON,
    REPO_ROOT,
    copy_project,
    requires_shared_data,
    run_kedro,
)
from training_helpers import child_env, run_program, write_config

from resume_ner.corpus.formats import write_json
from resume_ner.corpus.labels import LabelSchema
from resume_ner.corpus.near_duplicates import near_duplicate_groups
from resume_ner.corpus.reading import read_corpus
from resume_ner.corpus.splits import make_folds, split_holdout
from resume_ner.training.protocol import METRICS_FILE


def _readme_run_config() -> dict:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"cat > data/06_models/runs/demo/config\.json <<'JSON'\n(.*?)\nJSON\n", readme, re.DOTALL)
    assert block, "the README's run config example moved; keep this test in step with it"
    return json.loads(block.group(1))


@pytest.mark.slow
def test_the_readme_walkthrough_trains_and_predicts_on_the_default_corpus(tmp_path):
    project = copy_project(tmp_path)
    run_kedro(project, "data_processing")
    config = _readme_run_config()
    run_dir = project / "data" / "06_models" / "runs" / "demo"
    run_dir.mkdir(parents=True)
    write_config(config, run_dir / "config.json")
    result = subprocess.run(
        [sys.executable, "-m", "resume_ner.training", "--config", str(run_dir / "config.json"), "--epochs", "2"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
        env=child_env(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((run_dir / METRICS_FILE).read_text())
    assert metrics["best"]["micro_f1"] > 0.4, metrics["best"]  # MiniLM-2L reaches ~0.33 after one epoch
    resume = project / "resume.txt"
    resume.write_text("Jane Doe\nSenior Data Engineer at Initech, Berlin\nSkills: Python, SQL, Kubernetes\n")
    predicted = subprocess.run(
        [sys.executable, "-m", "resume_ner.predict", "--model", str(run_dir / "checkpoint"), str(resume)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env=child_env(),
    )
    assert predicted.returncode == 0, predicted.stderr
    entities = json.loads(predicted.stdout)[0]["entities"]
    assert {"text": "Python", "label": "SKILL"} in [{"text": e["text"], "label": e["label"]} for e in entities]


@pytest.mark.slow
@requires_shared_data(DOTIN_JSON)
def test_minilm_learns_the_dotin_resumes_well_above_a_trivial_baseline(tmp_path):
    corpus = read_corpus(DOTIN_JSON)
    corpus = corpus.subset(corpus.ids()[:150])  # a part of the data keeps this test to a few minutes
    write_json(corpus, tmp_path / "corpus.json")
    groups = {"corpus_fingerprint": corpus.fingerprint(), "groups": near_duplicate_groups(corpus)}
    holdout = split_holdout(corpus, groups, 0.1, seed=0)
    folds = make_folds(corpus, groups, holdout, 4, seed=0)
    (tmp_path / "folds.json").write_text(json.dumps(folds))
    config = {
        "backbone": {"name": "minilm", "num_layers": 2},
        "backbone_cache_dir": str(tmp_path / "backbones"),
        "entity_types": list(LabelSchema.from_corpus(corpus).entity_types),
        "data": {"corpus": str(tmp_path / "corpus.json"), "splits": str(tmp_path / "folds.json"), "fold": 0},
        "tokenization": {"max_length": 128, "stride": 32},
        "optimization": {"learning_rate": 5e-4, "batch_size": 16, "epochs": 3, "warmup_ratio": 0.1},
        "output_dir": str(tmp_path / "run"),
    }
    result = run_program(write_config(config, tmp_path / "config.json"), timeout=1500)
    assert result.returncode == 0, result.stderr[-3000:]
    best = json.loads((tmp_path / "run" / METRICS_FILE).read_text())["best"]
    # Predicting nothing scores 0; MiniLM-2L reaches ~0.4 after two epochs on ~100 resumes.
    assert best["micro_f1"] > 0.25, best
    assert best["per_entity"]["Email Address"]["f1"] > 0.3, best["per_entity"]
