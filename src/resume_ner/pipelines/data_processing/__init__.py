"""Read a labelled corpus, fix its label set and split it for tuning and evaluation."""

from resume_ner.pipelines.data_processing.pipeline import create_pipeline

__all__ = ["create_pipeline"]
