"""Project settings. https://docs.kedro.org/en/stable/kedro_project_setup/settings.html"""

from kedro.config import OmegaConfigLoader
from omegaconf.resolvers import oc

from resume_ner.hooks import EndMlflowRunsHook, LogTypedParametersHook

HOOKS = (LogTypedParametersHook(), EndMlflowRunsHook())

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # Kedro only enables oc.env for credentials; conf/base/mlflow.yml reads MLFLOW_TRACKING_URI with it.
    "custom_resolvers": {"oc.env": oc.env},
    # conf/local overrides single parameters instead of replacing whole files.
    "merge_strategy": {"parameters": "soft"},
}
