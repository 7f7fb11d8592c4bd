"""The study's pruner: Optuna's pruners, asked only at fold ends by default, where trials of different epochs
compare fairly."""

from __future__ import annotations

import optuna
import pytest
from optuna.distributions import IntDistribution
from optuna.trial import TrialState, create_trial

from resume_ner.tuning.pruners import FoldEndPruner, make_pruner, pruning_interval

optuna.logging.set_verbosity(optuna.logging.WARNING)

SETTINGS = {"n_startup_trials": 0, "n_warmup_steps": 0, "min_resource": 1, "reduction_factor": 3}


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("median", optuna.pruners.MedianPruner),
        ("hyperband", optuna.pruners.HyperbandPruner),
        ("successive_halving", optuna.pruners.SuccessiveHalvingPruner),
    ],
)
def test_make_pruner_wraps_the_named_pruner_at_fold_ends(name, kind):
    pruner = make_pruner(name, interval="fold", epochs_cap=3, folds=2, **SETTINGS)
    assert isinstance(pruner, FoldEndPruner) and type(pruner._inner) is kind
    assert type(make_pruner(name, interval="epoch", epochs_cap=3, folds=2, **SETTINGS)) is kind


def test_no_pruner_is_optunas_nop_pruner():
    assert type(make_pruner("none", interval="fold", epochs_cap=3, folds=2, **SETTINGS)) is optuna.pruners.NopPruner


def finished(study: optuna.Study, values: dict[int, float], epochs: int) -> None:
    study.add_trial(
        create_trial(
            value=max(values.values()),
            intermediate_values=values,
            params={"epochs": epochs},
            distributions={"epochs": IntDistribution(1, 3)},
        )
    )


def test_at_fold_ends_only_a_long_schedule_is_not_judged_mid_fold_against_short_ones():
    """Epoch cap 3, two folds. A 1-epoch trial peaks at epoch 1; a 3-epoch trial (its learning rate still high)
    is lower at epoch 1 and may end the fold better. Asked after every epoch, the median pruner kills it at epoch
    1; asked at fold ends, it lets the fold finish and judges it there."""
    for interval in ("epoch", "fold"):
        study = optuna.create_study(
            direction="maximize", pruner=make_pruner("median", interval=interval, epochs_cap=3, folds=2, **SETTINGS)
        )
        for _ in range(3):
            finished(study, {1: 0.80, 3: 0.80, 4: 0.80, 6: 0.80}, epochs=1)
        trial = study.ask()
        trial.report(0.40, 1)
        assert bool(trial.should_prune()) is (interval == "epoch")
        trial.report(0.50, 3)  # the end of fold 0, clearly worse than the others: judged, and pruned
        assert trial.should_prune()
        study.tell(trial, state=TrialState.PRUNED)


def test_a_good_long_schedule_survives_the_fold_end():
    study = optuna.create_study(
        direction="maximize", pruner=make_pruner("median", interval="fold", epochs_cap=3, folds=2, **SETTINGS)
    )
    for _ in range(3):
        finished(study, {1: 0.80, 3: 0.80, 4: 0.80, 6: 0.80}, epochs=1)
    trial = study.ask()
    for step, value in ((1, 0.40), (2, 0.70), (3, 0.90)):
        trial.report(value, step)
        assert not trial.should_prune()


@pytest.mark.parametrize(
    ("interval", "epochs_vary", "expected"),
    [("auto", True, "fold"), ("auto", False, "epoch"), ("fold", False, "fold"), ("epoch", True, "epoch")],
)
def test_auto_asks_after_every_epoch_only_when_every_trial_trains_as_many_epochs(interval, epochs_vary, expected):
    assert pruning_interval(interval, epochs_vary) == expected


def stalled_study(stalled_after_epochs: int | None = 2) -> optuna.Study:
    """Epoch cap 3, two folds, the median pruner at fold ends; one finished trial that learned."""
    study = optuna.create_study(
        direction="maximize",
        pruner=make_pruner(
            "median",
            interval="fold",
            epochs_cap=3,
            folds=2,
            **{**SETTINGS, "n_startup_trials": 2},
            stalled_after_epochs=stalled_after_epochs,
        ),
    )
    finished(study, {1: 0.10, 2: 0.50, 3: 0.60, 4: 0.55, 5: 0.60, 6: 0.62}, epochs=3)
    return study


def test_a_trial_that_still_scores_nothing_after_two_epochs_of_a_fold_is_stopped_mid_fold():
    """The dotin study's diverged trial scored 0.0 through all 5 epochs of its first fold while every other trial
    was above 0.4 by epoch 2: it is stopped at epoch 2, before the fold's end and the median's startup trials."""
    study = stalled_study()
    trial = study.ask()
    trial.report(0.0, 1)
    assert not trial.should_prune()  # one epoch is too early: a slow start (0.07 at epoch 1 on dotin) recovers
    trial.report(0.0, 2)
    assert trial.should_prune()


def test_a_trial_that_scores_little_but_not_nothing_goes_on_to_the_fold_end():
    study = stalled_study()
    trial = study.ask()
    for step, value in ((1, 0.0), (2, 0.01)):
        trial.report(value, step)
        assert not trial.should_prune()


def test_nothing_is_stalled_while_no_finished_trial_has_scored_at_that_step():
    """A tiny model or a hard corpus where every trial is still at 0 by epoch 2: no trial is judged for it."""
    study = optuna.create_study(
        direction="maximize",
        pruner=make_pruner("median", interval="fold", epochs_cap=3, folds=2, **SETTINGS, stalled_after_epochs=2),
    )
    finished(study, {1: 0.0, 2: 0.0, 3: 0.40, 4: 0.40, 5: 0.40, 6: 0.45}, epochs=3)
    trial = study.ask()
    trial.report(0.0, 2)
    assert not trial.should_prune()


def test_the_stall_check_can_be_turned_off():
    trial = stalled_study(stalled_after_epochs=None).ask()
    for step in (1, 2):
        trial.report(0.0, step)
        assert not trial.should_prune()
