"""The best-params record: validation with one-line errors naming the file and bad keys, and the epochs rules."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from resume_ner.errors import UserInputError
from resume_ner.tuning.best_params import BestParams, derive_epochs, parse_best_params

SOURCE = "conf/best_params.yml"


def best(params: dict | None = None, **fields) -> BestParams:
    return parse_best_params({"params": params if params is not None else {"learning_rate": 3e-4}, **fields}, SOURCE)


# --- derive_epochs: the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("epochs", "expected"),
    [
        ([1, 2], 2),  # median 1.5 rounds half up
        ([1, 1, 2], 1),
        ([3, 4, 5, 6], 5),  # median 4.5 rounds half up
        ([4], 4),
        ([2, 2, 3], 2),
        ([7, 3, 5], 5),  # order does not matter
    ],
)
def test_median_rule_rounds_half_up(epochs, expected):
    value, reason = derive_epochs(best(best_epochs=epochs), "median", base_epochs=99)
    assert value == expected
    assert isinstance(value, int)
    assert reason == f"median of the folds' best epochs {epochs}"


def test_max_rule_takes_the_largest_best_epoch():
    value, reason = derive_epochs(best(best_epochs=[2, 6, 3]), "max", base_epochs=99)
    assert value == 6
    assert reason == "max of the folds' best epochs [2, 6, 3]"


def test_params_rule_uses_the_epochs_hyperparameter_even_with_best_epochs():
    record = best({"learning_rate": 1e-3, "epochs": 7}, best_epochs=[2, 3])
    assert derive_epochs(record, "params", base_epochs=99) == (7, "the epochs hyperparameter")


def test_params_rule_accepts_the_dotted_epochs_key():
    record = best({"optimization.epochs": 8})
    assert derive_epochs(record, "params", base_epochs=99) == (8, "the epochs hyperparameter")


def test_params_rule_without_epochs_falls_back_to_the_base_parameters():
    value, reason = derive_epochs(best(), "params", base_epochs=11)
    assert value == 11
    assert reason == "the base training parameters (no epochs hyperparameter)"


@pytest.mark.parametrize("rule", ["median", "max"])
def test_rule_without_best_epochs_falls_back_to_the_epochs_hyperparameter_and_says_so(rule):
    value, reason = derive_epochs(best({"epochs": 6}), rule, base_epochs=99)
    assert value == 6
    assert reason == (f"the epochs hyperparameter (rule {rule!r} needs best_epochs, which the file does not record)")


@pytest.mark.parametrize("rule", ["median", "max"])
def test_rule_without_best_epochs_or_epochs_falls_back_to_the_base_parameters_and_says_so(rule):
    value, reason = derive_epochs(best(), rule, base_epochs=4)
    assert value == 4
    assert reason.startswith("the base training parameters (no epochs hyperparameter)")
    assert f"rule {rule!r} needs best_epochs" in reason


# --- parse_best_params: accepted records ----------------------------------------------------------------------


def test_a_full_record_is_accepted_and_keeps_every_field_with_one_spelling_per_hyperparameter():
    data = {
        "params": {
            "learning_rate": 3e-4,
            "batch_size": 16,
            "optimization.max_grad_norm": 1.0,
            "optimization.epochs": 5,
            "early_stopping.min_delta": 0.01,
        },
        "best_epochs": [4, 5, 4],
        "study_name": "resume-ner-1a2b3c",
        "study_run_id": "0f3c",
        "trial_number": 7,
        "trial_run_id": "9e1d",
        "value": 0.71,
        "objective": "micro_f1",
    }
    record = parse_best_params(data, SOURCE)
    assert record.model_dump() == {
        **data,
        "params": {
            "learning_rate": 3e-4,
            "batch_size": 16,
            "max_grad_norm": 1.0,
            "epochs": 5,
            "early_stopping.min_delta": 0.01,
        },
    }
    assert derive_epochs(record, "params", 3) == (5, "the epochs hyperparameter")


def test_two_spellings_of_one_hyperparameter_are_refused_in_one_line():
    message = rejected({"params": {"epochs": 4, "optimization.epochs": 10}})
    assert "'epochs' and 'optimization.epochs' are the same hyperparameter" in message


def test_only_params_is_required():
    record = parse_best_params({"params": {"dropout": 0.1}}, SOURCE)
    assert record.params == {"dropout": 0.1}
    assert record.best_epochs is None and record.study_name is None and record.trial_number is None


# --- parse_best_params: one-line errors naming the file and each bad key --------------------------------------


def rejected(data) -> str:
    with pytest.raises(UserInputError) as caught:
        parse_best_params(data, SOURCE)
    message = str(caught.value)
    assert "\n" not in message
    assert SOURCE in message
    return message


def test_unknown_top_level_key_is_named():
    message = rejected({"params": {"learning_rate": 1e-3}, "best_epoch": [3]})
    assert message.startswith(f"Invalid best-params file {SOURCE}: ")
    assert "best_epoch: unknown key" in message


def test_unknown_hyperparameter_name_is_named():
    message = rejected({"params": {"learning_rat": 1e-3}})
    assert "params:" in message
    assert "'learning_rat'" in message


@pytest.mark.parametrize("epochs", [[0], [], [3, -1]])
def test_best_epochs_must_be_positive_and_non_empty(epochs):
    message = rejected({"params": {"learning_rate": 1e-3}, "best_epochs": epochs})
    assert "best_epochs: " in message
    assert "at least 1" in message


def test_missing_params_is_named():
    message = rejected({"best_epochs": [3]})
    assert "params: is required" in message


def test_every_bad_key_is_named_in_the_same_line():
    message = rejected({"best_epochs": [0], "extra": 1})
    assert "params: is required" in message
    assert "extra: unknown key" in message
    assert "best_epochs: " in message


def test_negative_trial_number_is_rejected():
    assert "trial_number: " in rejected({"params": {}, "trial_number": -1})


@pytest.mark.parametrize("data", [None, [1, 2], "params: x", 3])
def test_a_top_level_that_is_not_a_mapping_is_rejected(data):
    message = rejected(data)
    assert "must be a mapping with a 'params' key" in message
    assert type(data).__name__ in message


def test_the_record_is_frozen():
    record = best()
    with pytest.raises(ValidationError, match="frozen"):
        record.best_epochs = [1]  # type: ignore[misc]
    assert record.best_epochs is None
