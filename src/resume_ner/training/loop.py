"""The training loop and the per-epoch evaluation, written out step by step (tokenised windows in, metrics out)."""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.nn.functional import cross_entropy

from resume_ner.corpus.labels import LabelSchema
from resume_ner.tagging import IGNORE, EncodedDocument, Window
from resume_ner.tagging.alignment import unit_tag_ids, unit_tags_to_spans
from resume_ner.tagging.boundaries import BoundaryTrim
from resume_ner.tagging.document import decode_document_tags
from resume_ner.training.batching import collate, length_grouped_batches, sorted_batches
from resume_ner.training.config import TrainingSettings
from resume_ner.training.distributed import SINGLE_PROCESS, DistributedContext
from resume_ner.training.metrics import entity_metrics, tags_from_ids
from resume_ner.training.model import autocast_context
from resume_ner.training.span_metrics import span_scores


class TrainingStopped(Exception):
    """The run was asked to stop (SIGTERM or Ctrl-C)."""


@dataclass(frozen=True)
class LoopSettings:
    """The run's training settings as configured, and what the program resolved from them: the label schema, the
    device, the autocast dtype and the tokenizer's padding id."""

    training: TrainingSettings
    schema: LabelSchema
    device: torch.device
    autocast_dtype: torch.dtype | None
    pad_id: int
    boundary_trim: BoundaryTrim | None = None  # learned from the run's training documents (``tagging.boundaries``)


@dataclass
class LoopResult:
    history: list[dict] = field(default_factory=list)
    best_epoch: int | None = None
    best_metrics: dict | None = None
    train_tokens: int = 0
    train_seconds: float = 0.0
    evaluation_seconds: float = 0.0  # scoring the validation documents after each epoch
    stopped_early: bool = False


_LAYER_INDEX = re.compile(r"\.layers?\.(\d+)\.")


