"""Run under torchrun: each rank backpropagates its slice of some batches through DistributedDataParallel, and
rank 0 writes how far the averaged gradients are from one process's gradients of the whole batches.

``torchrun --nproc-per-node N ddp_gradients.py OUT.json``; OUT.json: {batch name: largest absolute difference}.
"""

from __future__ import annotations

import copy
import json
import random
import sys

import torch
from transformers import BertConfig, BertForTokenClassification

from resume_ner.corpus.labels import LabelSchema
from resume_ner.tagging import IGNORE, Window
from resume_ner.training.config import TrainingSettings
from resume_ner.training.distributed import SINGLE_PROCESS, DistributedContext
from resume_ner.training.loop import LoopSettings, _backward

# Batches of window indices: a full one (4 windows a rank on 2 ranks), an odd one, and a last one of a single
# window, which leaves rank 1 an empty slice.
BATCHES = {"full": [0, 1, 2, 3, 4, 5, 6, 7], "odd": [8, 9, 10], "single": [11]}


def windows(count: int, rng: random.Random) -> list[Window]:
    """Windows of different lengths, some positions unlabelled, as the tokeniser would make them."""
    made = []
    for _ in range(count):
        size = rng.randint(5, 30)
        labels = tuple(
            IGNORE if position in (0, size - 1) or rng.random() < 0.2 else rng.randrange(5) for position in range(size)
        )
        made.append(Window(tuple(rng.randrange(1, 60) for _ in range(size)), labels, tuple(range(size)), (0, size)))
    return made


def settings() -> LoopSettings:
    training = TrainingSettings.model_validate(
        {
            "backbone": {"name": "tiny-bert"},
            "eval_batch_size": 8,
            "progress_every_steps": 1,
            "optimization": {
                "learning_rate": 1e-3,
                "batch_size": 8,
                "weight_decay": 0.0,
                "warmup_ratio": 0.0,
                "epochs": 1,
                "max_grad_norm": None,
                "seed": 0,
            },
        }
    )
    return LoopSettings(training, LabelSchema(("NAME", "SKILL")), torch.device("cpu"), None, 0)


def largest_difference(model, reference) -> float:
    return max(
        float((mine.grad - theirs.grad).abs().max())
        for mine, theirs in zip(model.parameters(), reference.parameters(), strict=True)
    )


def main(out: str) -> None:
    context = DistributedContext.from_env()
    context.start(torch.device("cpu"))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=64,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        num_labels=5,
        hidden_dropout_prob=0.0,  # type: ignore[call-arg]
        attention_probs_dropout_prob=0.0,
    )
    model = BertForTokenClassification(config)
    reference = copy.deepcopy(model)  # the single process, from the same weights
    trained = context.wrap(model)
    data = windows(12, random.Random(1))
    found = {}
    for name, members in BATCHES.items():
        model.zero_grad(set_to_none=False)
        reference.zero_grad(set_to_none=False)
        labelled = sum(label != IGNORE for i in members for label in data[i].labels)
        _backward(trained, data, members, labelled, settings(), context)
        _backward(reference, data, members, labelled, settings(), SINGLE_PROCESS)
        found[name] = largest_difference(model, reference)
        found[f"{name}_norm"] = float(sum(p.grad.norm() ** 2 for p in reference.parameters()) ** 0.5)
    if context.is_main:
        with open(out, "w", encoding="utf-8") as stream:
            json.dump(found, stream)
    # DistributedDataParallel must be gone before its process group: freed after destroy_process_group (at this
    # function's return), its reducer could wait forever on the destroyed group (a hang seen about 1 run in 8).
    del trained
    context.close()


if __name__ == "__main__":
    main(sys.argv[1])
