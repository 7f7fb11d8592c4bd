"""refit: retrain the best trial's hyperparameters on all training documents."""

from resume_ner.pipelines.refit.pipeline import create_pipeline

__all__ = ["create_pipeline"]
