"""The nodes of refit/final_training: the run plan, the hold-out metrics for MLflow, the model cards, executing a
run (with its out-of-memory retry) and collecting a finished run's outputs."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from mlflow.utils.validation import _validate_metric_name
from pydantic import ValidationError

from resume_ner.errors import UserInputError
from resume_ner.execution import RunInputs, RunPurpose, TrainingFailed, write_run_config
from resume_ner.execution.steps import (
    OomRetry,
    RunPlan,
    RunRecord,
    RunResult,
    TrainingParameters,
    build_command,
    execute_run,
)
from resume_ner.pipelines.final_training.nodes import latency_for_mlflow
from resume_ner.pipelines.final_training.nodes import write_model_card as write_final_model_card
from resume_ner.pipelines.refit.nodes import (
    export_parity_for_mlflow,
    holdout_metrics_for_mlflow,
    write_model_card,
)
from resume_ner.pipelines.training_run.nodes import (
    collect_training_outputs,
    plan_training_run,
)
from resume_ner.pipelines.training_run.parameters import RunParameters
from resume_ner.training.config import OptimizationConfig, RunConfig

BEST: dict = {
    "params": {"learning_rate": 0.003, "batch_size": 16},
    "best_epochs": [1, 2, 4, 5],
    "study_name": "resume-ner-1a2b3c",
    "study_run_id": "abc123",
    "trial_number": 7,
    "trial_run_id": "def456",
    "value": 0.71,
    "objective": "micro_f1",
}


def training(epochs: int | None = 9) -> TrainingParameters:
    base = {"backbone": {"name": "tiny-bert"}, "precision": "fp32"}  # checked by the plan: the base must be valid
    if epochs is not None:
        base["optimization"] = {"epochs": epochs}
    return TrainingParameters(base=base)


# --- plan_training_run ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "epochs", "reason"),
    [
        ("median", 4, "median of the folds' best epochs [1, 2, 5, 5]"),  # 3.5 rounds half up
        ("max", 5, "max of the folds' best epochs [1, 2, 5, 5]"),
        ("params", 9, "the base training parameters (no epochs hyperparameter)"),
    ],
)
def test_plan_picks_epochs_by_the_rule(rule, epochs, reason):
    best = {**BEST, "best_epochs": [1, 2, 5, 5]}
    plan = plan_training_run(best, RunParameters(purpose="final", epochs_rule=rule), training(epochs=9), Path("ws"))
    assert plan.purpose.epochs == epochs
    assert plan.epochs_reason == reason


def test_plan_params_rule_prefers_the_epochs_hyperparameter_to_the_base():
    best = {**BEST, "params": {**BEST["params"], "epochs": 7}}
    plan = plan_training_run(best, RunParameters(purpose="final", epochs_rule="params"), training(epochs=9), Path("ws"))
    assert (plan.purpose.epochs, plan.epochs_reason) == (7, "the epochs hyperparameter")


def test_plan_defaults_to_the_median_rule():
    # median of [1, 2, 4, 5] is 3.0
    plan = plan_training_run(BEST, RunParameters(purpose="refit"), training(), Path("ws"))
    assert plan.purpose.epochs == 3
    assert plan.epochs_reason.startswith("median of")


def test_plan_carries_purpose_hyperparameters_and_lineage_source():
    plan = plan_training_run(BEST, RunParameters(purpose="refit", epochs_rule="max"), training(), Path("ws"))
    assert plan.purpose.kind == "refit"
    assert plan.hyperparameters == BEST["params"]
    assert plan.source == {key: value for key, value in BEST.items() if key != "params"}


def test_plan_from_a_hand_written_record_has_an_empty_source_and_falls_back():
    plan = plan_training_run(
        {"params": {"learning_rate": 0.01, "epochs": 6}},
        RunParameters(purpose="final", epochs_rule="median"),
        training(),
        Path("ws"),
    )
    assert plan.source == {}
    assert plan.purpose.epochs == 6
    assert "rule 'median' needs best_epochs" in plan.epochs_reason


def test_plan_without_any_epochs_setting_uses_the_run_config_default():
    plan = plan_training_run({"params": {}}, RunParameters(purpose="final"), training(epochs=None), Path("ws"))
    assert plan.purpose.epochs == OptimizationConfig().epochs


def test_plan_rejects_an_invalid_record():
    with pytest.raises(ValidationError, match="best_epochs"):
        plan_training_run({**BEST, "best_epochs": [0]}, RunParameters(purpose="final"), training(), Path("ws"))


def test_a_warm_start_continues_from_refits_model_for_its_epochs_at_a_lower_learning_rate(tmp_path):
    run = RunParameters(purpose="final", init="refit", warm_start={"epochs": 2, "learning_rate_factor": 0.1})
    plan = plan_training_run(BEST, run, training(), Path("ws"), init_model=tmp_path / "refit-model")
    assert plan.purpose.init_checkpoint == str((tmp_path / "refit-model").resolve())
    assert plan.purpose.epochs == 2
    assert plan.purpose.learning_rate == pytest.approx(0.0003)  # the best trial's 0.003 x 0.1
    assert plan.epochs_reason.startswith("warm start from refit's model")
    overrides = plan.purpose.overrides()
    assert overrides["init_checkpoint"] == plan.purpose.init_checkpoint
    assert overrides["optimization.learning_rate"] == pytest.approx(0.0003)
    assert overrides["data.fold"] == "all_with_holdout"
    # From scratch (the default) the final run neither loads refit's model nor changes the learning rate.
    scratch = plan_training_run(BEST, RunParameters(purpose="final"), training(), Path("ws"), tmp_path / "m")
    assert scratch.purpose.init_checkpoint is None and "optimization.learning_rate" not in scratch.purpose.overrides()


def test_a_warm_start_needs_refits_model_and_is_only_for_the_final_run():
    with pytest.raises(UserInputError, match="init: refit needs refit's model; run the refit pipeline first"):
        plan_training_run(BEST, RunParameters(purpose="final", init="refit"), training(), Path("ws"))
    with pytest.raises(ValidationError, match="init: refit is for the final run"):
        RunParameters(purpose="refit", init="refit")
    with pytest.raises(ValidationError, match="only the final run starts from a trained checkpoint"):
        RunPurpose(kind="refit", name="r", init_checkpoint="/m")


# --- holdout_metrics_for_mlflow -------------------------------------------------------------------------------


HOLDOUT = {
    "micro_precision": 0.8,
    "micro_recall": 0.7,
    "micro_f1": 0.75,
    "macro_precision": 0.6,
    "macro_recall": 0.5,
    "macro_f1": 0.55,
    "token_accuracy": 0.95,
    "support": 12,
    "documents": 5,
    "gold_entities": 12,
    "predicted_entities": 10,
    "per_entity": {
        "Companies worked at": {"precision": 0.5, "recall": 0.25, "f1": 1 / 3, "support": 4},
        "a&b": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 3},
        "SKILL": {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 5},
    },
    "char_strict_micro_f1": 0.7,
    "char_relaxed_micro_f1": 0.9,
    "char_spans": {
        "strict": {
            "micro_precision": 0.75,
            "micro_recall": 0.65,
            "micro_f1": 0.7,
            "per_entity": {"SKILL": {"precision": 0.8, "recall": 0.6, "f1": 0.6857, "support": 5}},
        },
        "relaxed": {
            "micro_precision": 0.95,
            "micro_recall": 0.85,
            "micro_f1": 0.9,
            "per_entity": {"SKILL": {"precision": 1.0, "recall": 0.8, "f1": 0.8889, "support": 5}},
        },
    },
}


def test_holdout_metrics_are_numeric_values_at_step_zero():
    metrics = holdout_metrics_for_mlflow({**HOLDOUT, "note": "text", "flag": True, "nothing": None})
    assert metrics["micro_f1"] == {"value": 0.75, "step": 0}
    assert metrics["documents"] == {"value": 5.0, "step": 0}
    assert isinstance(metrics["documents"]["value"], float)
    assert {"note", "flag", "nothing", "per_entity"}.isdisjoint(metrics)
    assert set(metrics) == {key for key in HOLDOUT if key not in ("per_entity", "char_spans")} | {
        "f1.Companies worked at",
        "f1.a_b",
        "f1.SKILL",
        "char_strict.f1.SKILL",
        "char_relaxed.f1.SKILL",
    }
    assert metrics["char_relaxed.f1.SKILL"]["value"] == 0.8889
    assert metrics["f1.Companies worked at"] == {"value": pytest.approx(1 / 3), "step": 0}
    assert metrics["f1.a_b"]["value"] == 1.0


@pytest.mark.parametrize(
    "entity_type",
    [
        "Companies worked at",
        "a&b",
        "E-MAIL",
        "UI/UX",
        "C++",
        "Compétences",
        "Skills/",
        "A//B",
        "x/../y",
        "a/./b",
        "(degree)",
        "..",
        "/lead",
    ],
)
def test_every_holdout_metric_name_is_one_mlflow_accepts(entity_type):
    metrics = holdout_metrics_for_mlflow({"micro_f1": 0.5, "per_entity": {entity_type: {"f1": 0.5}}})
    [name] = [key for key in metrics if key.startswith("f1.")]
    _validate_metric_name(f"holdout.{name}")  # the catalog logs them with the "holdout" prefix
    assert len(name) == len("f1.") + len(entity_type)


def test_metric_names_that_are_already_safe_are_kept():
    for entity_type in ("Companies worked at", "UI/UX", "E-MAIL", "skill_2"):
        assert f"f1.{entity_type}" in holdout_metrics_for_mlflow({"per_entity": {entity_type: {"f1": 1.0}}})


# --- write_model_card -----------------------------------------------------------------------------------------


LINEAGE = {
    "purpose": "final",
    "run_name": "20240101-000000-abcd1234",
    "run_dir": "data/05_workspace/runs/final/x",
    "mlflow_run_id": "0123456789abcdef",
    "study_name": None,
    "study_run_id": None,
    "best_trial_number": None,
    "best_trial_run_id": None,
    "hyperparameters": {"learning_rate": 0.003, "batch_size": 16},
    "hyperparameters_hash": "feedfacecafebeef",
    "epochs": 4,
    "epochs_reason": "the epochs hyperparameter",
    "corpus_fingerprint": "corpusfp",
    "splits_fingerprint": "splitsfp",
    "git_commit": "a" * 40,
    "git_dirty": False,
    "packages": {"torch": "2.5.0", "transformers": "5.0.0"},
}
RUN_METRICS = {"wall_seconds": 42.4, "device": "cpu", "precision": "fp32", "train_documents": 200}
PARITY = {
    "documents": 5,
    "gold_spans": 12,
    "runtimes": {
        "torch": {"span_agreement": 1.0, "char_strict_micro_f1": 0.7, "char_relaxed_micro_f1": 0.9},
        "onnx": {"span_agreement": 0.9991, "char_strict_micro_f1": 0.7, "char_relaxed_micro_f1": 0.9},
        "onnx-int8": {"span_agreement": 0.962, "char_strict_micro_f1": 0.695, "char_relaxed_micro_f1": 0.89},
    },
    "onnx_parity_holds": True,
    "int8_f1_loss": 0.005,
    "int8_parity_holds": True,
    "min_span_agreement": 0.995,
    "max_int8_f1_loss": 0.01,
    "serving_runtime": "onnx-int8",
}
LATENCY = {
    "machine": {"processor": "Test CPU @ 2.0GHz", "cpus": 2, "torch_threads": 2, "platform": "Linux"},
    "texts": 5,
    "batch_size": 16,
    "runtimes": {
        "torch fp32": {"p50_ms": 41.25, "p95_ms": 80.0, "resumes_per_second": 30.5},
        "torch bf16": None,
        "onnx fp32": {"p50_ms": 30.0, "p95_ms": 61.0, "resumes_per_second": 40.0},
        "onnx int8": {"p50_ms": 12.04, "p95_ms": 25.0, "resumes_per_second": 90.25},
    },
}


def card(**lineage) -> str:
    return write_model_card({**LINEAGE, **lineage}, RUN_METRICS, HOLDOUT, {"corpus": {"documents": 250}}, PARITY)


def test_model_card_shows_the_scores_and_per_entity_rows_sorted_by_f1():
    text = card()
    assert "micro F1 **0.750** (P 0.800, R 0.700); macro F1 0.550." in text
    rows = [
        line
        for line in text.splitlines()
        if line.startswith("| ") and line.count("|") == 6 and not line.startswith("| entity")
    ]
    assert rows == [
        "| a&b | 1.000 | 1.000 | 1.000 | 3 |",
        "| SKILL | 0.900 | 0.800 | 0.850 | 5 |",
        "| Companies worked at | 0.500 | 0.250 | 0.333 | 4 |",
    ]
    assert "strict micro F1 **0.700** (P 0.750, R 0.650); relaxed (overlapping, same type) micro F1 0.900." in text
    assert "| SKILL | 0.800 | 0.600 | 0.686 | 0.889 | 5 |" in text.splitlines()
    assert "(3 types scored on the hold-out set)" in text
    assert "5 hold-out documents (12 entities)" in text
    assert "Corpus: 250 documents, fingerprint `corpusfp`" in text
    assert "Trained on 200 documents in 42 s" in text
    assert text.startswith("# Model card: resume-ner refit model")


def final_card(final_metrics: dict | None = None) -> str:
    split = {"train": [f"d{index}" for index in range(200)], "holdout": [f"h{index}" for index in range(5)]}
    return write_final_model_card(
        LINEAGE,
        final_metrics or {**RUN_METRICS, "train_documents": 205},
        HOLDOUT,
        split,
        {"corpus": {"documents": 205}},
        PARITY,
        LATENCY,
    )


def test_the_final_model_card_gives_refits_holdout_scores_as_the_expected_quality():
    text = final_card()
    assert text.startswith("# Model card: resume-ner final model")
    assert "## Expected quality (refit's hold-out scores)" in text
    # refit's figures, presented as refit's, never as this model's own hold-out score
    assert "strict micro F1 **0.700** (P 0.750, R 0.650); relaxed (overlapping, same type) micro F1 0.900." in text
    assert "| SKILL | 0.900 | 0.800 | 0.850 | 5 |" in text.splitlines()
    assert "## Hold-out scores" not in text and "never seen in training" not in text


def test_the_final_model_card_says_how_many_more_documents_it_saw_than_refit():
    text = final_card()
    assert "the 5 hold-out documents included: 5 more documents than refit (200)" in text
    assert "Trained on 205 documents in 42 s" in text
    assert "trained on the training documents (200)" in text


def test_both_cards_show_the_exports_parity_and_the_runtime_to_serve():
    for text in (card(), final_card()):
        assert "## Exports (ONNX) against PyTorch, on the 5 hold-out texts" in text
        assert "- Runtime to serve: **onnx-int8**." in text
        assert "| onnx-int8 | 0.9620 | 0.695 | 0.890 |" in text.splitlines()
        assert "lost 0.0050): holds." in text


def test_the_final_model_card_has_the_latency_table_and_the_machine():
    text = final_card()
    assert "5 hold-out resumes on Test CPU @ 2.0GHz (2 CPUs, 2 torch threads)" in text
    lines = text.splitlines()
    assert "| onnx int8 | 12.0 | 25.0 | 90.2 |" in lines
    assert "| torch fp32 | 41.2 | 80.0 | 30.5 |" in lines
    assert "| torch bf16 | - | - | - (not native on this machine) |" in lines
    assert "## Latency" not in card()  # refit's card: the shipped model's latency is measured by final_training


def test_latency_figures_become_mlflow_metrics_without_the_missing_runtime():
    metrics = latency_for_mlflow(LATENCY)
    assert metrics["onnx_int8.p50_ms"] == {"value": 12.04, "step": 0}
    assert metrics["torch_fp32.resumes_per_second"] == {"value": 30.5, "step": 0}
    assert not any(name.startswith("torch_bf16") for name in metrics) and len(metrics) == 9
    for name in metrics:
        _validate_metric_name(f"latency.{name}")


def test_parity_figures_become_mlflow_metrics():
    metrics = export_parity_for_mlflow(PARITY)
    assert metrics["int8_f1_loss"] == {"value": 0.005, "step": 0}
    assert metrics["onnx_int8.span_agreement"]["value"] == 0.962
    for name in metrics:
        _validate_metric_name(f"parity.{name}")


def test_the_final_model_card_without_document_counts_still_renders():
    text = final_card({"wall_seconds": 1.0})  # metrics from before the count was recorded
    assert "more documents than refit." in text and "Trained on ? documents" in text


def test_model_card_shows_hyperparameters_epochs_and_code():
    text = card(git_dirty=True)
    assert "| batch_size | 16 |\n| learning_rate | 0.003 |" in text
    assert "- Epochs: 4 (the epochs hyperparameter)." in text
    assert f"git commit `{'a' * 40}` (uncommitted changes)" in text
    assert "Packages: torch 2.5.0, transformers 5.0.0." in text
    assert "42 s on cpu (fp32)" in text
    assert "hash `feedfacecafebeef`" in text


def test_model_card_without_a_study_says_the_parameters_were_hand_written():
    text = card()
    assert "- Study: none (hand-written best parameters); study run -." in text
    assert "- Best trial: - (run -)" in text
    assert "(uncommitted changes)" not in text


def test_model_card_with_a_study_names_it_and_the_best_trial():
    text = card(
        study_name="resume-ner-1a2b3c",
        study_run_id="abc123",
        best_trial_number=0,
        best_trial_run_id="def456",
        git_dirty="unknown",
    )
    assert "- Study: resume-ner-1a2b3c; study run abc123." in text
    assert "- Best trial: 0 (run def456)" in text  # trial 0 is a trial, not "none"
    assert "hand-written" not in text
    assert "(uncommitted changes)" not in text


# --- collect_training_outputs ---------------------------------------------------------------------------------


def test_collect_refuses_a_run_without_a_checkpoint():
    result = RunResult({"train_loss": 0.1}, None, 3.0, Path("runs/final/x"), Path("runs/final/x/config.json"))
    with pytest.raises(UserInputError, match=r"Training run runs/final/x saved no checkpoint"):
        collect_training_outputs(result, LINEAGE)


def test_collect_returns_checkpoint_metrics_and_lineage():
    result = RunResult(
        {"train_loss": 0.1},
        Path("runs/final/x/checkpoint"),
        3.0,
        Path("runs/final/x"),
        Path("runs/final/x/config.json"),
    )
    checkpoint, metrics, lineage = collect_training_outputs(result, LINEAGE)
    assert checkpoint == "runs/final/x/checkpoint"
    assert metrics == {"train_loss": 0.1, "run_dir": "runs/final/x", "launch_wall_seconds": 3.0}
    assert lineage is LINEAGE


# --- execute_run: the out-of-memory retry, with a real child (the fake trainer of the hpo tests) -----------------

FAKE_TRAINER = Path(__file__).parents[1] / "hpo" / "fake_trainer.py"


def child_env() -> dict[str, str]:
    """A bare environment for the child, with the import path that points at this checkout's sources."""
    return {name: os.environ[name] for name in ("PATH", "PYTHONPATH") if name in os.environ}


