"""Custom Kedro datasets of this project."""

from resume_ner.datasets.best_params_dataset import BestParamsDataset
from resume_ner.datasets.checkpoint_dataset import CheckpointDataset, ExportedModelDataset, ServingModelDataset
from resume_ner.datasets.corpus_dataset import CorpusCollectionDataset, CorpusDataset
from resume_ner.datasets.optuna_storage_dataset import OptunaStorageDataset
from resume_ner.datasets.resume_file_dataset import ResumeFileDataset
from resume_ner.datasets.workspace_dataset import WorkspaceDataset

__all__ = [
    "BestParamsDataset",
    "CheckpointDataset",
    "CorpusCollectionDataset",
    "CorpusDataset",
    "ExportedModelDataset",
    "OptunaStorageDataset",
    "ResumeFileDataset",
    "ServingModelDataset",
    "WorkspaceDataset",
]
