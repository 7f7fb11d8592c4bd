"""Search-space presets per backbone family: the family of a backbone, the merge of a user's dimensions over a
preset, and the shipped presets themselves."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import REPO_ROOT

from resume_ner.backbones import BackboneSpec
from resume_ner.errors import UserInputError
from resume_ner.training.config import TrainingSettings
from resume_ner.training.hyperparameters import apply_hyperparameters
from resume_ner.tuning.presets import SearchSpacePreset, backbone_family, choose_search_space
from resume_ner.tuning.search_space import check_search_space, parse_search_space

SHIPPED = yaml.safe_load((REPO_ROOT / "conf" / "base" / "parameters_hpo.yml").read_text())["hpo"]
PRESETS = {name: SearchSpacePreset.model_validate(value) for name, value in SHIPPED["search_space_presets"].items()}


@pytest.mark.parametrize(
    ("backbone", "family"),
    [
        ({"name": "tiny-bert"}, "tiny"),
        ({"name": "minilm", "num_layers": 2}, "minilm-2l"),
        ({"name": "minilm", "num_layers": 3}, "minilm-2l"),
        ({"name": "minilm", "num_layers": 4}, "minilm-4l"),
        ({"name": "minilm", "num_layers": 5}, "minilm-4l"),
        ({"name": "minilm", "num_layers": 6}, "minilm"),
        ({"name": "minilm"}, "minilm"),
        # hub ids whose files are not at hand: the words of the id
        ({"name": "bert-base-cased"}, "bert-base"),
        ({"name": "FacebookAI/roberta-base"}, "roberta-base"),
        ({"name": "microsoft/deberta-v3-base"}, "roberta-base"),
        ({"name": "FacebookAI/xlm-roberta-large"}, "large"),
        ({"name": "nreimers/MiniLM-L6-H384-uncased"}, "minilm"),
    ],
)
def test_a_backbones_family_comes_from_its_name(backbone, family):
    assert backbone_family(BackboneSpec.model_validate(backbone)) == family


@pytest.mark.parametrize(
    ("config", "family"),
    [
        ({"model_type": "bert", "hidden_size": 768}, "bert-base"),
        ({"model_type": "roberta", "hidden_size": 768}, "roberta-base"),
        ({"model_type": "deberta-v2", "hidden_size": 768}, "roberta-base"),
        ({"model_type": "bert", "hidden_size": 1024}, "large"),
        ({"model_type": "bert", "hidden_size": 384}, "minilm"),
        ({"model_type": "distilbert", "dim": 768}, "bert-base"),
    ],
)
def test_a_model_folders_config_decides_its_family_whatever_its_name(tmp_path, config, family):
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert backbone_family(BackboneSpec(name="my-resume-model"), tmp_path) == family


def test_every_backbone_family_has_a_shipped_preset_whose_recommendation_is_a_point_of_its_space():
    assert set(PRESETS) == {"tiny", "minilm-2l", "minilm-4l", "minilm", "bert-base", "roberta-base", "large"}
    for name, preset in PRESETS.items():
        space = parse_search_space(preset.space)
        base = TrainingSettings.model_validate({"backbone": {"name": "minilm"}})
        check_search_space(space, base)  # every value of every dimension builds valid settings
        settings = apply_hyperparameters(base, preset.recommended, name)
        _, outside = space.values_in(settings)
        assert outside == [], name
        assert set(preset.recommended) <= set(preset.space), name


def test_larger_backbones_fix_their_epochs_so_the_pruner_judges_every_epoch_and_learn_slower():
    for name in ("bert-base", "roberta-base", "large"):
        assert PRESETS[name].space["epochs"]["type"] == "fixed"
        assert PRESETS[name].space["learning_rate"]["high"] <= 1e-4
    assert PRESETS["minilm-2l"].space["learning_rate"]["low"] > PRESETS["roberta-base"].space["learning_rate"]["high"]


def test_the_default_backbone_gets_the_minilm_4l_preset_and_its_recommendation_is_training_base():
    parameters = yaml.safe_load((REPO_ROOT / "conf" / "base" / "parameters.yml").read_text())
    base = TrainingSettings.model_validate(parameters["training"]["base"])
    assert SHIPPED["search_space_preset"] == "auto" and SHIPPED["search_space"] == {}
    assert backbone_family(base.backbone) == "minilm-4l"
    space = parse_search_space(PRESETS["minilm-4l"].space)
    values, outside = space.values_in(base)
    assert outside == [] and values == PRESETS["minilm-4l"].recommended


def test_a_users_dimensions_go_over_the_presets():
    space, recommended, name = choose_search_space(
        {
            "epochs": {"high": 2},  # no type: only this key changes
            "batch_size": {"type": "fixed", "value": 8},  # a type: replaces the preset's dimension
            "max_length": {"type": "categorical", "choices": [128, 256]},  # added
        },
        "auto",
        PRESETS,
        "minilm-2l",
    )
    assert name == "minilm-2l" and recommended == PRESETS["minilm-2l"].recommended
    assert space["epochs"] == {"type": "int", "low": 1, "high": 2}
    assert space["batch_size"] == {"type": "fixed", "value": 8}
    assert space["max_length"]["choices"] == [128, 256]
    assert space["learning_rate"] == PRESETS["minilm-2l"].space["learning_rate"]


def test_a_preset_can_be_named_or_left_out():
    assert choose_search_space({}, "bert-base", PRESETS, "minilm-2l")[2] == "bert-base"
    own = {"learning_rate": {"type": "float", "low": 1e-4, "high": 1e-3}}
    assert choose_search_space(own, "none", PRESETS, "minilm-2l") == (own, {}, None)


@pytest.mark.parametrize(
    ("space", "choice", "presets", "message"),
    [
        ({}, "none", PRESETS, "hpo.search_space is empty and hpo.search_space_preset is none"),
        ({}, "auto", {}, "no preset for the backbone family 'minilm-2l'"),
        ({}, "xlnet", PRESETS, "no preset for 'xlnet'"),
    ],
)
def test_a_missing_space_or_preset_is_one_line_naming_what_to_set(space, choice, presets, message):
    with pytest.raises(UserInputError, match=message) as caught:
        choose_search_space(space, choice, presets, "minilm-2l")
    assert "\n" not in str(caught.value)