def learning_rate_scales(model, layer_decay: float, head_scale: float) -> dict[str, float]:
    """Each trainable parameter's learning rate as a multiple of the configured one: the head (what is not part of
    the pre-trained ``base_model``) at ``head_scale``, encoder layer k of L at ``layer_decay ** (L - k)`` (counted
    from 1), and the rest of the encoder (embeddings) at ``layer_decay ** L``."""
    prefix = f"{model.base_model_prefix}."
    layers = model.config.num_hidden_layers
    scales = {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        if not name.startswith(prefix):
            scales[name] = head_scale
            continue
        match = _LAYER_INDEX.search(name)
        depth = int(match.group(1)) + 1 if match else 0
        scales[name] = layer_decay ** (layers - depth)
    return scales


def _optimizer(model, settings: LoopSettings) -> torch.optim.Optimizer:
    optimization = settings.training.optimization
    scales = learning_rate_scales(model, optimization.layer_decay, optimization.head_learning_rate_scale)
    # Biases and LayerNorm weights are not decayed, as in BERT's recipe; one group per (decay, learning rate).
    groups: dict[tuple[bool, float], list[torch.nn.Parameter]] = {}
    for name, parameter in model.named_parameters():
        if name in scales:
            decayed = not (parameter.ndim < 2 or "LayerNorm" in name)
            groups.setdefault((decayed, scales[name]), []).append(parameter)
    # The fused kernel updates all parameters at once: ~6x faster steps than the per-tensor default on CPU, and
    # less temporary memory (benchmarks/training_throughput.py).
    fused = settings.device.type in ("cpu", "cuda")
    return torch.optim.AdamW(
        [
            {
                "params": parameters,
                "weight_decay": optimization.weight_decay if decayed else 0.0,
                "lr": optimization.learning_rate * scale,
            }
            for (decayed, scale), parameters in groups.items()
        ],
        lr=optimization.learning_rate,
        fused=fused,
    )


def _linear_warmup(optimizer, warmup_steps: int, total_steps: int):
    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / (warmup_steps + 1)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def run_loop(
    model,
    train_windows: list[Window],
    validation: list[EncodedDocument],
    settings: LoopSettings,
    emit: Callable[..., None],
    on_epoch: Callable[[dict], None],
    on_best: Callable[[int], None],
    should_stop: Callable[[], bool],
    context: DistributedContext = SINGLE_PROCESS,
) -> LoopResult:
    """Train for ``settings.training.optimization.epochs`` epochs, evaluating on ``validation`` after each one.

    ``on_best(epoch)`` is called whenever the objective improves (or after the last epoch without validation),
    ``on_epoch(record)`` after every epoch; ``should_stop()`` is polled between steps.

    Across several processes (``context``) the recipe is the single process's: every rank draws the same
    batches of ``batch_size`` windows, trains its slice of each through DistributedDataParallel, and
    the averaged gradient is the one a single process gets from the whole batch, so step counts, the schedule
    and ``total_steps`` do not depend on the number of processes. Rank 0 evaluates and every rank gets its
    metrics, so all take the same early-stopping decision. A stop request on any rank stops them all at the
    same step.
    """
    optimization, stopping = settings.training.optimization, settings.training.early_stopping
    model.to(settings.device)
    trained = context.wrap(model)  # forward and backward through this; evaluate and save ``model`` itself
    optimizer = _optimizer(model, settings)
    batches_per_epoch = math.ceil(len(train_windows) / optimization.batch_size)
    steps_per_epoch = math.ceil(batches_per_epoch / optimization.gradient_accumulation)
    total_steps = steps_per_epoch * optimization.epochs
    scheduler = _linear_warmup(optimizer, int(optimization.warmup_ratio * total_steps), total_steps)
    lengths = [len(window) for window in train_windows]
    labelled = [sum(label != IGNORE for label in window.labels) for window in train_windows]
    result = LoopResult()
    step, waited = 0, 0
    for epoch in range(1, optimization.epochs + 1):
        model.train()
        rng = random.Random(f"{optimization.seed}:{epoch}")
        # The same seeded order on every rank, so the ranks' slices of a batch are disjoint and cover it.
        batches = length_grouped_batches(lengths, optimization.batch_size, rng)
        epoch_loss, epoch_windows, epoch_tokens, started = 0.0, 0.0, 0.0, time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        for index, members in enumerate(batches, start=1):
            if context.any(should_stop()):
                raise TrainingStopped()
            last_of_step = index % optimization.gradient_accumulation == 0 or index == len(batches)
            with context.no_sync(trained, last_of_step):
                share = _backward(trained, train_windows, members, sum(labelled[i] for i in members), settings, context)
            epoch_loss += share.loss
            epoch_windows += share.windows
            epoch_tokens += share.tokens
            if last_of_step:
                if optimization.max_grad_norm is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), optimization.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                if step % settings.training.progress_every_steps == 0:
                    (loss_sum,) = context.sum(epoch_loss)
                    emit("step", epoch=epoch, step=step, total_steps=total_steps, train_loss=round(loss_sum / index, 5))
        result.train_seconds += time.perf_counter() - started
        epoch_loss, epoch_windows, epoch_tokens = context.sum(epoch_loss, epoch_windows, epoch_tokens)
        result.train_tokens += int(epoch_tokens)
        record: dict[str, Any] = {
            "epoch": epoch,
            "step": step,
            "train_loss": epoch_loss / max(1, len(batches)),
            "train_windows": int(epoch_windows),
        }
        if validation:
            evaluation_started = time.perf_counter()
            record["validation"] = context.from_main(
                lambda: evaluate(model, validation, settings, should_stop), TrainingStopped
            )
            result.evaluation_seconds += time.perf_counter() - evaluation_started
        result.history.append(record)
        on_epoch(record)
        if not validation:
            continue
        score = record["validation"][settings.training.objective]
        best = None if result.best_metrics is None else result.best_metrics[settings.training.objective]
        if best is None or score > best + stopping.min_delta:
            result.best_epoch, result.best_metrics, waited = epoch, record["validation"], 0
            on_best(epoch)
        else:
            waited += 1
            if stopping.patience is not None and waited >= stopping.patience:
                result.stopped_early = True
                break
    if not validation:
        result.best_epoch = optimization.epochs
        on_best(optimization.epochs)
    return result


@dataclass
class _Share:
    """What one rank did with its slice of a batch: its part of the batch's mean loss, windows and tokens."""

    loss: float = 0.0
    windows: int = 0
    tokens: int = 0


