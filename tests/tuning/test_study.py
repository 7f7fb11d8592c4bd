"""Opening the hpo study: its parameters, derived name, sampler, pruner and storage, and resuming it."""

from __future__ import annotations

import optuna
import pytest
from pydantic import ValidationError

from resume_ner.errors import UserInputError
from resume_ner.tuning.study import (
    HpoParameters,
    PrunerSettings,
    SamplerSettings,
    StorageSettings,
    derive_study_name,
    is_embedded,
    make_pruner,
    make_sampler,
    make_storage,
    open_study,
)

optuna.logging.set_verbosity(optuna.logging.WARNING)
pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")

SPACE = {"learning_rate": {"type": "float", "low": 1.0e-5, "high": 1.0e-3, "log": True},
         "epochs": {"type": "int", "low": 2, "high": 4}}


# --- parameters --------------------------------------------------------------------------------------------------


def test_hpo_parameters_need_a_budget_and_say_so_once():
    with pytest.raises(ValidationError) as caught:
        HpoParameters(search_space=SPACE)
    assert caught.value.error_count() == 1
    assert "set n_trials, timeout_seconds or both" in str(caught.value)


@pytest.mark.parametrize("budget", [{"n_trials": 3}, {"timeout_seconds": 60}, {"n_trials": 3, "timeout_seconds": 60}])
def test_hpo_parameters_accept_either_budget(budget):
    parameters = HpoParameters(search_space=SPACE, **budget)
    assert parameters.n_trials == budget.get("n_trials")
    assert parameters.timeout_seconds == budget.get("timeout_seconds")


@pytest.mark.parametrize(
    ("extra", "location"),
    [({"n_trails": 5}, ("n_trails",)), ({"sampler": {"name": "tpe", "sed": 1}}, ("sampler", "sed"))],
)
def test_hpo_parameters_reject_unknown_keys(extra, location):
    with pytest.raises(ValidationError) as caught:
        HpoParameters(search_space=SPACE, n_trials=2, **extra)
    assert [(error["loc"], error["type"]) for error in caught.value.errors()] == [(location, "extra_forbidden")]


# --- study name --------------------------------------------------------------------------------------------------

NAME_INPUTS = {"search_space": SPACE, "objective": "f1", "corpus_fingerprint": "corpus-a",
               "splits_fingerprint": "splits-a", "backbone": "minilm", "folds": 3}


def test_study_name_is_stable_and_ignores_key_order():
    reordered = {name: dict(reversed(list(dimension.items()))) for name, dimension in reversed(list(SPACE.items()))}
    name = derive_study_name(**NAME_INPUTS)
    assert name == derive_study_name(**NAME_INPUTS)
    assert name == derive_study_name(**{**NAME_INPUTS, "search_space": reordered})
    assert name.startswith("resume-ner-")
    assert len(name) == len("resume-ner-") + 12


@pytest.mark.parametrize(
    "change",
    [
        {"search_space": {**SPACE, "epochs": {"type": "int", "low": 2, "high": 5}}},
        {"objective": "f1_micro"},
        {"corpus_fingerprint": "corpus-b"},
        {"splits_fingerprint": "splits-b"},
        {"backbone": "distilbert"},
        {"folds": 2},
    ],
)
def test_study_name_changes_with_what_defines_the_study(change):
    assert derive_study_name(**{**NAME_INPUTS, **change}) != derive_study_name(**NAME_INPUTS)


# --- sampler and pruner ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [("tpe", optuna.samplers.TPESampler), ("random", optuna.samplers.RandomSampler),
     ("grid", optuna.samplers.GridSampler)],
)
def test_make_sampler(name, kind):
    assert type(make_sampler(SamplerSettings(name=name), {"epochs": [2, 3, 4]})) is kind


def test_grid_sampler_without_a_grid_is_a_user_error():
    with pytest.raises(UserInputError, match="hpo.sampler.name: grid needs every float range"):
        make_sampler(SamplerSettings(name="grid"), None)


def test_grid_sampler_visits_every_point_of_the_grid():
    sampler = make_sampler(SamplerSettings(name="grid", seed=0), {"epochs": [2, 3], "batch_size": [8, 16]})
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda trial: trial.suggest_int("epochs", 2, 3) + trial.suggest_categorical("batch_size", [8, 16]),
                   n_trials=10)
    assert sorted((t.params["epochs"], t.params["batch_size"]) for t in study.trials) == [
        (2, 8), (2, 16), (3, 8), (3, 16)]


@pytest.mark.parametrize(
    ("name", "kind"),
    [("median", optuna.pruners.MedianPruner), ("hyperband", optuna.pruners.HyperbandPruner),
     ("successive_halving", optuna.pruners.SuccessiveHalvingPruner), ("none", optuna.pruners.NopPruner)],
)
def test_make_pruner(name, kind):
    assert type(make_pruner(PrunerSettings(name=name), max_steps=12)) is kind


# --- storage -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg2://u:secret@127.0.0.1:1/x", "postgresql+psycopg2://u:***@127.0.0.1:1/x"),
        ("postgresql+nosuchdriver://u:secret@127.0.0.1:1/x", "postgresql+nosuchdriver://u:***@127.0.0.1:1/x"),
    ],
)
def test_an_unusable_storage_is_a_user_error_that_hides_the_password(url, shown):
    with pytest.raises(UserInputError) as caught:
        make_storage(url, StorageSettings())
    message = str(caught.value)
    assert message.startswith(f"Cannot open the Optuna storage {shown}: ")
    assert "secret" not in message
    assert "\n" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_is_embedded():
    assert is_embedded("sqlite:////tmp/optuna.db")
    assert not is_embedded("postgresql+psycopg2://u:p@db:5432/optuna")
    assert not is_embedded("mysql://u:p@db/optuna")


def test_open_study_resumes_an_existing_study_with_its_trials(tmp_path):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"

    def open_it(name):
        return open_study(name, make_storage(url, StorageSettings()), make_sampler(SamplerSettings(), None),
                          make_pruner(PrunerSettings(), max_steps=4))

    first = open_it("resume-ner-abc")
    first.optimize(lambda trial: trial.suggest_float("x", 0.0, 1.0), n_trials=2)
    assert first.direction == optuna.study.StudyDirection.MAXIMIZE

    resumed = open_it("resume-ner-abc")
    assert resumed._study_id == first._study_id
    assert [trial.value for trial in resumed.trials] == [trial.value for trial in first.trials]
    resumed.optimize(lambda trial: trial.suggest_float("x", 0.0, 1.0), n_trials=1)
    assert len(resumed.trials) == 3

    other = open_it("resume-ner-def")
    assert other.trials == []
    assert sorted(summary.study_name for summary in optuna.get_all_study_summaries(url)) == [
        "resume-ner-abc", "resume-ner-def"]
