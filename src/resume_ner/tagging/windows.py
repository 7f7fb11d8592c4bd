"""Sliding windows over a tokenised document, so no part of a long resume is dropped.

Consecutive windows overlap by ``stride`` sub-tokens. Every sub-token is *owned* by exactly one window, the one
where it has the most context (overlaps are split in the middle); in the other windows it only gives context
and its label is IGNORE, so each token is trained and scored exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from resume_ner.tagging.alignment import IGNORE, TokenizedText


@dataclass(frozen=True)
class SpecialTokens:
    """Ids a tokenizer puts before and after a single sequence (``[CLS]`` / ``[SEP]`` for BERT)."""

    prefix: tuple[int, ...]
    suffix: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.prefix) + len(self.suffix)


def special_tokens_of(tokenizer) -> SpecialTokens:
    """Read the single-sequence template off the tokenizer itself, so any fast tokenizer works."""
    probe = "hello"
    bare = tokenizer(probe, add_special_tokens=False)["input_ids"]
    full = tokenizer(probe, add_special_tokens=True)["input_ids"]
    for start in range(len(full) - len(bare) + 1):
        if full[start : start + len(bare)] == bare:
            return SpecialTokens(tuple(full[:start]), tuple(full[start + len(bare) :]))
    raise ValueError(f"cannot find where {type(tokenizer).__name__} puts the text between its special tokens")


@dataclass(frozen=True)
class Window:
    """One model input: ``input_ids`` with special tokens; ``token_index`` maps each position to the document's
    sub-token index (-1 for special tokens); ``labels`` is IGNORE on special and context-only positions."""

    input_ids: tuple[int, ...]
    labels: tuple[int, ...]
    token_index: tuple[int, ...]
    owned: tuple[int, int]  # [first, last) document sub-token indices this window scores

    def __len__(self) -> int:
        return len(self.input_ids)


def window_bounds(n_tokens: int, content_length: int, stride: int) -> list[tuple[int, int, int, int]]:
    """``(start, end, own_start, own_end)`` per window over ``n_tokens`` sub-tokens."""
    if content_length < 1:
        raise ValueError("max_length leaves no room for text after the special tokens")
    if not 0 <= stride < content_length:
        raise ValueError(
            f"stride must be from 0 to {content_length - 1} (max_length minus special tokens minus 1), got {stride}"
        )
    if n_tokens == 0:
        return []
    step = content_length - stride
    starts = [0]
    while starts[-1] + content_length < n_tokens:
        starts.append(starts[-1] + step)
    ends = [min(start + content_length, n_tokens) for start in starts]
    cuts = [0] + [(starts[i + 1] + ends[i]) // 2 for i in range(len(starts) - 1)] + [n_tokens]
    return [(starts[i], ends[i], cuts[i], cuts[i + 1]) for i in range(len(starts))]


def make_windows(
    tokens: TokenizedText, tag_ids: list[int] | None, special: SpecialTokens, max_length: int, stride: int
) -> list[Window]:
    """Windows of at most ``max_length`` ids (special tokens included). Without ``tag_ids`` (prediction) every
    label is IGNORE."""
    windows = []
    for start, end, own_start, own_end in window_bounds(len(tokens), max_length - len(special), stride):
        labels = [
            tag_ids[index] if tag_ids is not None and own_start <= index < own_end else IGNORE
            for index in range(start, end)
        ]
        windows.append(
            Window(
                input_ids=special.prefix + tokens.input_ids[start:end] + special.suffix,
                labels=(IGNORE,) * len(special.prefix) + tuple(labels) + (IGNORE,) * len(special.suffix),
                token_index=(-1,) * len(special.prefix) + tuple(range(start, end)) + (-1,) * len(special.suffix),
                owned=(own_start, own_end),
            )
        )
    return windows


def merge_window_predictions(windows: list[Window], predictions: Sequence[Any], n_tokens: int) -> list[Any]:
    """One prediction (a tag id, or a row of tag scores) per document sub-token, taken from the window that owns
    it; IGNORE for a sub-token no window owns (none, once windows come from ``make_windows``)."""
    merged: list[Any] = [IGNORE] * n_tokens
    for window, predicted in zip(windows, predictions, strict=True):
        own_start, own_end = window.owned
        for position, index in enumerate(window.token_index):
            if own_start <= index < own_end:
                merged[index] = predicted[position]
    return merged
