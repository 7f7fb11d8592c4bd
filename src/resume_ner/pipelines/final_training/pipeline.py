"""final_training: the training-run template on every labelled document, then its latency per runtime and the
model card, which takes refit's hold-out scores and export parity as the expected quality (this model saw the
hold-out set), under one namespace."""

from kedro.pipeline import Node, Pipeline, pipeline

from resume_ner.pipelines import training_run
from resume_ner.pipelines.final_training import nodes
from resume_ner.pipelines.refit.nodes import holdout_metrics_for_mlflow
from resume_ner.pipelines.training_run.pipeline import SHARED_INPUTS, SHARED_PARAMETERS


def _node(func, inputs, outputs) -> Node:
    return Node(func, inputs, outputs, name=func.__name__)


def create_pipeline(**kwargs) -> Pipeline:
    card = Pipeline(
        [
            # refit's hold-out scores, logged to this run too (prefix ``expected``): the model's expected quality.
            _node(holdout_metrics_for_mlflow, "holdout_metrics", "expected_mlflow_metrics"),
            _node(
                nodes.measure_latency,
                ["model", "onnx_model", "corpus", "holdout_split", "params:serving"],
                "latency",
            ),
            _node(nodes.latency_for_mlflow, "latency", "latency_mlflow_metrics"),
            _node(nodes.package_serving_model, ["model", "onnx_model", "export_parity", "run_result"], "serving_model"),
            _node(
                nodes.write_model_card,
                ["lineage", "metrics", "holdout_metrics", "holdout_split", "corpus_report", "export_parity", "latency"],
                "model_card",
            ),
        ]
    )
    return pipeline(
        training_run.create_pipeline(warm_start=True) + card,
        namespace="final_training",
        # refit's model: where ``run.init: refit`` continues from.
        inputs={
            name: name
            for name in SHARED_INPUTS | {"holdout_metrics", "export_parity", "holdout_split", "corpus_report"}
        }
        | {"init_model": "refit.model"},
        # What the pyfunc model serves (``pipelines/inference``): one name, whichever pipeline made it.
        outputs={"serving_model"},
        parameters=SHARED_PARAMETERS | {"params:serving"},
    )
