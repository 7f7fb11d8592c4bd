"""The MLflow Model Registry: each final model's pyfunc model registered under one name, and the alias
``champion`` moved to it only when refit's hold-out score is at least the current champion's."""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)

CHAMPION = "champion"
# The version tags holding the scores the decision compared (strict character-span micro F1 on the hold-out set).
SCORE_TAG = "holdout.char_strict_micro_f1"
CHAMPION_SCORE_TAG = "champion_at_registration.char_strict_micro_f1"


@dataclass(frozen=True)
class Registration:
    name: str
    version: str
    score: float
    champion_score: float | None  # the champion's score when this version was registered; None: there was none
    is_champion: bool


def register_logged_model(run_id: str, model_name: str, registered_name: str, score: float) -> Registration:
    """Register the pyfunc model ``model_name`` that run ``run_id`` logged as a new version of ``registered_name``,
    record ``score`` and the champion's on the version, and move ``champion`` to it when ``score`` is at least
    the champion's (or there is no champion yet)."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    logged = [
        model
        for model in mlflow.search_logged_models(
            filter_string=f"source_run_id = '{run_id}'", output_format="list", experiment_ids=None
        )
        if model.name == model_name
    ]
    if not logged:
        raise RuntimeError(f"MLflow run {run_id} logged no model named {model_name!r} to register")
    model = max(logged, key=lambda found: found.creation_timestamp)
    try:
        champion = client.get_model_version_by_alias(registered_name, CHAMPION)
    except MlflowException:
        champion = None
    champion_score = float(champion.tags[SCORE_TAG]) if champion and SCORE_TAG in champion.tags else None
    version = mlflow.register_model(f"models:/{model.model_id}", registered_name).version
    client.set_model_version_tag(registered_name, version, SCORE_TAG, str(score))
    if champion is not None:
        client.set_model_version_tag(
            registered_name, version, CHAMPION_SCORE_TAG, "unknown" if champion_score is None else str(champion_score)
        )
    wins = champion is None or champion_score is None or score >= champion_score
    if wins:
        client.set_registered_model_alias(registered_name, CHAMPION, version)
    if champion is None:
        outcome = f"it is the {CHAMPION}, the first"
    elif wins:
        outcome = f"it is the {CHAMPION} (was version {champion.version}, {champion_score})"
    else:
        outcome = f"the {CHAMPION} stays version {champion.version} ({champion_score} > {score:.4f})"
    logger.info(
        "Registered %s version %s (refit's hold-out strict F1 %.4f); %s", registered_name, version, score, outcome
    )
    return Registration(registered_name, str(version), score, champion_score, wins)
