"""MLflow helpers shared by the Kedro side (hooks) and the training program."""

from __future__ import annotations

from typing import Any


def flatten_params(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``: nested settings as MLflow's flat, searchable keys."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten_params(value, f"{name}."))
        else:
            flat[name] = value
    return flat
