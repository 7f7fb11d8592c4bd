"""final_training: train the production model on every labelled document, hold-out included; its model card gives
refit's hold-out scores as the expected quality."""

from resume_ner.pipelines.final_training.pipeline import create_pipeline

__all__ = ["create_pipeline"]
