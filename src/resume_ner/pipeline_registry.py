"""Project pipelines."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline


def register_pipelines() -> dict[str, Pipeline]:
    """Register every pipeline under ``resume_ner.pipelines``; ``__default__`` is the main job."""
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = pipelines["data_processing"]
    return pipelines
