"""The hpo search space: what ``parse_search_space`` accepts and rejects, and what it asks of an Optuna trial."""

from __future__ import annotations

import optuna
import pytest

from resume_ner.errors import UserInputError
from resume_ner.training.config import TrainingSettings
from resume_ner.tuning.search_space import parse_search_space

optuna.logging.set_verbosity(optuna.logging.WARNING)

EVERY_KIND = {
    "learning_rate": {"type": "float", "low": 1.0e-5, "high": 1.0e-3, "log": True},
    "dropout": {"type": "float", "low": 0.0, "high": 0.3},
    "warmup_ratio": {"type": "float", "low": 0.0, "high": 0.2, "step": 0.05},
    "epochs": {"type": "int", "low": 2, "high": 8, "step": 2},
    "max_length": {"type": "int", "low": 16, "high": 512, "log": True},
    "batch_size": {"type": "categorical", "choices": [8, 16, 32]},
    "backbone": {"type": "fixed", "value": "minilm"},
}


def rejection(space) -> str:
    with pytest.raises(UserInputError) as caught:
        parse_search_space(space)
    message = str(caught.value)
    assert "\n" not in message, message
    assert message.startswith("Invalid hpo.search_space: "), message
    return message


def test_every_kind_of_dimension_is_accepted():
    space = parse_search_space(EVERY_KIND)
    assert list(space.root) == list(EVERY_KIND)


def test_a_dotted_run_config_key_is_a_valid_name_spelled_as_its_short_name_when_it_has_one():
    space = parse_search_space(
        {
            "optimization.max_grad_norm": {"type": "float", "low": 0.5, "high": 2.0},
            "optimization.epochs": {"type": "int", "low": 2, "high": 10},
            "early_stopping.min_delta": {"type": "float", "low": 0.0, "high": 0.1},
        }
    )
    assert list(space.root) == ["max_grad_norm", "epochs", "early_stopping.min_delta"]
    assert space.upper_bound("epochs", 4) == 10  # the epoch cap reads the dotted key too


def test_two_spellings_of_one_hyperparameter_are_refused():
    message = rejection(
        {
            "batch_size": {"type": "categorical", "choices": [8]},
            "optimization.batch_size": {"type": "categorical", "choices": [16]},
        }
    )
    assert "'batch_size' and 'optimization.batch_size' are the same hyperparameter" in message


@pytest.mark.parametrize(
    ("space", "expected"),
    [
        ({"dropout": {"type": "float", "low": 0.3, "high": 0.3}}, "dropout: low (0.3) must be below high (0.3)"),
        ({"dropout": {"type": "float", "low": 0.5, "high": 0.1}}, "dropout: low (0.5) must be below high (0.1)"),
        ({"epochs": {"type": "int", "low": 6, "high": 2}}, "epochs: low (6) must be below high (2)"),
        (
            {"learning_rate": {"type": "float", "low": 0.0, "high": 0.1, "log": True}},
            "learning_rate: a log range needs low > 0, got 0.0",
        ),
        (
            {"epochs": {"type": "int", "low": 0, "high": 4, "log": True}},
            "epochs: a log range needs low >= 1 and step 1",
        ),
        (
            {"learning_rate": {"type": "float", "low": 0.1, "high": 0.5, "log": True, "step": 0.1}},
            "learning_rate: step and log cannot be combined",
        ),
        (
            {"epochs": {"type": "int", "low": 1, "high": 8, "log": True, "step": 2}},
            "epochs: a log range needs low >= 1 and step 1",
        ),
        (
            {"batch_size": {"type": "categorical", "choices": [8, 16, 8]}},
            "batch_size.choices: choices must be distinct",
        ),
        (
            {"batch_size": {"type": "categorical", "choices": [[8], [16]]}},
            "batch_size.choices: choices must be numbers",
        ),
        (
            {"batch_size": {"type": "normal", "low": 1, "high": 2}},
            "batch_size: type must be float, int, categorical or fixed",
        ),
        ({"dropout": {"type": "float", "low": 0.0, "high": 0.3, "steps": 0.1}}, "dropout.steps: unknown key"),
        ({"dropout": {"type": "float", "high": 0.3}}, "dropout.low: is required"),
        ({"epochs": {"type": "int", "low": 1}}, "epochs.high: is required"),
        ({"backbone": {"type": "fixed"}}, "backbone.value: is required"),
        ({"lr": {"type": "float", "low": 1.0e-5, "high": 1.0e-3}}, "hyperparameter 'lr' is not a training setting"),
        ({}, "(top level): the search space is empty"),
    ],
)
def test_a_bad_dimension_is_rejected_in_one_line_naming_it(space, expected):
    assert expected in rejection(space)


def test_empty_choices_are_rejected_naming_the_key():
    message = rejection({"batch_size": {"type": "categorical", "choices": []}})
    assert "batch_size.choices:" in message
    assert "at least 1 item" in message


def test_a_negative_float_step_is_rejected():
    assert "dropout.step:" in rejection({"dropout": {"type": "float", "low": 0.0, "high": 0.3, "step": -0.1}})


def test_every_bad_dimension_is_named_in_the_same_line():
    message = rejection(
        {"dropout": {"type": "float", "low": 0.5, "high": 0.1}, "epochs": {"type": "int", "low": 1, "hgih": 3}}
    )
    assert "dropout: low (0.5) must be below high (0.1)" in message
    assert "epochs.hgih: unknown key" in message
    assert "epochs.high: is required" in message


