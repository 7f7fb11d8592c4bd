"""The training loop's optimizer: which learning rate each part of the model trains at."""

from __future__ import annotations

import pytest
import torch
from training_helpers import run_config, run_program, training_inputs, write_config  # noqa: F401

from resume_ner.corpus.labels import LabelSchema
from resume_ner.training.config import TrainingSettings
from resume_ner.training.loop import LoopSettings, _optimizer, learning_rate_scales


@pytest.fixture(scope="module")
def three_layer_model():
    from transformers import BertConfig, BertForTokenClassification

    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=3, num_attention_heads=2, intermediate_size=32)
    config.num_labels = 5
    return BertForTokenClassification(config)


def test_layers_train_at_a_decayed_rate_below_the_head_and_the_embeddings_at_the_lowest(three_layer_model):
    scales = learning_rate_scales(three_layer_model, layer_decay=0.5, head_scale=10.0)

    assert scales["classifier.weight"] == scales["classifier.bias"] == 10.0
    assert scales["bert.encoder.layer.2.output.dense.weight"] == 1.0  # the top layer: the configured rate
    assert scales["bert.encoder.layer.1.attention.self.query.weight"] == 0.5
    assert scales["bert.encoder.layer.0.output.LayerNorm.bias"] == 0.25
    assert scales["bert.embeddings.word_embeddings.weight"] == scales["bert.embeddings.LayerNorm.weight"] == 0.125
    assert set(scales) == {name for name, _ in three_layer_model.named_parameters()}


def test_frozen_parameters_get_no_learning_rate(three_layer_model):
    three_layer_model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    try:
        scales = learning_rate_scales(three_layer_model, layer_decay=1.0, head_scale=1.0)
    finally:
        three_layer_model.bert.embeddings.word_embeddings.weight.requires_grad_(True)
    assert "bert.embeddings.word_embeddings.weight" not in scales


def _settings(**optimization) -> LoopSettings:
    optimization = {"learning_rate": 1e-3, "weight_decay": 0.05, **optimization}
    training = TrainingSettings.model_validate({"backbone": {"name": "tiny-bert"}, "optimization": optimization})
    return LoopSettings(training, LabelSchema(("A", "B")), torch.device("cpu"), None, 0)


def test_by_default_two_groups_at_one_rate_and_biases_and_layer_norms_not_decayed(three_layer_model):
    optimizer = _optimizer(three_layer_model, _settings())

    groups = [(group["lr"], group["weight_decay"], len(group["params"])) for group in optimizer.param_groups]
    matrices = sum(1 for p in three_layer_model.parameters() if p.ndim >= 2)
    assert groups == [(1e-3, 0.05, matrices), (1e-3, 0.0, sum(1 for _ in three_layer_model.parameters()) - matrices)]


def test_every_parameter_is_optimised_once_at_its_scaled_rate(three_layer_model):
    optimizer = _optimizer(three_layer_model, _settings(layer_decay=0.5, head_learning_rate_scale=4.0))

    rates = {id(p): group["lr"] for group in optimizer.param_groups for p in group["params"]}
    assert len(rates) == sum(1 for _ in three_layer_model.parameters())
    named = dict(three_layer_model.named_parameters())
    assert rates[id(named["classifier.weight"])] == pytest.approx(4e-3)
    assert rates[id(named["bert.encoder.layer.0.output.dense.weight"])] == pytest.approx(2.5e-4)
    assert rates[id(named["bert.embeddings.position_embeddings.weight"])] == pytest.approx(1.25e-4)


@pytest.mark.slow  # trains tiny-bert twice in child processes
def test_layer_decay_reaches_training_the_embeddings_barely_move(tmp_path, training_inputs):
    from safetensors.torch import load_file

    def embedding_and_head_change(run_dir, **optimization) -> tuple[float, float]:
        config = run_config(training_inputs, run_dir, optimization={"learning_rate": 0.003, **optimization})
        result = run_program(write_config(config, run_dir / "config.json"))
        assert result.returncode == 0, result.stderr
        trained = load_file(run_dir / "checkpoint" / "model.safetensors")
        (backbone,) = training_inputs["backbone_cache_dir"].glob("tiny-bert-*/model.safetensors")
        initial = load_file(backbone)
        word = "embeddings.word_embeddings.weight"  # a bare BertModel in the backbone folder
        change = (trained[f"bert.{word}"] - initial[word]).abs().max()
        return float(change), float(trained["classifier.weight"].abs().mean())

    plain_embeddings, plain_head = embedding_and_head_change(tmp_path / "plain")
    decayed_embeddings, decayed_head = embedding_and_head_change(tmp_path / "decayed", layer_decay=0.01)

    assert plain_embeddings > 1e-3
    assert decayed_embeddings < plain_embeddings / 20
    assert decayed_head > 0.5 * plain_head  # the head still trains at the full rate
