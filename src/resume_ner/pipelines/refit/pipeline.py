"""refit: the training-run template under the ``refit`` namespace."""

from kedro.pipeline import Pipeline, pipeline

from resume_ner.pipelines import training_run
from resume_ner.pipelines.training_run.pipeline import SHARED_INPUTS, SHARED_PARAMETERS


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        training_run.create_pipeline(), namespace="refit", inputs=SHARED_INPUTS, parameters=SHARED_PARAMETERS
    )
