"""Project pipelines."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline
from kedro_mlflow.pipeline import pipeline_ml_factory

from resume_ner.pipelines.inference import create_serving_pipeline
from resume_ner.pipelines.inference.pipeline import SERVING_INPUT

# A modular pipeline template instantiated by refit and final_training, not a pipeline to run on its own.
TEMPLATES = ("training_run",)
# The main job, in order.
MAIN_JOB = ("data_processing", "hpo", "refit", "final_training")
# The name of the pyfunc model in the run that logs it.
PYFUNC_MODEL = "pyfunc"


def served(training: Pipeline) -> Pipeline:
    """``training`` bound to the serving pipeline (kedro-mlflow's ``pipeline_ml_factory``): a run of it logs one
    MLflow pyfunc model (texts in, entities out) with the serving folder it made, which ``RegisterChampionHook``
    then registers."""
    # No signature: callers send a list of texts or a table with a `text` column, and get lists of entities back.
    return pipeline_ml_factory(
        training=training,
        inference=create_serving_pipeline(),
        input_name=SERVING_INPUT,
        log_model_kwargs={"name": PYFUNC_MODEL, "signature": None},
    )


def register_pipelines() -> dict[str, Pipeline]:
    """Register every pipeline under ``resume_ner.pipelines``; ``__default__`` is the main job.

    Kedro loads only the pipelines a run asks for (``--pipelines``), so the main job is assembled only when all
    of its parts were loaded. final_training and the main job log the pyfunc model.
    """
    pipelines = find_pipelines(raise_errors=True)
    for template in TEMPLATES:
        pipelines.pop(template, None)
    if all(name in pipelines for name in MAIN_JOB):
        pipelines["__default__"] = served(sum((pipelines[name] for name in MAIN_JOB), Pipeline([])))
    if "final_training" in pipelines:
        pipelines["final_training"] = served(pipelines["final_training"])
    return pipelines
