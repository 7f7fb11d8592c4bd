"""The training program every trial, fold, refit and final model runs in its own process:
``python -m resume_ner.training --config RUN_DIR/config.json``."""

from resume_ner.training.config import RunConfig, load_run_config

__all__ = ["RunConfig", "load_run_config"]
