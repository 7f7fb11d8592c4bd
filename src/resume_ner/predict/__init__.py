"""Prediction: load a checkpoint and turn raw texts into character spans.

Every text is cut into windows the way training cut it (the checkpoint's ``max_length``, ``stride`` and
``subtoken_policy``); the windows of all texts are batched together, sorted by length so each batch is padded
only to its own longest window, and each window's tag log-probabilities go back to its document, where
``decode_document`` takes every sub-token's scores from the window that owns it and decodes them into BIO-valid
spans the way the checkpoint's ``decoding`` says (Viterbi by default, see ``tagging.decoding``).

torch and transformers are imported only when a model is loaded or run, so ``python -m resume_ner.predict``
answers ``--help`` and input errors at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from resume_ner.corpus.documents import Span
from resume_ner.logs import quiet_transformers
from resume_ner.predict.onnx_tagger import OnnxTagger, check_labels
from resume_ner.tagging import (
    PredictedSpan,
    SpecialTokens,
    Window,
    decode_document_with_confidence,
    encode_document,
    special_tokens_of,
)
from resume_ner.tagging.alignment import SubtokenPolicy
from resume_ner.tagging.windows import window_bounds
from resume_ner.training.checkpoint import CheckpointMetadata, load_checkpoint

if TYPE_CHECKING:
    import torch

__all__ = ["PRECISIONS", "RUNTIMES", "PredictedSpan", "Predictor", "predict_window_scores", "spans_to_json"]

PRECISIONS = ("fp32", "bf16")
# torch: the checkpoint's safetensors weights; onnx / onnx-int8: the exported model (``resume_ner.export``).
RUNTIMES = ("torch", "onnx", "onnx-int8")


def predict_window_scores(
    model,
    windows: Sequence[Window],
    pad_id: int,
    batch_size: int,
    device: str | torch.device,
    autocast_dtype: torch.dtype | None = None,
) -> list[np.ndarray]:
    """The tag log-probabilities at every position of every window (positions x tags, float32), in the order
    the windows were given.

    ``windows`` are ``tagging.Window`` objects of any lengths. They are run ``batch_size`` at a time, longest
    first, each batch padded with ``pad_id`` to its own longest window (with an attention mask), under
    ``torch.inference_mode()`` and, if ``autocast_dtype`` is given, autocast to it (the softmax is taken in fp32).
    The model must already be on ``device``; it runs in eval mode and is put back in its previous mode after.
    Each returned array has one row per position of its window (special tokens included, padding excluded).
    """
    import torch

    from resume_ner.training.batching import collate
    from resume_ner.training.model import autocast_context

    device = torch.device(device)

    def run(batch_windows: list[Window]) -> np.ndarray:
        batch = collate(batch_windows, pad_id, device, with_labels=False)
        with autocast_context(device, autocast_dtype):
            logits = model(**batch).logits
        return torch.log_softmax(logits.float(), dim=-1).cpu().numpy()

    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            return window_scores_in_batches(windows, batch_size, run)
    finally:
        model.train(was_training)


def window_scores_in_batches(
    windows: Sequence[Window], batch_size: int, run: Callable[[list[Window]], np.ndarray]
) -> list[np.ndarray]:
    """Each window's rows of ``run``'s log-probabilities (batch x width x tags), ``batch_size`` windows a call."""
    from resume_ner.training.batching import sorted_batches

    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if any(len(window) == 0 for window in windows):
        raise ValueError("cannot predict tags for an empty window")
    scores: list[np.ndarray] = [np.empty((0, 0), dtype=np.float32)] * len(windows)
    # Longest first: similar lengths share a batch (little padding), and a batch too large for memory fails on
    # the first batch rather than after most of the work.
    for members in sorted_batches([len(window) for window in windows], batch_size):
        log_probs = run([windows[index] for index in members])
        for row, index in enumerate(members):
            scores[index] = log_probs[row, : len(windows[index])]
    return scores


def spans_to_json(text: str, spans: Sequence[Span] | Sequence[PredictedSpan]) -> list[dict]:
    """``[{"start", "end", "label", "text"}]``: each span with the text it covers, and its ``confidence`` (rounded
    to 4 places) when the spans are ``PredictedSpan``s."""
    return [
        {"start": span.start, "end": span.end, "label": span.label, "text": text[span.start : span.end]}
        | ({"confidence": round(span.confidence, 4)} if isinstance(span, PredictedSpan) else {})
        for span in spans
    ]


class Predictor:
    """A trained tagger: raw texts in, character spans out (``Predictor.load(folder).predict(texts)``)."""

    def __init__(
        self,
        model,
        tokenizer,
        metadata: CheckpointMetadata,
        device: str = "cpu",
        batch_size: int = 32,
        precision: str = "fp32",
    ) -> None:
        """``model``: a PyTorch token-classification model, or an ``OnnxTagger`` (fp32 only, on the CPU)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        if isinstance(model, OnnxTagger) and (precision != "fp32" or device != "cpu"):
            raise ValueError("an ONNX model runs in fp32 on the CPU: use precision fp32 and device cpu")
        # load_checkpoint has already checked the metadata and that the model's labels match it.
        self.model = model
        self.tokenizer = tokenizer
        self.metadata = metadata
        self.schema = metadata.schema
        self.device = device
        self.batch_size = batch_size
        self.precision = precision
        self.special: SpecialTokens = special_tokens_of(tokenizer)
        # Check max_length and stride now rather than on the first text.
        window_bounds(0, metadata.max_length - len(self.special), metadata.stride)
        # Padding is masked out, so any id works where a tokenizer has no pad token.
        self.pad_id: int = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    @classmethod
    def load(
        cls,
        folder: str | Path,
        device: str = "cpu",
        batch_size: int = 32,
        precision: str = "fp32",
        runtime: str = "torch",
        threads: int | None = None,
    ) -> Predictor:
        """A predictor for the model in ``folder``: with ``runtime`` torch a checkpoint (see
        ``training.checkpoint``), its model on ``device``; with onnx or onnx-int8 a folder ``resume_ner.export``
        wrote, run by onnxruntime on the CPU (``threads``: its intra-op threads; default all cores).

        Raises FileNotFoundError when ``folder`` is not a checkpoint or has no safetensors weights, and
        ValueError when the model's labels disagree with the checkpoint's entity types.
        """
        if runtime not in RUNTIMES:
            raise ValueError(f"runtime must be one of {RUNTIMES}, got {runtime!r}")
        if runtime != "torch":
            from resume_ner.export import RUNTIME_FILES

            folder = Path(folder)
            metadata = CheckpointMetadata.read(folder)
            check_labels(folder, metadata)
            tagger = OnnxTagger.load(folder / RUNTIME_FILES[runtime], threads)
            with quiet_transformers():
                from transformers import AutoTokenizer

                tokenizer = AutoTokenizer.from_pretrained(folder)
            return cls(tagger, tokenizer, metadata, device=device, batch_size=batch_size, precision=precision)
        with quiet_transformers():
            model, tokenizer, metadata = load_checkpoint(Path(folder), device=device)
        return cls(model, tokenizer, metadata, device=device, batch_size=batch_size, precision=precision)

    @property
    def runtime(self) -> str:
        return "onnx" if isinstance(self.model, OnnxTagger) else "torch"

    def __deepcopy__(self, memo: dict) -> Predictor:
        # Prediction never changes a predictor, and an onnxruntime session cannot be copied: kedro-mlflow's pyfunc
        # model deep-copies its catalog, this predictor included, on every request.
        return self

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        """Character spans for each text, in order; an empty (or blank) text gives []."""
        return [[found.span for found in spans] for spans in self.predict_with_confidence(texts)]

    def predict_with_confidence(self, texts: Sequence[str]) -> list[list[PredictedSpan]]:
        """``predict``'s spans, each with the model's confidence in it (the mean probability of its units' tags)."""
        if isinstance(texts, str):
            raise TypeError("predict takes a list of texts; use predict_text for a single string")
        meta = self.metadata
        policy = cast(SubtokenPolicy, meta.subtoken_policy)  # CheckpointMetadata.read checked it is one
        encoded = [
            encode_document(text, self.tokenizer, self.schema, meta.max_length, meta.stride, policy, self.special)
            for text in texts
        ]
        windows = [window for document in encoded for window in document.windows]
        if isinstance(self.model, OnnxTagger):
            tagger = self.model
            scores = window_scores_in_batches(
                windows, self.batch_size, lambda batch: tagger.log_probs(batch, self.pad_id)
            )
        else:
            scores = predict_window_scores(
                self.model, windows, self.pad_id, self.batch_size, self.device, self._autocast_dtype()
            )
        results: list[list[PredictedSpan]] = []
        cursor = 0
        for document in encoded:
            count = len(document.windows)
            own = scores[cursor : cursor + count]
            cursor += count
            found = (
                decode_document_with_confidence(document, own, self.schema, policy, meta.decoding, meta.boundary_trim)
                if count
                else []
            )
            results.append(found)
        return results

    def predict_text(self, text: str) -> list[Span]:
        """Character spans for one text."""
        return self.predict([text])[0]

    def _autocast_dtype(self):
        if self.precision == "fp32":
            return None
        import torch

        return torch.bfloat16
