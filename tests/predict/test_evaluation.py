"""evaluate_corpus with a stub predictor: gold spans score 1, nothing scores 0, one swapped label costs exactly the
two types involved; counts are right and unknown entity types are refused."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import make_document

from resume_ner.backbones import BackboneSpec, TinyBertConfig, resolve_backbone
from resume_ner.corpus.documents import Corpus, Span
from resume_ner.corpus.labels import LabelSchema
from resume_ner.predict.evaluation import evaluate_corpus

TYPES = ("COMPANY", "EMAIL", "NAME", "SKILL")
# small_corpus: 21 documents, each with a NAME, a COMPANY and two SKILLs; cv-00, -04, -08, -12, -16 have an EMAIL.
DOCUMENTS, GOLD_ENTITIES = 21, 21 + 21 + 42 + 5


class StubPredictor:
    """What evaluate_corpus uses of a Predictor; ``answer`` maps the documents' texts to predicted spans."""

    def __init__(self, tokenizer, answer, entity_types=TYPES, policy="first"):
        self.tokenizer = tokenizer
        self.schema = LabelSchema(tuple(entity_types))
        self.metadata = SimpleNamespace(subtoken_policy=policy)
        self._answer = answer
        self.calls: list[list[str]] = []

    def predict(self, texts):
        texts = list(texts)
        self.calls.append(texts)
        return [list(self._answer(text)) for text in texts]


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    from transformers import AutoTokenizer

    texts = [
        "Ada Lovelace, senior engineer at Acme Corp since 2019.",
        "Skills: Python, SQL.",
        "Email: person0@example.com",
        "Worked on project number 4 with team 6 in building 12.",
    ]
    tiny = TinyBertConfig(
        hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32, vocab_size=300
    )
    folder = resolve_backbone(
        BackboneSpec(name="tiny-bert", tiny=tiny), texts=texts, cache_dir=tmp_path_factory.mktemp("backbones")
    )
    loaded = AutoTokenizer.from_pretrained(folder)
    assert loaded.is_fast
    return loaded


def gold_answer(corpus: Corpus):
    spans = {document.text: document.spans for document in corpus}
    return lambda text: spans[text]


@pytest.mark.parametrize("policy", ["first", "all"])
def test_gold_spans_score_one(small_corpus, tokenizer, policy):
    predictor = StubPredictor(tokenizer, gold_answer(small_corpus), policy=policy)
    metrics = evaluate_corpus(predictor, small_corpus)
    assert predictor.calls == [[document.text for document in small_corpus]]  # one batch, corpus order
    assert metrics["micro_f1"] == metrics["micro_precision"] == metrics["micro_recall"] == 1.0
    assert metrics["macro_f1"] == 1.0
    assert set(metrics["per_entity"]) == set(TYPES)
    assert all(scores["f1"] == 1.0 for scores in metrics["per_entity"].values())
    assert metrics["per_entity"]["SKILL"]["support"] == 42
    assert metrics["per_entity"]["EMAIL"]["support"] == 5
    assert metrics["documents"] == DOCUMENTS
    assert metrics["gold_entities"] == metrics["predicted_entities"] == metrics["support"] == GOLD_ENTITIES


def test_predicting_nothing_scores_zero(small_corpus, tokenizer):
    metrics = evaluate_corpus(StubPredictor(tokenizer, lambda text: []), small_corpus)
    assert metrics["micro_f1"] == metrics["micro_recall"] == metrics["micro_precision"] == 0.0
    assert metrics["predicted_entities"] == 0
    assert metrics["gold_entities"] == GOLD_ENTITIES
    assert metrics["documents"] == DOCUMENTS
    assert 0.0 < metrics["token_accuracy"] < 1.0  # the outside words still match


def test_one_swapped_label_lowers_only_the_two_types_involved(small_corpus, tokenizer):
    swapped_document = small_corpus.documents[5]
    company = next(span for span in swapped_document.spans if span.label == "COMPANY")
    gold = gold_answer(small_corpus)

    def answer(text):
        spans = list(gold(text))
        if text == swapped_document.text:
            spans = [Span(s.start, s.end, "SKILL") if s == company else s for s in spans]
        return spans

    metrics = evaluate_corpus(StubPredictor(tokenizer, answer), small_corpus)
    per_entity = metrics["per_entity"]
    # COMPANY: 21 gold, 20 found, none wrong; SKILL: 42 gold all found, plus one wrong.
    assert per_entity["COMPANY"]["precision"] == 1.0
    assert per_entity["COMPANY"]["recall"] == pytest.approx(20 / 21)
    assert per_entity["SKILL"]["precision"] == pytest.approx(42 / 43)
    assert per_entity["SKILL"]["recall"] == 1.0
    for name in ("NAME", "EMAIL"):
        assert per_entity[name]["precision"] == per_entity[name]["recall"] == per_entity[name]["f1"] == 1.0
    assert metrics["micro_precision"] == pytest.approx((GOLD_ENTITIES - 1) / GOLD_ENTITIES)
    assert metrics["micro_recall"] == pytest.approx((GOLD_ENTITIES - 1) / GOLD_ENTITIES)
    assert metrics["predicted_entities"] == GOLD_ENTITIES


def test_a_span_cut_short_does_not_count(tokenizer):
    document = make_document("d", ["Senior engineer at ", ("Acme Corp", "COMPANY"), "."])
    corpus = Corpus((document,))
    short = [Span(document.spans[0].start, document.spans[0].start + 4, "COMPANY")]  # "Acme" only
    metrics = evaluate_corpus(StubPredictor(tokenizer, lambda text: short), corpus)
    assert metrics["micro_f1"] == 0.0
    assert metrics["gold_entities"] == metrics["predicted_entities"] == 1


def test_a_corpus_with_an_entity_type_the_model_does_not_know_is_refused(small_corpus, tokenizer):
    predictor = StubPredictor(tokenizer, gold_answer(small_corpus), entity_types=("COMPANY", "NAME", "SKILL"))
    with pytest.raises(ValueError, match=r"entity types \['EMAIL'\] that the model was not trained on"):
        evaluate_corpus(predictor, small_corpus)


def test_a_corpus_missing_some_of_the_models_types_is_scored(small_corpus, tokenizer):
    without_email = small_corpus.subset(["cv-01", "cv-02", "cv-03"])
    assert "EMAIL" not in without_email.label_counts()
    metrics = evaluate_corpus(StubPredictor(tokenizer, gold_answer(without_email)), without_email)
    assert metrics["micro_f1"] == 1.0
    assert metrics["documents"] == 3
    assert "EMAIL" not in metrics["per_entity"]
