"""The study's sampler: Optuna's samplers, seeded per trial so that a resumed study, or a second worker, never
repeats the trials it already has."""

from __future__ import annotations

import optuna
import pytest

from resume_ner.errors import UserInputError
from resume_ner.tuning.samplers import TrialSeededSampler, make_sampler, trial_seed

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial: optuna.Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0) + trial.suggest_int("n", 1, 100) / 100


def params(study: optuna.Study) -> list[tuple]:
    return [(trial.params["x"], trial.params["n"]) for trial in study.trials]


@pytest.mark.parametrize(
    ("name", "kind"), [("tpe", optuna.samplers.TPESampler), ("random", optuna.samplers.RandomSampler)]
)
def test_make_sampler_wraps_the_named_optuna_sampler(name, kind):
    sampler = make_sampler(name, 42, 2, None)
    assert isinstance(sampler, TrialSeededSampler)
    assert type(sampler._factory(1)) is kind


def test_the_grid_sampler_is_optunas_own():
    assert type(make_sampler("grid", 0, 2, {"epochs": [2, 3]})) is optuna.samplers.GridSampler


def test_grid_sampler_without_a_grid_is_a_user_error():
    with pytest.raises(UserInputError, match=r"hpo\.sampler\.name: grid needs every float range"):
        make_sampler("grid", 0, 2, None)


def test_grid_sampler_visits_every_point_of_the_grid_across_resumed_runs(tmp_path):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    grid = {"epochs": [2, 3], "batch_size": [8, 16]}

    def run(n_trials):
        study = optuna.create_study(
            study_name="grid", storage=url, load_if_exists=True, sampler=make_sampler("grid", 0, 2, grid)
        )
        study.optimize(
            lambda t: t.suggest_int("epochs", 2, 3) + t.suggest_categorical("batch_size", [8, 16]), n_trials=n_trials
        )
        return study

    run(2)
    study = run(10)  # the grid sampler stops the study once every point is done
    assert sorted((t.params["epochs"], t.params["batch_size"]) for t in study.trials) == [
        (2, 8),
        (2, 16),
        (3, 8),
        (3, 16),
    ]


def test_trial_seeds_differ_per_trial_and_stay_reproducible():
    assert trial_seed(None, 3) is None
    assert trial_seed(42, 0) == trial_seed(42, 0)
    assert len({trial_seed(42, number) for number in range(100)}) == 100
    assert trial_seed(42, 1) != trial_seed(43, 1)


@pytest.mark.parametrize("name", ["tpe", "random"])
def test_a_resumed_study_never_re_proposes_the_parameters_it_already_tried(tmp_path, name):
    """Each `kedro run` is a new process with a new sampler: run 1 trial, then resume up to 2, then up to 4."""
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    for n_trials in (1, 2, 4):
        study = optuna.create_study(
            study_name="s",
            storage=url,
            load_if_exists=True,
            direction="maximize",
            sampler=make_sampler(name, 42, 2, None),
        )
        study.optimize(objective, n_trials=n_trials - len(study.trials))
    tried = params(study)
    assert len(tried) == 4 and len(set(tried)) == 4


def test_the_same_seed_gives_the_same_study_and_a_new_process_continues_it(tmp_path):
    """Resuming after 2 trials proposes what one uninterrupted run would have proposed for trials 2 and 3."""

    def study_at(url, n_trials, resume_after=None):
        study = optuna.create_study(
            study_name="s", storage=url, direction="maximize", sampler=make_sampler("random", 7, 2, None)
        )
        if resume_after is None:
            study.optimize(objective, n_trials=n_trials)
            return study
        study.optimize(objective, n_trials=resume_after)
        resumed = optuna.load_study(study_name="s", storage=url, sampler=make_sampler("random", 7, 2, None))
        resumed.optimize(objective, n_trials=n_trials - resume_after)
        return resumed

    whole = study_at(f"sqlite:///{tmp_path / 'a.db'}", 4)
    resumed = study_at(f"sqlite:///{tmp_path / 'b.db'}", 4, resume_after=2)
    assert params(whole) == params(resumed)


def test_two_workers_with_the_same_seed_draw_different_trials(tmp_path):
    """Two workers started at once on one study (each its own sampler) must not train the same parameters."""
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    optuna.create_study(study_name="s", storage=url, direction="maximize")
    workers = [
        optuna.load_study(study_name="s", storage=url, sampler=make_sampler("tpe", 42, 4, None)) for _ in range(2)
    ]
    first, second = workers[0].ask(), workers[1].ask()
    assert (first.suggest_float("x", 0, 1), first.suggest_int("n", 1, 100)) != (
        second.suggest_float("x", 0, 1),
        second.suggest_int("n", 1, 100),
    )
