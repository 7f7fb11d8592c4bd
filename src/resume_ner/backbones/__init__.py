"""Encoder backbones: resolve a backbone name to a local folder transformers can load offline.

``resolve_backbone("minilm")`` gives the bundled all-MiniLM-L6-v2 (optionally cut to its first k
layers), ``"tiny-bert"`` a small random BERT with a WordPiece tokenizer trained on the corpus,
a path gives that model folder, and anything else is looked up as a Hugging Face hub id.
"""

from resume_ner.backbones.errors import BackboneUnavailableError
from resume_ner.backbones.resolve import DEFAULT_CACHE_DIR, check_backbone_available, resolve_backbone
from resume_ner.backbones.spec import BackboneSpec, TinyBertConfig

__all__ = [
    "DEFAULT_CACHE_DIR",
    "BackboneSpec",
    "BackboneUnavailableError",
    "TinyBertConfig",
    "check_backbone_available",
    "resolve_backbone",
]
