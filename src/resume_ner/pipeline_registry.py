"""Project pipelines."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

# A modular pipeline template instantiated by refit and final_training, not a pipeline to run on its own.
TEMPLATES = ("training_run",)
# The main job, in order.
MAIN_JOB = ("data_processing", "hpo", "refit", "final_training")


def register_pipelines() -> dict[str, Pipeline]:
    """Register every pipeline under ``resume_ner.pipelines``; ``__default__`` is the main job.

    Kedro loads only the pipelines a run asks for (``--pipelines``), so the main job is assembled only when all
    of its parts were loaded.
    """
    pipelines = find_pipelines(raise_errors=True)
    for template in TEMPLATES:
        pipelines.pop(template, None)
    if all(name in pipelines for name in MAIN_JOB):
        pipelines["__default__"] = sum((pipelines[name] for name in MAIN_JOB), Pipeline([]))
    return pipelines
