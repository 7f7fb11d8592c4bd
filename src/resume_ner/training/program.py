"""One training run from a validated config: data, backbone, model, loop, checkpoint and metrics.json."""

from __future__ import annotations

import json
import logging
import random
import time
from contextlib import contextmanager
from pathlib import Path

import torch

from resume_ner.backbones import resolve_backbone
from resume_ner.corpus.documents import Corpus
from resume_ner.corpus.splits import fold_ids
from resume_ner.errors import UserInputError
from resume_ner.files import write_text_atomically
from resume_ner.tagging import EncodedDocument, learn_boundary_trim
from resume_ner.training.checkpoint import CheckpointError, CheckpointMetadata, save_checkpoint
from resume_ner.training.config import RunConfig
from resume_ner.training.distributed import SINGLE_PROCESS, DistributedContext
from resume_ner.training.encodings import encode_cached, read_corpus_cached
from resume_ner.training.loop import LoopSettings, run_loop
from resume_ner.training.model import load_model, resolve_device, resolve_precision
from resume_ner.training.progress import ProgressStream, SilentProgress
from resume_ner.training.protocol import (
    CHECKPOINT_DIR,
    DOCUMENTS_FILE,
    METRICS_FILE,
    Event,
    parent_sees_cuda,
)
from resume_ner.training.tracking import RunTracker

logger = logging.getLogger(__name__)


def _read_corpus_once(config: RunConfig) -> tuple[Corpus, str | None]:
    """The run's corpus, and the key of its file's contents (None without an encoding cache)."""
    return read_corpus_cached(Path(config.data.corpus), config.data.corpus_format, config.encoding_cache_dir)