def fake_launch(tmp_path: Path, **settings) -> TrainingParameters:
    python = tmp_path / "fake-python"
    python.write_text(f'#!/bin/sh\nexec {sys.executable} {FAKE_TRAINER} "$@"\n')
    python.chmod(0o755)
    return TrainingParameters(
        base={"backbone": {"name": "tiny-bert"}},
        launch={"mode": "process", "python": str(python), "stop_grace_seconds": 5, **settings},
    )


def refit_run(tmp_path: Path, batch_size: int) -> RunRecord:
    run_dir = tmp_path / "runs" / "refit" / "r1"
    config = RunConfig.model_validate(
        {
            "backbone": {"name": "tiny-bert"},
            "entity_types": ["SKILL"],
            "output_dir": str(run_dir),
            "data": {"corpus": str(tmp_path / "corpus.json"), "splits": str(tmp_path / "folds.json"), "fold": "all"},
            "optimization": {"learning_rate": 1e-3, "batch_size": batch_size, "epochs": 2},
            "tracking": {"prefix": "refit."},
        }
    )
    plan = RunPlan(RunPurpose(kind="refit", name="r1", epochs=2), {}, tmp_path)
    inputs = RunInputs(tmp_path / "corpus.json", tmp_path / "folds.json", tmp_path / "schema.json", "c", "s")
    return RunRecord(plan, write_run_config(config), run_dir, 2, inputs)


