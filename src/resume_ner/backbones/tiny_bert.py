"""``tiny-bert``: a WordPiece tokenizer trained on the corpus plus a small, seeded, random BERT."""

from __future__ import annotations

import hashlib
import logging
import string
from collections.abc import Iterable, Sequence
from pathlib import Path

from resume_ner.backbones.cache import cached_build
from resume_ner.backbones.spec import TinyBertConfig

logger = logging.getLogger(__name__)

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
CONTINUATION = "##"
# Bump when the build below changes what it writes, so stale cache entries are not reused.
_BUILD_VERSION = "1"


def resolve_tiny_bert(texts: Iterable[str] | None, config: TinyBertConfig, cache_dir: Path) -> Path:
    """Cached folder with the tokenizer trained on ``texts`` and a randomly initialised BERT."""
    if texts is None:
        raise ValueError("The 'tiny-bert' backbone trains its tokenizer on the corpus: pass texts=...")
    if isinstance(texts, str):
        raise TypeError("texts must be an iterable of strings, not a single string")
    corpus = [str(text) for text in texts]
    if not any(text.strip() for text in corpus):
        raise ValueError("The 'tiny-bert' backbone needs at least one non-empty text to train on")

    target, built = cached_build(
        cache_dir / f"tiny-bert-{cache_key(corpus, config)}", lambda tmp: _build(corpus, config, tmp)
    )
    logger.info(
        "Backbone 'tiny-bert' (%d texts) %s cache entry %s", len(corpus), "built" if built else "reused", target
    )
    return target


def cache_key(texts: Sequence[str], config: TinyBertConfig) -> str:
    """12 hex digits of a sha256 over the build version, the config and every text."""
    digest = hashlib.sha256()
    digest.update(f"tiny-bert/{_BUILD_VERSION}\0".encode())
    digest.update(config.model_dump_json().encode())
    for text in texts:
        data = text.encode("utf-8")
        # Length-prefixed so ["ab", "c"] and ["a", "bc"] hash differently.
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()[:12]


def train_wordpiece(texts: Sequence[str], vocab_size: int, lowercase: bool):
    """A ``tokenizers.Tokenizer`` (BERT normalizer, pre-tokenizer, WordPiece) trained on ``texts``."""
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        trainers,
    )

    def blank() -> Tokenizer:
        tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]", continuing_subword_prefix=CONTINUATION))
        tokenizer.normalizer = normalizers.BertNormalizer(lowercase=lowercase)
        tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tokenizer.decoder = decoders.WordPiece(prefix=CONTINUATION)
        return tokenizer

    tokenizer = blank()
    # Printable ASCII is always in the alphabet, so a word in a later document with a letter the
    # training texts lacked splits into pieces instead of collapsing to [UNK].
    ascii_chars = string.ascii_letters + string.digits + string.punctuation
    alphabet = sorted(set(ascii_chars.lower() if lowercase else ascii_chars))
    # The trainer numbers "##x" pieces in hash-map order, and those numbers break ties between merges
    # (huggingface/tokenizers#1794), so the same corpus can give different vocabularies. Handing it
    # every "##x" up front, sorted, fixes their ids and makes training reproducible.
    continuations: set[str] = set(alphabet)
    for text in texts:
        normalized = tokenizer.normalizer.normalize_str(text)
        for word, _ in tokenizer.pre_tokenizer.pre_tokenize_str(normalized):
            continuations.update(word[1:])
    seeded = [CONTINUATION + char for char in sorted(continuations)]
    trainer = trainers.WordPieceTrainer(
        vocab_size=max(vocab_size, len(SPECIAL_TOKENS) + len(seeded)),
        special_tokens=[*SPECIAL_TOKENS, *seeded],
        initial_alphabet=alphabet,
        continuing_subword_prefix=CONTINUATION,
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)

    # Rebuild from the vocabulary so only the five real special tokens are "special"; the seeded
    # "##x" pieces are ordinary vocabulary entries.
    vocab = tokenizer.get_vocab()
    final = blank()
    final.model = models.WordPiece(vocab, unk_token="[UNK]", continuing_subword_prefix=CONTINUATION)
    final.add_special_tokens(list(SPECIAL_TOKENS))
    return final


def _build(texts: Sequence[str], config: TinyBertConfig, out: Path) -> None:
    import torch

    # transformers 5 exports BertTokenizerFast lazily, where its type hints do not see it.
    from transformers import BertConfig, BertModel, BertTokenizerFast  # type: ignore[attr-defined]

    trained = train_wordpiece(texts, config.vocab_size, config.lowercase)
    # transformers 5: BertTokenizerFast is an alias of BertTokenizer (a TokenizersBackend); it takes
    # the trained backend as tokenizer_object, adds the [CLS]/[SEP] template, and saves
    # tokenizer_class "BertTokenizer", which AutoTokenizer reloads as a fast tokenizer.
    tokenizer = BertTokenizerFast(
        tokenizer_object=trained,
        do_lower_case=config.lowercase,
        model_max_length=config.max_position_embeddings,
    )
    tokenizer.save_pretrained(out)

    bert_config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        num_hidden_layers=config.num_hidden_layers,
        num_attention_heads=config.num_attention_heads,
        intermediate_size=config.intermediate_size,
        max_position_embeddings=config.max_position_embeddings,
        pad_token_id=tokenizer.pad_token_id,
    )
    # fork_rng keeps the caller's global torch RNG untouched by our seeding.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        # No pooler: token classification never uses it, and loading would warn about unused weights.
        model = BertModel(bert_config, add_pooling_layer=False)
    # transformers 5 always writes model.safetensors (the safe_serialization flag is gone).
    model.save_pretrained(out)
