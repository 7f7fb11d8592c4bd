"""inference: resumes in, entities out. ``create_pipeline`` is the batch job over a folder of resumes
(``kedro run --pipelines=inference``); ``create_serving_pipeline`` is what the MLflow pyfunc model runs."""

from resume_ner.pipelines.inference.pipeline import create_pipeline, create_serving_pipeline

__all__ = ["create_pipeline", "create_serving_pipeline"]