def _load_split(config: RunConfig) -> tuple[Corpus, Corpus, str | None]:
    """(training documents, validation documents, the corpus file's cache key)."""
    corpus, corpus_key = _read_corpus_once(config)
    try:
        folds = json.loads(Path(config.data.splits).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserInputError(f"data.splits: {config.data.splits} does not exist") from None
    if isinstance(config.data.fold, int) and config.data.fold >= len(folds.get("folds", [])):
        raise UserInputError(
            f"data.fold: {config.data.fold} is not a fold of {config.data.splits} "
            f"(it has {len(folds.get('folds', []))})"
        )
    train_ids, validation_ids = fold_ids(folds, corpus, config.data.fold)
    unknown = sorted(set(corpus.label_counts()) - set(config.entity_types))
    if unknown:
        raise UserInputError(f"entity_types: the corpus has labels {unknown} that the run config does not list")
    return corpus.subset(train_ids), corpus.subset(validation_ids), corpus_key


def _resolve_backbone_once(config: RunConfig, texts: list[str], context: DistributedContext) -> Path:
    """The backbone folder; across processes rank 0 builds or downloads it first and the others then find it in
    the cache, instead of all of them building (or downloading) the same thing at once."""
    if not context.is_main:
        context.barrier()
    backbone = resolve_backbone(config.backbone, texts=texts, cache_dir=config.backbone_cache_dir)
    if context.is_main:
        context.barrier()
    return backbone


def _checked_init_checkpoint(folder: Path, schema) -> Path:
    """The warm-start checkpoint, if it is one and was trained on the run's labels (its head is kept)."""
    try:
        metadata = CheckpointMetadata.read(folder)
    except CheckpointError as error:
        raise UserInputError(f"init_checkpoint: {error}") from None
    if metadata.schema.tags != schema.tags:
        raise UserInputError(
            f"init_checkpoint: {folder} was trained on the entity types {list(metadata.entity_types)}, but this run "
            f"has {list(schema.entity_types)}; train from scratch or retrain that model on these labels"
        )
    return folder


def run_training(
    config: RunConfig,
    progress: ProgressStream | SilentProgress,
    should_stop,
    context: DistributedContext = SINGLE_PROCESS,
) -> dict:
    """Train as ``config`` says; write the checkpoint and metrics.json into ``config.output_dir``.

    Under torchrun (``context`` distributed) every rank trains its slice of each batch (the recipe is the single
    process's) and only rank 0 writes the checkpoint, metrics.json and MLflow records.
    """
    started = time.perf_counter()
    context.per_rank_batch_size(config.optimization.batch_size)  # before seconds of loading, on every rank
    if config.threads:
        torch.set_num_threads(config.threads)
    # Denormal floats (tiny gradients late in training) make CPU arithmetic many times slower.
    torch.set_flush_denormal(True)
    device = context.start(resolve_device(config.device, parent_sees_cuda()))
    autocast_dtype = resolve_precision(config.precision, device)
    tracker = RunTracker.from_config(config.tracking) if context.is_main else None
    if tracker is not None:
        tracker.log_params(json.loads(config.to_json()) | {"precision_used": str(autocast_dtype or "fp32")})

    train_corpus, validation_corpus, corpus_key = _load_split(config)
    if context.is_main:
        documents_seen = {"train": train_corpus.ids(), "validation": validation_corpus.ids()}
        write_text_atomically(Path(config.output_dir) / DOCUMENTS_FILE, json.dumps(documents_seen, indent=1))
    if config.init_checkpoint is not None:
        backbone = _checked_init_checkpoint(Path(config.init_checkpoint), config.labels)
    else:
        backbone = _resolve_backbone_once(config, [doc.text for doc in train_corpus], context)
    from transformers import AutoTokenizer

    with _backbone_errors_are_input_errors(backbone):
        tokenizer = AutoTokenizer.from_pretrained(backbone)
    schema = config.labels
    tokens = config.tokenization

    documents = [*train_corpus, *validation_corpus]
    cache: dict[str, bool] = {}

    def encode(stride: int) -> dict[str, EncodedDocument]:
        """Every document cut with ``stride``: a fold's training and validation documents are every fold's, so
        the study's other runs find them in the cache."""
        encoded, found = encode_cached(
            documents, tokenizer, backbone, schema, tokens, stride, corpus_key, config.encoding_cache_dir
        )
        if found is not None:
            cache["windows_cached"] = cache.get("windows_cached", True) and found
        return encoded

    # Training needs only the windows; the documents' token offsets are dropped (tens of MB on a real corpus).
    encoded = encode(tokens.training_stride)
    train_windows = [window for doc in train_corpus for window in encoded[doc.id].windows]
    if validation_corpus and tokens.training_stride != tokens.stride:
        encoded = encode(tokens.stride)
    validation_documents = [encoded[doc.id] for doc in validation_corpus]
    del encoded
    progress.emit(
        Event.DATA_READY,
        train_documents=len(train_corpus),
        validation_documents=len(validation_corpus),
        train_windows=len(train_windows),
        device=str(device),
        precision="bf16" if autocast_dtype else "fp32",
        backbone=str(backbone),
        **cache,
        **({"world_size": context.world_size} if context.is_distributed else {}),
    )

    seed = config.optimization.seed
    random.seed(seed)
    torch.manual_seed(seed)
    with _backbone_errors_are_input_errors(backbone):
        model = load_model(backbone, schema, config.optimization.dropout, config.optimization.attention_dropout)
    if context.is_distributed:
        # Every rank starts from the same weights (the seed above; DDP also copies rank 0's), but each needs its
        # own dropout masks, or all ranks would drop the same units of their different batches.
        torch.manual_seed(seed + context.rank)
    trim = learn_boundary_trim(train_corpus) if config.boundary_trim == "learned" else None
    settings = LoopSettings(
        config,
        schema,
        device,
        autocast_dtype,
        tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0,
        trim,
    )
    output_dir = Path(config.output_dir)
    metadata = CheckpointMetadata(
        tuple(config.entity_types), tokens.max_length, tokens.stride, tokens.subtoken_policy, config.decoding, trim
    )

    def on_epoch(record: dict) -> None:
        progress.emit(Event.EPOCH, **record)
        if tracker is not None:
            tracker.log_metrics(
                {"train_loss": record["train_loss"], **record.get("validation", {})}, step=record["epoch"]
            )

    def on_best(epoch: int) -> None:
        if config.save_checkpoint and context.is_main:
            save_checkpoint(model, tokenizer, metadata, output_dir / CHECKPOINT_DIR)
            progress.emit(Event.CHECKPOINT, epoch=epoch, path=str(output_dir / CHECKPOINT_DIR))

    result = run_loop(
        model, train_windows, validation_documents, settings, progress.emit, on_epoch, on_best, should_stop, context
    )
    metrics = {
        "objective": config.objective,
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "stopped_early": result.stopped_early,
        "best": result.best_metrics,
        "history": result.history,
        "train_documents": len(train_corpus),
        "validation_documents": len(validation_corpus),
        "train_tokens": result.train_tokens,
        "train_tokens_per_second": result.train_tokens / max(result.train_seconds, 1e-9),
        "train_seconds": result.train_seconds,
        "evaluation_seconds": result.evaluation_seconds,
        "wall_seconds": time.perf_counter() - started,
        "device": str(device),
        "precision": "bf16" if autocast_dtype else "fp32",
        "world_size": context.world_size,  # processes that trained; train_tokens_per_second counts all of them
        "checkpoint": str(output_dir / CHECKPOINT_DIR) if config.save_checkpoint else None,
    }
    if context.is_main:
        write_text_atomically(output_dir / METRICS_FILE, json.dumps(metrics, indent=2))
    if tracker is not None:
        final = {f"best_{key}": value for key, value in (result.best_metrics or {}).items() if key != "per_entity"}
        tracker.log_metrics(
            final
            | {"best_epoch": result.best_epoch or 0, "train_tokens_per_second": metrics["train_tokens_per_second"]}
        )
    return metrics


@contextmanager
def _backbone_errors_are_input_errors(backbone: Path):
    """A backbone folder transformers cannot load (missing weights or vocabulary, a config it does not know) is
    bad input: one line naming the folder, exit status 2, rather than a traceback."""
    try:
        yield
    except (OSError, ValueError) as error:
        raise UserInputError(f"backbone {backbone} cannot be loaded: {str(error).strip().splitlines()[0]}") from None
