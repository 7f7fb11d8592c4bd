"""What the preloaded fork server imports once, so each forked child starts with it already in memory.

Importing must not initialise CUDA: a forked child could not use a CUDA context made in its parent.
"""

import mlflow  # noqa: F401  (the child logs its metrics through MlflowClient)
import torch  # noqa: F401
import transformers  # noqa: F401
from transformers import AutoModelForTokenClassification, AutoTokenizer  # noqa: F401

import resume_ner.training.__main__
import resume_ner.training.program  # noqa: F401
