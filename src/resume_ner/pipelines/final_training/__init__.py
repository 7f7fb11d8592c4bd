"""final_training: train the production model, score it on the hold-out set, write its model card."""

from resume_ner.pipelines.final_training.pipeline import create_pipeline

__all__ = ["create_pipeline"]
