"""inference: the batch job (read -> predict -> write) and the pyfunc model's one-node pipeline."""

from kedro.pipeline import Node, Pipeline

from resume_ner.pipelines.inference import nodes

# The dataset a pyfunc caller fills: texts in.
SERVING_INPUT = "texts"


def _node(func, inputs, outputs) -> Node:
    return Node(func, inputs, outputs, name=func.__name__)


def create_pipeline(**kwargs) -> Pipeline:
    """``kedro run --pipelines=inference``: the folder of resumes (catalog ``resumes``) through the registry's
    champion (``champion_model``) into ``inference_results`` (JSON Lines) and ``inference_summary``."""
    return Pipeline(
        [
            _node(nodes.read_resumes, "resumes", ["resume_texts", "unreadable_resumes"]),
            _node(nodes.predict_resumes, ["champion_model", "resume_texts"], "resume_entities"),
            _node(
                nodes.write_results,
                ["resume_entities", "unreadable_resumes"],
                ["inference_results", "inference_summary"],
            ),
        ]
    )


def create_serving_pipeline() -> Pipeline:
    """What the MLflow pyfunc model runs (kedro-mlflow's ``pipeline_ml_factory``): ``serving_model`` (the final
    model's serving folder) and the caller's ``texts`` in, ``entities`` out."""
    return Pipeline([_node(nodes.predict_entities, ["serving_model", SERVING_INPUT], "entities")])
