"""Run config validation, flag overrides, and dropout reaching the model."""

from __future__ import annotations

import json

import pytest
import torch
from training_helpers import run_config, training_inputs, write_config  # noqa: F401 (fixture)

from resume_ner.backbones import BackboneSpec, resolve_backbone
from resume_ner.corpus.labels import LabelSchema
from resume_ner.errors import UserInputError
from resume_ner.training.__main__ import overrides_from, parse_args
from resume_ner.training.config import RunConfig, load_run_config
from resume_ner.training.model import load_model


def _load(tmp_path, training_inputs, **overrides):
    return load_run_config(
        write_config(run_config(training_inputs, tmp_path / "run", **overrides), tmp_path / "config.json")
    )


def test_a_valid_config_fills_defaults(tmp_path, training_inputs):
    config = _load(tmp_path, training_inputs)
    assert config.objective == "micro_f1" and config.tokenization.subtoken_policy == "first"
    assert config.optimization.gradient_accumulation == 1 and config.early_stopping.patience is None
    assert config.labels.tags[0] == "O"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"optimization": {"learning_rate": 0}}, "optimization.learning_rate: Input should be greater than 0"),
        ({"optimization": {"epochs": 0}}, "optimization.epochs"),
        ({"optimization": {"dropout": 1.0}}, "optimization.dropout"),
        ({"optimization": {"lr": 0.1}}, "optimization.lr: unknown key"),
        ({"tokenization": {"max_length": 64, "stride": 40}}, "stride (40) must be less than half of max_length"),
        (
            {"tokenization": {"max_length": 64, "stride": 16, "train_stride": 32}},
            "train_stride (32) must be less than half of max_length (64)",
        ),
        ({"data": {"fold": -1}}, "data.fold"),
        ({"data": {"corpus_format": "csv"}}, "data.corpus_format"),
        ({"device": "gpu"}, "device"),
        ({"precision": "fp16"}, "precision"),
        ({"objective": "f1"}, "objective"),
        ({"entity_types": ["SKILL", "SKILL"]}, "entity_types"),
        ({"progress": "fd:x"}, "progress"),
        ({"early_stopping": {"patience": 0}}, "early_stopping.patience"),
        ({"colour": "blue"}, "colour: unknown key"),
    ],
)
def test_bad_values_and_unknown_keys_are_named(tmp_path, training_inputs, overrides, named):
    with pytest.raises(UserInputError) as caught:
        _load(tmp_path, training_inputs, **overrides)
    assert named in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unreadable_configs_are_user_errors(tmp_path):
    with pytest.raises(UserInputError, match="does not exist"):
        load_run_config(tmp_path / "missing.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(UserInputError, match="not valid JSON"):
        load_run_config(tmp_path / "broken.json")


def test_every_flag_overrides_its_config_key(tmp_path, training_inputs):
    path = write_config(run_config(training_inputs, tmp_path / "run"), tmp_path / "config.json")
    args = parse_args(
        [
            "--config",
            str(path),
            "--output-dir",
            str(tmp_path / "other"),
            "--fold",
            "all",
            "--epochs",
            "7",
            "--learning-rate",
            "0.02",
            "--batch-size",
            "3",
            "--seed",
            "11",
            "--device",
            "cpu",
            "--precision",
            "bf16",
        ]
    )
    overrides = overrides_from(args)
    assert set(overrides) == {
        "output_dir",
        "data.fold",
        "optimization.epochs",
        "optimization.learning_rate",
        "optimization.batch_size",
        "optimization.seed",
        "device",
        "precision",
    }
    config = load_run_config(path, overrides)
    assert (str(config.output_dir), config.data.fold, config.optimization.epochs) == (str(tmp_path / "other"), "all", 7)
    optimization = config.optimization
    assert (optimization.learning_rate, optimization.batch_size, optimization.seed) == (0.02, 3, 11)
    assert (config.device, config.precision) == ("cpu", "bf16")
    assert overrides_from(parse_args(["--config", "x", "--fold", "1"]))["data.fold"] == 1


def test_dropout_reaches_hidden_attention_and_classifier_layers(training_inputs):
    spec = BackboneSpec.model_validate(run_config(training_inputs, "x")["backbone"])
    backbone = resolve_backbone(
        spec,
        texts=[doc.text for doc in training_inputs["corpus_object"]],
        cache_dir=training_inputs["backbone_cache_dir"],
    )
    schema = LabelSchema(tuple(training_inputs["entity_types"]))
    model = load_model(backbone, schema, dropout=0.37)
    rates = {name: module.p for name, module in model.named_modules() if isinstance(module, torch.nn.Dropout)}
    assert rates and set(rates.values()) == {0.37}
    assert any("attention" in name for name in rates) and any(
        "classifier" in name or name == "dropout" for name in rates
    )
    inputs = torch.randint(5, 50, (2, 12))
    model.train()
    assert not torch.equal(model(input_ids=inputs).logits, model(input_ids=inputs).logits)
    silent = load_model(backbone, schema, dropout=0.0).train()
    assert torch.equal(silent(input_ids=inputs).logits, silent(input_ids=inputs).logits)
    kept = load_model(backbone, schema, dropout=None)
    assert {m.p for m in kept.modules() if isinstance(m, torch.nn.Dropout)} == {0.1}  # the backbone's own
    # attention_dropout then sets the attention probabilities' dropout alone.
    split = load_model(backbone, schema, dropout=0.37, attention_dropout=0.0)
    split_rates = {name: module.p for name, module in split.named_modules() if isinstance(module, torch.nn.Dropout)}
    on_attention = {name for name in split_rates if name.endswith("attention.self.dropout")}
    assert on_attention and {split_rates[name] for name in on_attention} == {0.0}
    assert {rate for name, rate in split_rates.items() if name not in on_attention} == {0.37}


def test_the_label_set_can_come_from_the_label_schema_file(tmp_path, training_inputs):
    from resume_ner.corpus.labels import LabelSchema as Schema

    schema_file = tmp_path / "label_schema.json"
    schema_file.write_text(json.dumps(Schema(("NAME", "SKILL")).to_dict()))
    config = run_config(training_inputs, tmp_path / "run", label_schema=str(schema_file))
    del config["entity_types"]
    loaded = load_run_config(write_config(config, tmp_path / "config.json"))
    assert loaded.entity_types == ["NAME", "SKILL"]
    config["label_schema"] = str(tmp_path / "missing.json")
    with pytest.raises(UserInputError, match=r"missing\.json does not exist"):
        load_run_config(write_config(config, tmp_path / "config.json"))


def test_training_settings_are_the_run_config_without_what_a_run_owns():
    from resume_ner.training.config import RUN_OWNED_FIELDS, TrainingSettings

    assert set(RUN_OWNED_FIELDS) == {
        "backbone_cache_dir",
        "encoding_cache_dir",
        "entity_types",
        "label_schema",
        "data",
        "output_dir",
        "progress",
        "tracking",
        "init_checkpoint",
    }
    assert set(TrainingSettings.model_fields) | set(RUN_OWNED_FIELDS) == set(RunConfig.model_fields)
    assert issubclass(RunConfig, TrainingSettings)  # one definition of each field and default


def test_training_base_is_validated_when_the_parameters_are_parsed():
    from pydantic import ValidationError

    from resume_ner.execution.steps import TrainingParameters

    with pytest.raises(ValidationError) as caught:
        TrainingParameters(base={"backbone": {"name": "tiny-bert"}, "optimization": {"learning_rate": -1}})
    assert [error["loc"] for error in caught.value.errors()] == [("base", "optimization", "learning_rate")]


def test_train_stride_and_attention_dropout_follow_stride_and_dropout_unless_set():
    from resume_ner.training.config import TokenizationConfig, TrainingSettings

    assert TokenizationConfig(stride=24).training_stride == 24
    assert TokenizationConfig(stride=24, train_stride=0).training_stride == 0
    # Unset, train_stride is not part of what a trial measures, so studies named before it existed keep their
    # names; set, it is (another overlap trains another model).
    unset = TrainingSettings.model_validate({"backbone": {"name": "tiny-bert"}}).what_a_trial_measures()
    assert "train_stride" not in unset["tokenization"]
    set_ = TrainingSettings.model_validate(
        {"backbone": {"name": "tiny-bert"}, "tokenization": {"train_stride": 0}}
    ).what_a_trial_measures()
    assert set_["tokenization"]["train_stride"] == 0
    assert "attention_dropout" not in unset["optimization"]
    measured = TrainingSettings.model_validate(
        {"backbone": {"name": "tiny-bert"}, "optimization": {"attention_dropout": 0.0}}
    ).what_a_trial_measures()
    assert measured["optimization"]["attention_dropout"] == 0.0
