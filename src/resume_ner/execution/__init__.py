"""The shared steps of every training run (HPO trial folds, refit, final training).

``build_training_config`` -> ``write_run_config`` -> ``build_training_command`` -> ``build_training_env`` ->
``execute_training``; the child runs ``python -m resume_ner.training --config RUN_DIR/config.json``.
"""

from resume_ner.execution.command import LaunchSettings, build_training_command
from resume_ner.execution.config import (
    RunPurpose,
    build_training_config,
    retried_hyperparameters,
    with_half_batch,
    write_run_config,
)
from resume_ner.execution.environment import build_training_env
from resume_ner.execution.execute import (
    TrainingFailed,
    TrainingResult,
    execute_training,
)
from resume_ner.execution.launchers import (
    PreloadedLauncher,
    ProcessLauncher,
    make_launcher,
    server_started,
)
from resume_ner.execution.run_inputs import (
    RunInputs,
    splits_fingerprint,
    write_run_inputs,
)

__all__ = [
    "LaunchSettings",
    "PreloadedLauncher",
    "ProcessLauncher",
    "RunInputs",
    "RunPurpose",
    "TrainingFailed",
    "TrainingResult",
    "build_training_command",
    "build_training_config",
    "build_training_env",
    "execute_training",
    "make_launcher",
    "retried_hyperparameters",
    "server_started",
    "splits_fingerprint",
    "with_half_batch",
    "write_run_config",
    "write_run_inputs",
]
