"""hpo: an Optuna study over the training program's hyperparameters, cross-validated on the folds."""

from resume_ner.pipelines.hpo.pipeline import create_pipeline

__all__ = ["create_pipeline"]
