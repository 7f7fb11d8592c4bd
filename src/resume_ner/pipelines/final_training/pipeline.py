"""final_training: the training-run template, then hold-out evaluation and the model card, under one namespace."""

from kedro.pipeline import Node, Pipeline, pipeline

from resume_ner.pipelines import training_run
from resume_ner.pipelines.final_training import nodes
from resume_ner.pipelines.training_run.pipeline import SHARED_INPUTS, SHARED_PARAMETERS


def create_pipeline(**kwargs) -> Pipeline:
    evaluation = Pipeline(
        [
            Node(
                nodes.evaluate_on_holdout,
                ["model", "corpus", "holdout_split", "params:training"],
                "holdout_metrics",
                name="evaluate_on_holdout",
            ),
            Node(
                nodes.holdout_metrics_for_mlflow,
                "holdout_metrics",
                "holdout_mlflow_metrics",
                name="holdout_metrics_for_mlflow",
            ),
            Node(
                nodes.write_model_card,
                ["lineage", "metrics", "holdout_metrics", "corpus_report"],
                "model_card",
                name="write_model_card",
            ),
        ]
    )
    return pipeline(
        training_run.create_pipeline() + evaluation,
        namespace="final_training",
        inputs=SHARED_INPUTS | {"holdout_split", "corpus_report"},
        parameters=SHARED_PARAMETERS,
    )