def test_a_refit_that_runs_out_of_memory_is_retried_with_half_the_batch_and_says_so_in_its_lineage(tmp_path):
    training = fake_launch(tmp_path)
    run = refit_run(tmp_path, batch_size=64)  # the fake trainer runs out of memory at 64 and above
    result = execute_run(build_command(run, training), child_env(), run, training)
    retry_dir = tmp_path / "runs" / "refit" / "r1-oom-retry"
    assert result.run_dir == retry_dir and result.checkpoint == retry_dir / "checkpoint"
    assert result.oom_retry == OomRetry(batch_size=32, gradient_accumulation=2)
    retried = json.loads((retry_dir / "config.json").read_text())
    assert retried["optimization"]["batch_size"] == 32 and retried["optimization"]["gradient_accumulation"] == 2
    assert retried["tracking"]["prefix"] == "refit-oom-retry."  # its MLflow records beside the first attempt's

    lineage = {**LINEAGE, "hyperparameters": {"learning_rate": 1e-3, "batch_size": 64}}
    _, _, collected = collect_training_outputs(result, lineage)
    assert collected["hyperparameters"] == {"learning_rate": 1e-3, "batch_size": 32, "gradient_accumulation": 2}
    assert collected["oom_retry"] is True and collected["run_dir"] == str(retry_dir)
    assert collected["hyperparameters_hash"] != LINEAGE["hyperparameters_hash"]


