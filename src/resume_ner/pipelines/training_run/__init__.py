"""The modular pipeline template of one training run, instantiated as ``refit`` and ``final_training``."""

from resume_ner.pipelines.training_run.pipeline import create_pipeline

__all__ = ["create_pipeline"]
