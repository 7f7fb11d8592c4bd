"""refit: train the best configuration on the training documents and score it on the hold-out set (the estimate
of production quality), with its model card."""

from resume_ner.pipelines.refit.pipeline import create_pipeline

__all__ = ["create_pipeline"]
