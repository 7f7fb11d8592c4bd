"""The hyperparameter table: every row names a real setting, and the training program has a flag for each."""

from __future__ import annotations

import pytest

from resume_ner.errors import UserInputError
from resume_ner.training.__main__ import overrides_from, parse_args
from resume_ner.training.config import RunConfig, TrainingSettings
from resume_ner.training.hyperparameters import (
    HYPERPARAMETERS,
    RUN_SETTINGS,
    apply_hyperparameters,
    normalise_hyperparameters,
)

EXAMPLES = {int: "3", float: "0.25", str: "tiny-bert"}


def _field(model, path: str):
    *parents, last = path.split(".")
    for name in parents:
        model = model.model_fields[name].annotation
    return model.model_fields[last]


@pytest.mark.parametrize("setting", HYPERPARAMETERS, ids=lambda setting: setting.name)
def test_each_hyperparameter_is_a_training_setting_with_a_flag(setting):
    assert _field(TrainingSettings, setting.path) is not None
    argv = ["--config", "c.json", setting.flag, EXAMPLES[setting.parse]]
    assert overrides_from(parse_args(argv)) == {setting.path: setting.parse(EXAMPLES[setting.parse])}


@pytest.mark.parametrize("setting", RUN_SETTINGS, ids=lambda setting: setting.name)
def test_each_run_flag_sets_a_run_config_key(setting):
    assert setting.path.split(".")[0] in RunConfig.model_fields


def test_both_spellings_give_one_name_and_two_at_once_are_refused():
    assert normalise_hyperparameters({"optimization.learning_rate": 1e-3, "early_stopping.min_delta": 0.1}) == {
        "learning_rate": 1e-3,
        "early_stopping.min_delta": 0.1,
    }
    with pytest.raises(UserInputError, match=r"'epochs' and 'optimization\.epochs' are the same hyperparameter"):
        normalise_hyperparameters({"epochs": 2, "optimization.epochs": 3})


def test_picking_another_backbone_drops_the_base_backbones_own_settings():
    base = TrainingSettings.model_validate({"backbone": {"name": "minilm", "num_layers": 2}})
    assert apply_hyperparameters(base, {"backbone": "tiny-bert"}).backbone.num_layers is None
    assert apply_hyperparameters(base, {"backbone": "MiniLM"}).backbone.num_layers == 2
    assert apply_hyperparameters(base, {}) is base


def test_boundary_trim_is_learned_unless_a_trial_turns_it_off_and_other_values_are_refused():
    base = TrainingSettings.model_validate({"backbone": {"name": "minilm"}})
    assert base.boundary_trim == "learned"
    assert apply_hyperparameters(base, {"boundary_trim": "none"}).boundary_trim == "none"
    with pytest.raises(UserInputError, match=r"Invalid training settings trial 3.*boundary_trim"):
        apply_hyperparameters(base, {"boundary_trim": "always"}, "trial 3")
