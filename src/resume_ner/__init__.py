"""resume-ner: fine-tune transformer encoders to find entities in resumes."""

import warnings

__version__ = "0.1.0"

# Deprecation notices from inside kedro, kedro-mlflow and mlflow that users of this project cannot act on.
for _message in (
    r"register_new_resolver\(\) is deprecated",
    r".*Add type hints to the `predict` method",
    r".*Any type hint is inferred as AnyType",
):
    warnings.filterwarnings("ignore", message=_message, category=UserWarning)
# Optuna marks heartbeats (how workers find trials whose worker died) experimental; we rely on them on purpose.
warnings.filterwarnings(
    "ignore",
    message=r"(Argument ``(heartbeat_interval|grace_period|heartbeat_stale_trial_callback)``"
    r"|RetryHeartbeatStaleTrialCallback is experimental)",
)
