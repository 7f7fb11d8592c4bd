"""Score a trained model on whole documents, through the same prediction path users call."""

from __future__ import annotations

from resume_ner.corpus.documents import Corpus
from resume_ner.tagging.alignment import spans_to_tag_ids, tokenize_text, unit_tag_ids
from resume_ner.training.metrics import entity_metrics, tags_from_ids
from resume_ner.training.span_metrics import span_scores


def evaluate_corpus(predictor, corpus: Corpus) -> dict:
    """Entity micro/macro P/R/F1 and a per-entity table (seqeval, strict IOB2) of ``predictor`` on ``corpus``,
    and the character-span scores (``char_spans``: strict and relaxed, micro and per type; their micro figures
    also flat, ``char_strict_micro_f1``...) of the predicted spans against the annotated ones.

    Each document is predicted from its raw text (``Predictor.predict``: windows, merging, the checkpoint's
    decoding); gold and predicted spans are then compared as tags on the same word units training's validation
    uses, so the two scores mean the same thing.
    """
    predicted = predictor.predict([document.text for document in corpus])
    schema, policy = predictor.schema, predictor.metadata.subtoken_policy
    unknown = sorted(set(corpus.label_counts()) - set(schema.entity_types))
    if unknown:
        raise ValueError(f"the corpus has entity types {unknown} that the model was not trained on")
    gold_tags: list[list[str]] = []
    predicted_tags: list[list[str]] = []
    for document, spans in zip(corpus, predicted, strict=True):
        tokens = tokenize_text(document.text, predictor.tokenizer)
        for source, target in ((document.spans, gold_tags), (spans, predicted_tags)):
            unit_ids = unit_tag_ids(tokens, spans_to_tag_ids(tokens, list(source), schema, policy), policy)
            target.append(tags_from_ids(unit_ids, schema))
    metrics = entity_metrics(gold_tags, predicted_tags)
    metrics.update(span_scores([document.spans for document in corpus], predicted))
    metrics["documents"] = len(corpus)
    metrics["gold_entities"] = sum(len(document.spans) for document in corpus)
    metrics["predicted_entities"] = sum(len(spans) for spans in predicted)
    return metrics