def test_suggest_stays_in_range_on_real_trials_and_returns_fixed_values_as_given():
    space = parse_search_space(EVERY_KIND)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(30):
        trial = study.ask()
        params = space.suggest(trial)
        assert set(params) == set(EVERY_KIND)
        assert 1.0e-5 <= params["learning_rate"] <= 1.0e-3
        assert 0.0 <= params["dropout"] <= 0.3
        assert any(params["warmup_ratio"] == pytest.approx(value) for value in (0.0, 0.05, 0.1, 0.15, 0.2))
        assert params["epochs"] in {2, 4, 6, 8}
        assert isinstance(params["max_length"], int)
        assert 16 <= params["max_length"] <= 512
        assert params["batch_size"] in {8, 16, 32}
        assert params["backbone"] == "minilm"
        # The fixed value is not a trial parameter: the sampler never sees it.
        assert "backbone" not in trial.params
        study.tell(trial, 0.0)
    distributions: dict = study.trials[0].distributions  # float and int distributions, each with .log
    assert distributions["learning_rate"].log and distributions["max_length"].log
    assert not distributions["dropout"].log


def test_grid_lists_int_categorical_and_stepped_float_values_and_leaves_fixed_out():
    space = parse_search_space(
        {
            "warmup_ratio": {"type": "float", "low": 0.0, "high": 0.2, "step": 0.1},
            "epochs": {"type": "int", "low": 2, "high": 6, "step": 2},
            "batch_size": {"type": "categorical", "choices": [8, 16]},
            "backbone": {"type": "fixed", "value": "minilm"},
        }
    )
    grid = space.grid()
    assert grid is not None
    assert set(grid) == {"warmup_ratio", "epochs", "batch_size"}
    assert grid["warmup_ratio"] == pytest.approx([0.0, 0.1, 0.2])
    assert grid["epochs"] == [2, 4, 6]
    assert grid["batch_size"] == [8, 16]


def test_grid_is_none_when_a_float_range_has_no_step():
    space = parse_search_space(
        {"epochs": {"type": "int", "low": 2, "high": 6}, "dropout": {"type": "float", "low": 0.0, "high": 0.3}}
    )
    assert space.grid() is None


@pytest.mark.parametrize(
    ("dimension", "expected"),
    [
        ({"type": "int", "low": 2, "high": 7}, 7),
        ({"type": "categorical", "choices": [3, 9, 5]}, 9),
        ({"type": "fixed", "value": 4}, 4),
        (None, 11),
    ],
)
def test_upper_bound_of_epochs(dimension, expected):
    data = {"dropout": {"type": "float", "low": 0.0, "high": 0.3}}
    if dimension is not None:
        data["epochs"] = dimension
    assert parse_search_space(data).upper_bound("epochs", 11) == expected


@pytest.mark.parametrize(
    ("dimension", "varies"),
    [
        (None, False),
        ({"type": "fixed", "value": 3}, False),
        ({"type": "categorical", "choices": [3]}, False),
        ({"type": "categorical", "choices": [2, 3]}, True),
        ({"type": "int", "low": 1, "high": 3}, True),
    ],
)
def test_varies_tells_whether_trials_can_differ_in_a_hyperparameter(dimension, varies):
    space = {"learning_rate": {"type": "float", "low": 1e-4, "high": 1e-3}}
    if dimension is not None:
        space["epochs"] = dimension
    assert parse_search_space(space).varies("epochs") is varies


def test_a_space_knows_which_values_it_contains():
    space = parse_search_space(
        {
            "learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
            "warmup_ratio": {"type": "float", "low": 0.0, "high": 0.2, "step": 0.05},
            "epochs": {"type": "int", "low": 2, "high": 6, "step": 2},
            "batch_size": {"type": "categorical", "choices": [16, 32]},
            "decoding": {"type": "categorical", "choices": ["viterbi", "argmax"]},
        }
    ).root
    assert space["learning_rate"].contains(1e-3) and not space["learning_rate"].contains(2e-2)
    assert space["warmup_ratio"].contains(0.15) and not space["warmup_ratio"].contains(0.12)
    assert space["epochs"].contains(4) and not space["epochs"].contains(3) and not space["epochs"].contains(4.0)
    assert space["batch_size"].contains(32) and not space["batch_size"].contains(32.0)
    assert not space["learning_rate"].contains(True) and not space["learning_rate"].contains(None)
    assert space["decoding"].contains("argmax") and not space["decoding"].contains("beam")


def test_the_values_a_base_gives_the_searched_dimensions_and_those_outside():
    base = TrainingSettings.model_validate(
        {"backbone": {"name": "minilm"}, "optimization": {"learning_rate": 2e-4, "epochs": 4, "batch_size": 16}}
    )
    space = parse_search_space(
        {
            "learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
            "optimization.batch_size": {"type": "categorical", "choices": [16, 32]},
            "backbone": {"type": "fixed", "value": "minilm"},
        }
    )
    assert space.values_in(base) == ({"learning_rate": 2e-4, "batch_size": 16}, [])
    narrow = parse_search_space({"epochs": {"type": "int", "low": 1, "high": 3}})
    assert narrow.values_in(base) == ({}, ["epochs = 4 is outside {'type': 'int', 'low': 1, 'high': 3}"])
