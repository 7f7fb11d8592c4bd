"""The serving folder: the exported model (ONNX fp32 and int8, config, tokenizer, ``resume_ner.json``), the PyTorch
weights when the runtime to serve is torch, and ``serving.json`` naming that runtime (refit's export parity chose
it). ``load_serving_model`` turns it into a ``Predictor``; ``entities`` turns texts into what the served model
answers."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from resume_ner.files import staged_folder
from resume_ner.training.checkpoint import WEIGHTS_FILE, CheckpointError

SERVING_FILE = "serving.json"


def package_serving_folder(checkpoint: Path, exported: Path, runtime: str, target: Path) -> Path:
    """``target`` (replaced atomically): ``exported``'s files, ``checkpoint``'s weights when ``runtime`` is torch,
    and ``serving.json``."""
    from resume_ner.predict import RUNTIMES

    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {RUNTIMES}, got {runtime!r}")
    with staged_folder(target) as staging:
        for path in Path(exported).iterdir():
            if path.is_file():
                shutil.copy2(path, staging / path.name)
        if runtime == "torch":
            shutil.copy2(Path(checkpoint) / WEIGHTS_FILE, staging / WEIGHTS_FILE)
        (staging / SERVING_FILE).write_text(json.dumps({"runtime": runtime}, indent=2), encoding="utf-8")
    return Path(target)


def serving_runtime(folder: Path) -> str:
    """The runtime ``folder``'s ``serving.json`` names."""
    path = Path(folder) / SERVING_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))["runtime"]
    except FileNotFoundError:
        raise CheckpointError(f"{folder} is not a serving folder: {SERVING_FILE} is missing") from None
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"{path} is not valid: {error!r}") from None


def load_serving_model(folder: Path, batch_size: int = 32):
    """A ``Predictor`` for ``folder`` with the runtime it names, on the CPU."""
    from resume_ner.predict import Predictor

    return Predictor.load(folder, batch_size=batch_size, runtime=serving_runtime(folder))


def as_texts(model_input: Any) -> list[str]:
    """The texts of what a caller sends: a string, a list of strings, or a table (pandas DataFrame) whose
    ``text`` column (or only column) holds them."""
    if isinstance(model_input, str):
        return [model_input]
    columns = getattr(model_input, "columns", None)
    if columns is not None:
        if "text" in columns:
            column = model_input["text"]
        elif len(columns) == 1:
            column = model_input[columns[0]]
        else:
            raise ValueError(f"send a column named 'text' (got columns {list(columns)})")
        texts = column.tolist()
    else:
        texts = list(model_input)
    bad = [index for index, text in enumerate(texts) if not isinstance(text, str)]
    if bad:
        raise ValueError(f"every input must be a text; entries {bad[:5]} are not strings")
    return texts


def entities(predictor, texts: Sequence[str]) -> list[list[dict]]:
    """One list per text of ``{start, end, label, text, confidence}``, offsets into the text as given."""
    from resume_ner.predict import spans_to_json

    return [
        spans_to_json(text, found) for text, found in zip(texts, predictor.predict_with_confidence(texts), strict=True)
    ]
