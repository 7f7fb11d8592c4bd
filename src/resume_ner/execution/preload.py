"""What the preloaded fork server imports once, so each forked child starts with it already in memory.

Importing must not initialise CUDA: a forked child could not use a CUDA context made in its parent.
"""

import importlib

import mlflow  # (the child logs its metrics through MlflowClient)

# A child that logs to a database (the default tracking URI is sqlite:///mlflow.db) builds MLflow's SQLAlchemy store;
# importing it (SQLAlchemy, alembic, MLflow's table models) took 1.1-1.9 s of every fold's start on a 2-core CPU.
# (The store for a tracking server, rest_store, comes with mlflow itself.)
import mlflow.store.tracking.sqlalchemy_store  # noqa: F401
import torch  # noqa: F401
import transformers  # noqa: F401
from transformers import AutoModelForTokenClassification, AutoTokenizer  # noqa: F401
from transformers.conversion_mapping import get_checkpoint_conversion_mapping

import resume_ner.training.__main__
import resume_ner.training.program  # noqa: F401

# transformers imports a model family's code only when a model of it is first built: for BERT (MiniLM, tiny-bert)
# that is about 1 s of every fold's start-up, against 10 ms per further family once the first is in. The families
# with token-classification heads that resume backbones come from are imported here, once.
MODEL_FAMILIES = ("bert", "roberta", "xlm_roberta", "deberta_v2", "distilbert", "electra")
for family in MODEL_FAMILIES:
    importlib.import_module(f"transformers.models.{family}.modeling_{family}")

# The first model a process loads builds transformers' table of checkpoint weight renamings (about a thousand
# regular expressions, 0.1-0.5 s on a 2-core CPU) and keeps it for the life of the process. Built here, once, every
# forked child starts with it instead of building it again in every fold. (No model is loaded here: that would run
# torch operations in the server, whose thread pool its forked children must not inherit.)
get_checkpoint_conversion_mapping("bert")