def _backward(
    trained,
    windows: list[Window],
    members: list[int],
    batch_labelled: int,
    settings: LoopSettings,
    context: DistributedContext,
) -> _Share:
    """Accumulate this rank's share of the gradient of one batch's mean loss.

    Each rank sums the loss over its slice and divides by the labelled tokens of the whole batch (every rank
    knows them: all hold every window), so the slices' losses add up to the batch's mean loss. DDP averages
    gradients over ranks, hence the factor ``world_size``: the result is the single process's gradient.
    """
    mine = context.rank_slice(members)
    scale = context.world_size / max(1, batch_labelled) / settings.training.optimization.gradient_accumulation
    if not mine:
        # The last, short batch can leave this rank nothing; it must still run forward and backward, or the
        # other ranks would wait forever in DDP's gradient all-reduce. Its zero weight adds nothing.
        logits = _logits(trained, collate([windows[members[0]]], settings.pad_id, settings.device), settings)
        (logits.sum() * 0.0).backward()
        return _Share()
    batch = collate([windows[i] for i in mine], settings.pad_id, settings.device)
    logits = _logits(trained, batch, settings)
    loss = cross_entropy(
        logits.flatten(0, 1),
        batch["labels"].flatten(),
        ignore_index=IGNORE,
        reduction="sum",
        label_smoothing=settings.training.optimization.label_smoothing,
    )
    (loss * scale).backward()
    return _Share(loss.item() / max(1, batch_labelled), len(mine), int(batch["attention_mask"].sum()))


def _logits(model, batch: dict, settings: LoopSettings) -> torch.Tensor:
    """The model's fp32 logits on ``batch`` (computed under autocast when the run uses bf16)."""
    with autocast_context(settings.device, settings.autocast_dtype):
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    return logits.float()


def evaluate(model, documents: list[EncodedDocument], settings: LoopSettings, should_stop=lambda: False) -> dict:
    """Entity metrics on ``documents``: seqeval (strict IOB2, on word units) and character spans (strict and
    relaxed, against the annotated spans), token accuracy and loss.

    Each unit (word or sub-token, per the sub-token policy) is scored once, from the window that owns it;
    special tokens and padding never count. Predictions are decoded as the saved model decodes them
    (``training.decoding``: Viterbi over BIO by default), so validation scores what users will get.
    """
    model.eval()
    windows = [window for document in documents for window in document.windows]
    scores: list[np.ndarray] = [np.empty((0, 0), dtype=np.float32)] * len(windows)
    loss_sum, labelled = 0.0, 0
    with torch.inference_mode():
        for members in sorted_batches([len(w) for w in windows], settings.training.eval_batch_size):
            if should_stop():
                raise TrainingStopped()
            batch = collate([windows[i] for i in members], settings.pad_id, settings.device)
            logits = _logits(model, batch, settings)
            loss_sum += cross_entropy(
                logits.flatten(0, 1), batch["labels"].flatten(), ignore_index=IGNORE, reduction="sum"
            ).item()
            labelled += int((batch["labels"] != IGNORE).sum())
            log_probs = torch.log_softmax(logits, dim=-1).cpu().numpy()
            for row, index in enumerate(members):
                scores[index] = log_probs[row, : len(windows[index])]
    policy = settings.training.tokenization.subtoken_policy
    gold_tags, predicted_tags, gold_spans, predicted_spans, cursor = [], [], [], [], 0
    for document in documents:
        own = scores[cursor : cursor + len(document.windows)]
        cursor += len(document.windows)
        if document.tag_ids is None:
            raise ValueError(f"document {document.doc_id!r} was encoded without gold tags, so it cannot be evaluated")
        gold = unit_tag_ids(document.tokens, list(document.tag_ids), policy)
        predicted = decode_document_tags(
            document, own, settings.schema, policy, settings.training.decoding, settings.boundary_trim
        )
        gold_tags.append(tags_from_ids(gold, settings.schema))
        predicted_tags.append(tags_from_ids(predicted, settings.schema))
        gold_spans.append(document.spans)
        predicted_spans.append(unit_tags_to_spans(document.tokens, predicted, settings.schema, policy))
    metrics = entity_metrics(gold_tags, predicted_tags)
    metrics.update(span_scores(gold_spans, predicted_spans))
    metrics["loss"] = loss_sum / max(1, labelled)
    return metrics
