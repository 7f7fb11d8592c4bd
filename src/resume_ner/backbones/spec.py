"""Pydantic description of which encoder backbone to use."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

MINILM = "minilm"
TINY_BERT = "tiny-bert"
MINILM_LAYERS = 6


class TinyBertConfig(BaseModel):
    """Sizes of the randomly initialised BERT trained-tokenizer backbone (``tiny-bert``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hidden_size: int = Field(128, ge=8)
    num_hidden_layers: int = Field(2, ge=1)
    num_attention_heads: int = Field(2, ge=1)
    intermediate_size: int = Field(256, ge=1)
    # An upper bound: a small corpus may yield fewer WordPiece tokens, and the model is sized to the
    # tokenizer actually trained so no embedding row is unreachable.
    vocab_size: int = Field(4000, ge=16)
    max_position_embeddings: int = Field(512, ge=16)
    seed: int = 0
    lowercase: bool = True

    @model_validator(mode="after")
    def _heads_divide_hidden(self) -> TinyBertConfig:
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"tiny.hidden_size ({self.hidden_size}) must be a multiple of "
                f"tiny.num_attention_heads ({self.num_attention_heads})"
            )
        return self


class BackboneSpec(BaseModel):
    """Which backbone to resolve.

    ``name`` is ``"minilm"``, ``"tiny-bert"``, a local model folder, or a Hugging Face hub id.
    ``num_layers`` keeps only the first k transformer layers and is supported for ``minilm`` only.
    ``tiny`` sizes the ``tiny-bert`` backbone and is ignored otherwise.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    num_layers: int | None = Field(None, ge=1, le=MINILM_LAYERS)
    tiny: TinyBertConfig = Field(default_factory=TinyBertConfig)

    @model_validator(mode="after")
    def _layers_only_for_minilm(self) -> BackboneSpec:
        # Truncating an arbitrary architecture needs its weight naming scheme; only MiniLM's is known.
        if self.num_layers is not None and self.kind != MINILM:
            hint = " (set tiny.num_hidden_layers instead)" if self.kind == TINY_BERT else ""
            raise ValueError(f"num_layers is only supported for the '{MINILM}' backbone, not {self.name!r}{hint}")
        return self

    @property
    def kind(self) -> str:
        """``"minilm"``, ``"tiny-bert"`` or ``"other"`` (local folder or hub id)."""
        key = self.name.strip().lower()
        if key == MINILM:
            return MINILM
        if key in (TINY_BERT, "tiny_bert"):
            return TINY_BERT
        return "other"
