"""Stand-ins for the batch inference tests: the registry's champion (a pyfunc model's ``predict``) and a resume
file that cannot be read (tests/pipelines/inference/test_serving_end_to_end.py runs the real champion)."""

from __future__ import annotations

from kedro.io import DatasetError


class Champion:
    """Tags every occurrence of "Python" as SKILL, as the served model answers; remembers the texts of each call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def predict(self, texts):
        self.calls.append(list(texts))
        return [
            [
                {"start": start, "end": start + 6, "label": "SKILL", "text": "Python", "confidence": 0.9}
                for start in range(len(text))
                if text.startswith("Python", start)
            ]
            for text in texts
        ]


def unreadable(message: str):
    """A partition's load function that fails as a resume file dataset does, with ``message`` as the reason."""

    def load():
        raise DatasetError("Failed while loading data from dataset X.") from ValueError(message)

    return load
