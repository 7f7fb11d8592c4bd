"""Project settings. https://docs.kedro.org/en/stable/kedro_project_setup/settings.html"""

from kedro.config import OmegaConfigLoader
from omegaconf.resolvers import oc

from resume_ner.hooks import (
    EndMlflowRunsHook,
    LogTypedParametersHook,
    RegisterChampionHook,
    StartTrainingServerHook,
)
from resume_ner.logs import plain_lines_off_terminal

# Kedro has applied conf/logging.yml before it reads this module; where the console is not a terminal, the rich
# handler gives way to one plain line per record (see plain_lines_off_terminal for why this is not in the file).
plain_lines_off_terminal()

HOOKS = (LogTypedParametersHook(), EndMlflowRunsHook(), RegisterChampionHook(), StartTrainingServerHook())

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # Kedro only enables oc.env for credentials; conf/base/mlflow.yml reads MLFLOW_TRACKING_URI with it.
    "custom_resolvers": {"oc.env": oc.env},
    # conf/local overrides single parameters instead of replacing whole files.
    "merge_strategy": {"parameters": "soft"},
}
