"""Custom Kedro datasets of this project."""

from resume_ner.datasets.corpus_dataset import CorpusDataset

__all__ = ["CorpusDataset"]