def test_without_oom_retry_a_run_out_of_memory_fails(tmp_path):
    training = fake_launch(tmp_path, oom_retry=False)
    run = refit_run(tmp_path, batch_size=64)
    with pytest.raises(TrainingFailed, match="ran out of memory, exit status 3"):
        execute_run(build_command(run, training), child_env(), run, training)
    assert not (tmp_path / "runs" / "refit" / "r1-oom-retry").exists()


# --- one child-run path ----------------------------------------------------------------------------------------


def test_hpo_trials_refit_and_final_training_run_the_very_same_step_functions():
    from resume_ner.execution import steps
    from resume_ner.pipelines.final_training import create_pipeline as final_training
    from resume_ner.pipelines.refit import create_pipeline as refit
    from resume_ner.tuning import objective

    shared = (steps.prepare_run_config, steps.build_command, steps.build_environment, steps.execute_run)
    for pipeline in (refit(), final_training()):
        funcs = {node.name.split(".")[-1]: node.func for node in pipeline.nodes}
        for step in shared:
            assert funcs[step.__name__] is step
    for step in shared:  # what TrialObjective._run_fold calls for each fold
        assert getattr(objective, step.__name__) is step


def test_every_node_is_named_after_the_function_it_runs():
    from kedro.framework.project import configure_project

    from resume_ner.pipeline_registry import register_pipelines

    configure_project("resume_ner")
    for node in register_pipelines()["__default__"].nodes:
        assert node.name.split(".")[-1] == node.func.__name__, node.name
