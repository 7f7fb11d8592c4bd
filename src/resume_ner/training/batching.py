"""Batches of windows: grouped by length so little padding is computed, padded only to the longest in a batch."""

from __future__ import annotations

import random

import torch

from resume_ner.tagging import IGNORE, Window


def length_grouped_batches(lengths: list[int], batch_size: int, rng: random.Random, group: int = 50) -> list[list[int]]:
    """Shuffled batches of indices whose members have similar lengths.

    Indices are shuffled, cut into chunks of ``group * batch_size``, sorted by length inside each chunk and cut
    into batches; the batch order is shuffled again, so every epoch sees a different order.
    """
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = group * batch_size
    batches = []
    for start in range(0, len(order), chunk):
        members = sorted(order[start : start + chunk], key=lambda index: -lengths[index])
        batches += [members[i : i + batch_size] for i in range(0, len(members), batch_size)]
    rng.shuffle(batches)
    return batches


def sorted_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Batches in descending length order, for evaluation and prediction."""
    order = sorted(range(len(lengths)), key=lambda index: -lengths[index])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


PAD_TO_MULTIPLE_OF = 32


def collate(windows: list[Window], pad_id: int, device: torch.device | str, with_labels: bool = True) -> dict:
    """Tensors for a batch, padded to its longest window rounded up to a multiple of 32: input_ids,
    attention_mask and (optionally) labels.

    Rounding keeps the number of distinct tensor shapes small; with a new width every few steps the allocator
    and oneDNN's per-shape caches fragment memory and the peak grows epoch after epoch.
    """
    longest = max(len(window) for window in windows)
    width = -(-longest // PAD_TO_MULTIPLE_OF) * PAD_TO_MULTIPLE_OF
    input_ids = torch.full((len(windows), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(windows), width), dtype=torch.long)
    labels = torch.full((len(windows), width), IGNORE, dtype=torch.long)
    for row, window in enumerate(windows):
        size = len(window)
        input_ids[row, :size] = torch.tensor(window.input_ids)
        attention_mask[row, :size] = 1
        if with_labels:
            labels[row, :size] = torch.tensor(window.labels)
    batch = {"input_ids": input_ids.to(device), "attention_mask": attention_mask.to(device)}
    if with_labels:
        batch["labels"] = labels.to(device)
    return batch
