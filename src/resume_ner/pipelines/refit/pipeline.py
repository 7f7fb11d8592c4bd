"""refit: the training-run template, then the hold-out evaluation, the exports' parity with PyTorch and refit's
model card, under one namespace."""

from kedro.pipeline import Node, Pipeline, pipeline

from resume_ner.pipelines import training_run
from resume_ner.pipelines.refit import nodes
from resume_ner.pipelines.training_run.pipeline import SHARED_INPUTS, SHARED_PARAMETERS


def _node(func, inputs, outputs) -> Node:
    return Node(func, inputs, outputs, name=func.__name__)


def create_pipeline(**kwargs) -> Pipeline:
    evaluation = Pipeline(
        [
            _node(
                nodes.evaluate_on_holdout, ["model", "corpus", "holdout_split", "params:training"], "holdout_metrics"
            ),
            _node(nodes.holdout_metrics_for_mlflow, "holdout_metrics", "holdout_mlflow_metrics"),
            _node(
                nodes.check_export_parity,
                ["model", "onnx_model", "corpus", "holdout_split", "params:serving"],
                "export_parity",
            ),
            _node(nodes.export_parity_for_mlflow, "export_parity", "parity_mlflow_metrics"),
            _node(
                nodes.write_model_card,
                ["lineage", "metrics", "holdout_metrics", "corpus_report", "export_parity"],
                "model_card",
            ),
        ]
    )
    return pipeline(
        training_run.create_pipeline() + evaluation,
        namespace="refit",
        inputs=SHARED_INPUTS | {"holdout_split", "corpus_report"},
        # The hold-out scores and the exports' parity are the project's one estimate of production quality
        # (final_training's card takes them as its expected quality), so they are not namespaced.
        outputs={"holdout_metrics", "export_parity"},
        parameters=SHARED_PARAMETERS | {"params:serving"},
    )
