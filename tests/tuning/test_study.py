"""Opening the hpo study: its parameters, its identity (derived name, stored definition) and storage, and
resuming it."""

from __future__ import annotations

import optuna
import pytest
from pydantic import ValidationError

from resume_ner.errors import UserInputError
from resume_ner.training.config import TrainingSettings
from resume_ner.tuning.samplers import make_sampler
from resume_ner.tuning.study import (
    HpoParameters,
    StorageSettings,
    check_definition,
    derive_study_name,
    is_embedded,
    make_storage,
    open_study,
    study_definition,
)

optuna.logging.set_verbosity(optuna.logging.WARNING)
pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")

SPACE = {
    "learning_rate": {"type": "float", "low": 1.0e-5, "high": 1.0e-3, "log": True},
    "epochs": {"type": "int", "low": 2, "high": 4},
}


# --- parameters --------------------------------------------------------------------------------------------------


def test_hpo_parameters_need_a_budget_and_say_so_once():
    with pytest.raises(ValidationError) as caught:
        HpoParameters(search_space=SPACE)
    assert caught.value.error_count() == 1
    assert "set budget_minutes, n_trials or timeout_seconds" in str(caught.value)


@pytest.mark.parametrize(
    "budget",
    [
        {"n_trials": 3},
        {"timeout_seconds": 60},
        {"budget_minutes": 12},
        {"n_trials": 3, "timeout_seconds": 60},
        {"budget_minutes": 12, "n_trials": 3},
    ],
)
def test_hpo_parameters_accept_any_budget(budget):
    parameters = HpoParameters(search_space=SPACE, **budget)
    assert parameters.n_trials == budget.get("n_trials")
    assert parameters.timeout_seconds == budget.get("timeout_seconds")
    assert parameters.budget_minutes == budget.get("budget_minutes")


@pytest.mark.parametrize(
    ("extra", "location"),
    [({"n_trails": 5}, ("n_trails",)), ({"sampler": {"name": "tpe", "sed": 1}}, ("sampler", "sed"))],
)
def test_hpo_parameters_reject_unknown_keys(extra, location):
    with pytest.raises(ValidationError) as caught:
        HpoParameters(search_space=SPACE, n_trials=2, **extra)
    assert [(error["loc"], error["type"]) for error in caught.value.errors()] == [(location, "extra_forbidden")]


# --- study identity ---------------------------------------------------------------------------------------------

BASE = {
    "backbone": {"name": "minilm", "num_layers": 2},
    "tokenization": {"max_length": 128, "stride": 32},
    "optimization": {"learning_rate": 2e-4, "epochs": 4},
    "precision": "auto",
}


def measured(base: dict) -> dict:
    return TrainingSettings.model_validate(base).what_a_trial_measures()


def definition(base: dict | None = None, **change) -> dict:
    inputs = {
        "search_space": SPACE,
        "objective": "micro_f1",
        "corpus_fingerprint": "corpus-a",
        "splits_fingerprint": "splits-a",
        "folds": 3,
        "training": measured(base or BASE),
        "gpus": 1,
        **change,
    }
    return study_definition(**inputs)


def test_study_name_is_stable_and_ignores_key_order_and_spelled_out_defaults():
    reordered = {name: dict(reversed(list(dimension.items()))) for name, dimension in reversed(list(SPACE.items()))}
    name = derive_study_name(definition())
    assert name == derive_study_name(definition(search_space=reordered))
    # Writing out what the program would default to anyway is the same study.
    assert name == derive_study_name(definition({**BASE, "early_stopping": {"patience": None}, "device": "auto"}))
    assert name.startswith("resume-ner-") and len(name) == len("resume-ner-") + 12


@pytest.mark.parametrize(
    "change",
    [
        {"search_space": {**SPACE, "epochs": {"type": "int", "low": 2, "high": 5}}},
        {"objective": "macro_f1"},
        {"corpus_fingerprint": "corpus-b"},
        {"splits_fingerprint": "splits-b"},
        {"folds": 2},
        {"gpus": 2},
        {"training": measured({**BASE, "tokenization": {"max_length": 256, "stride": 32}})},
        {"training": measured({**BASE, "precision": "fp32"})},
        {"training": measured({**BASE, "early_stopping": {"patience": 2}})},
        {"training": measured({**BASE, "optimization": {"learning_rate": 2e-4, "epochs": 4, "seed": 7}})},
        {"training": measured({**BASE, "backbone": {"name": "minilm", "num_layers": 6}})},
        {"training": measured({**BASE, "backbone": {"name": "tiny-bert"}})},
    ],
)
def test_study_name_changes_with_anything_a_trial_measures(change):
    assert derive_study_name(definition(**change)) != derive_study_name(definition())


def test_a_study_records_its_definition_and_refuses_other_settings_in_one_line(tmp_path):
    study = optuna.create_study(study_name="by-hand", storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    check_definition(study, definition())
    check_definition(study, definition())  # the same settings resume it
    changed = definition({**BASE, "tokenization": {"max_length": 256, "stride": 32}}, gpus=2)
    with pytest.raises(UserInputError) as caught:
        check_definition(study, changed)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("Study by-hand was made with other settings")
    assert "gpus: 1 -> 2" in message and "training.tokenization.max_length: 128 -> 256" in message
    assert "stride" not in message


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
        return open_study(
            name, make_storage(url, StorageSettings()), make_sampler("tpe", 42, 2, None), optuna.pruners.NopPruner()
        )

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
        "resume-ner-abc",
        "resume-ner-def",
    ]


def test_a_worker_that_loses_the_race_to_create_sqlite_tables_retries(tmp_path, monkeypatch):
    """Two workers starting on a new SQLite file both create the tables; SQLite tells the loser with an
    OperationalError ("table ... already exists"), PostgreSQL with an IntegrityError or ProgrammingError."""
    from sqlalchemy.exc import OperationalError

    real = optuna.storages.RDBStorage
    calls = []

    def racing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError(
                "CREATE TABLE study_user_attributes", {}, Exception("table study_user_attributes already exists")
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(optuna.storages, "RDBStorage", racing)
    monkeypatch.setattr("resume_ner.tuning.study.time.sleep", lambda seconds: None)
    storage = make_storage(f"sqlite:///{tmp_path / 'optuna.db'}", StorageSettings())
    assert isinstance(storage, real) and len(calls) == 2
