"""The study's plan: calibrated costs -> trials, timeout and minutes; a real calibration on the tiny backbone."""

from __future__ import annotations

import dataclasses
import gc
import time
from datetime import datetime, timedelta
from typing import Any

import optuna
import pytest
from conftest import DEFAULT_CORPUS
from tiny_settings import tiny_training_base

from resume_ner.corpus.documents import Corpus
from resume_ner.corpus.labels import LabelSchema
from resume_ner.corpus.near_duplicates import near_duplicate_groups
from resume_ner.corpus.reading import read_corpus
from resume_ner.corpus.splits import make_folds, split_holdout
from resume_ner.training.config import TrainingSettings
from resume_ner.tuning import planning
from resume_ner.tuning.planning import Calibration, StudyPlan, actual, calibrate, make_plan, schedule
from resume_ner.tuning.search_space import parse_search_space

SETTINGS = TrainingSettings.model_validate({"backbone": {"name": "minilm", "num_layers": 2}})


def calibration(**changes: Any) -> Calibration:
    figures: dict[str, Any] = {
        "device": "cpu",
        "train_tokens_per_second": 1000.0,
        "evaluation_seconds_per_token": 0.0005,
        "model_load_seconds": 0.5,
        "train_tokens_per_epoch": 50_000,  # 50 s per epoch
        "validation_tokens": 10_000,  # 5 s per epoch
        "all_training_tokens": 60_000,
        "seconds": 4.0,
    }
    return Calibration(**(figures | changes))


def plan(measured: Calibration | None = None, **changes: Any) -> StudyPlan:
    arguments: dict[str, Any] = {
        "settings": SETTINGS,
        "launch_mode": "preloaded",
        "folds": 2,
        "epochs_cap": 4,
        "expected_epochs": 2.0,
        "pruner": "median at fold ends",
        "budget_minutes": None,
        "n_trials": 5,
        "timeout_seconds": None,
    }
    return make_plan(measured or calibration(), **(arguments | changes))


def test_a_trial_costs_its_folds_epochs_of_training_and_validation_plus_each_folds_start():
    made = plan()
    # per fold: launch 0.5 + model load 0.5 + 2 epochs x (50 s training + 5 s validation)
    assert made.seconds_per_fold == pytest.approx(111.0)
    assert made.seconds_per_trial == pytest.approx(222.0)
    assert made.planned_trials == 5 and made.estimated_minutes == pytest.approx(5 * 222 / 60)
    # refit: every training document at the epoch cap, 4: 60,000 tokens at 1,000 tokens/s each, plus its start
    assert made.refit_minutes == pytest.approx((1.0 + 240.0) / 60)
    assert made.backbone == "minilm (2 layers)"


def test_a_budget_sets_the_timeout_one_trial_early_and_the_plan_ends_within_budget():
    made = plan(budget_minutes=20, n_trials=None)
    assert made.timeout_seconds == pytest.approx(1200 - 222)
    # Trials start at 0, 222, ..., 888 (before 978), so 5 run and the last ends at 1110 s, within the 1200.
    assert made.planned_trials == 5
    assert made.estimated_minutes * 60 == pytest.approx(1110)


def test_no_trial_starts_that_is_expected_to_end_past_the_budget():
    # 222-s trials in a 6-minute budget: a second one, starting at 222 s, would end at 444 s, 23% past the 360.
    made = plan(budget_minutes=6, n_trials=None)
    assert made.timeout_seconds == pytest.approx(360 - 222)
    assert made.planned_trials == 1 and made.estimated_minutes * 60 <= 360


def test_the_earlier_limit_wins_when_a_budget_and_caps_are_both_given():
    assert plan(budget_minutes=20, n_trials=2).planned_trials == 2
    assert plan(budget_minutes=20, n_trials=None, timeout_seconds=300).timeout_seconds == 300
    assert plan(budget_minutes=20, n_trials=None, timeout_seconds=5000).timeout_seconds == pytest.approx(978)


def test_a_budget_smaller_than_one_trial_still_runs_one_and_says_how_long_it_takes():
    made = plan(budget_minutes=1, n_trials=None)
    assert made.planned_trials == 1
    assert made.estimated_minutes == pytest.approx(222 / 60)
    assert "about 1 unpruned trial(s)" in made.describe()


def test_a_plan_over_its_budget_says_so_and_one_within_it_does_not():
    # one trial takes 222 s: a 1-minute budget fits none, a 20-minute budget several, no budget is no warning
    warning = plan(budget_minutes=1, n_trials=None).over_budget()
    assert warning is not None and "1-minute study budget" in warning and "3.7 min" in warning
    assert plan(budget_minutes=20, n_trials=None).over_budget() is None
    assert plan(budget_minutes=None, n_trials=1).over_budget() is None
    # a budget a whole trial fits, with the one trial ending within it, is not over
    assert plan(budget_minutes=4, n_trials=None).over_budget() is None


def test_the_process_launch_mode_costs_more_per_fold_than_the_preloaded_one():
    assert plan(launch_mode="process").seconds_per_fold > plan().seconds_per_fold


@pytest.mark.parametrize(
    ("n_trials", "timeout", "first", "expected"),
    [
        (3, None, None, (3, 300)),
        (None, 100, None, (1, 100)),
        (None, 101, None, (2, 200)),
        (None, 1000, None, (10, 1000)),
        (4, 1000, None, (4, 400)),
        (3, None, 250, (3, 450)),  # the queued first trial trains longer
        (None, 300, 250, (2, 350)),
    ],
)
def test_trials_start_until_the_timeout_or_the_count(n_trials, timeout, first, expected):
    assert schedule(100.0, n_trials, timeout, first) == expected


def test_a_study_without_any_limit_has_no_plan():
    with pytest.raises(ValueError):
        schedule(100.0, None, None)


def test_the_queued_first_trial_is_planned_at_its_own_epochs():
    # per epoch 55 s, per fold start 1 s: the first trial trains 4 epochs per fold, the others 2 on average
    made = plan(n_trials=3, first_trial_epochs=4)
    assert made.estimated_minutes == pytest.approx((2 * (1 + 4 * 55) + 2 * 222) / 60)


def test_the_plan_line_names_backbone_folds_epochs_pruner_speed_and_minutes():
    line = plan(budget_minutes=20, n_trials=None).describe()
    for part in (
        "minilm (2 layers)",
        "2 fold(s)",
        "2 epoch(s) on average (cap 4)",
        "median at fold ends",
        "1,000 tokens/s",
        "budget 20 min",
    ):
        assert part in line


def test_the_plan_line_shows_how_far_the_calibrations_samples_spread():
    """A reader of a plan that missed can tell whether the machine's speed wandered while it was measured."""
    sampled = plan(calibration(sample_tokens_per_second=(2950.0, 3880.4, 3100.0)))
    assert "1,000 tokens/s (3 samples, 2,950-3,880) -> " in sampled.describe()
    assert "1,000 tokens/s -> " in plan().describe()  # one sample: no spread to show


@pytest.mark.parametrize(
    ("space", "expected"),
    [
        ({"epochs": {"type": "int", "low": 1, "high": 4}}, 2.5),
        ({"epochs": {"type": "categorical", "choices": [2, 4]}}, 3.0),
        ({"epochs": {"type": "fixed", "value": 6}}, 6.0),
        ({"learning_rate": {"type": "float", "low": 1e-4, "high": 1e-3}}, 3.0),  # not searched: the base's
    ],
)
def test_the_expected_epochs_are_the_search_spaces_mean(space, expected):
    assert parse_search_space(space).mean_value("epochs", 3) == expected


def test_actual_counts_this_runs_trials_and_their_minutes_against_the_plan():
    study = optuna.create_study(direction="maximize")
    started = datetime.now()
    before = optuna.trial.create_trial(value=0.1, params={}, distributions={})  # an earlier run's trial
    before.datetime_start = started - timedelta(hours=1)
    before.datetime_complete = started - timedelta(minutes=50)
    study.add_trial(before)
    for seconds, state in ((100, optuna.trial.TrialState.COMPLETE), (40, optuna.trial.TrialState.PRUNED)):
        trial = optuna.trial.create_trial(
            state=state, value=0.5 if state == optuna.trial.TrialState.COMPLETE else None, params={}, distributions={}
        )
        trial.datetime_start = started + timedelta(seconds=1)
        trial.datetime_complete = trial.datetime_start + timedelta(seconds=seconds)
        study.add_trial(trial)
    outcome = actual({"estimated_minutes": 2.0}, study, started, wall_seconds=150)
    assert outcome["actual_trials"] == 2 and outcome["actual_complete_trials"] == 1
    assert outcome["actual_seconds_per_complete_trial"] == pytest.approx(100)
    assert outcome["actual_minutes"] == pytest.approx(2.5) and outcome["actual_to_planned_minutes"] == pytest.approx(
        1.25
    )


def first_documents(count: int) -> tuple[Corpus, dict, dict]:
    """The shipped corpus's first ``count`` documents, their 2 folds (as data_processing makes them) and labels."""
    corpus = Corpus(tuple(read_corpus(DEFAULT_CORPUS).documents[:count]), source=f"first-{count}")
    groups = {"corpus_fingerprint": corpus.fingerprint(), "groups": near_duplicate_groups(corpus)}
    folds = make_folds(corpus, groups, split_holdout(corpus, groups, 0.2, seed=1), 2, seed=1)
    return corpus, folds, LabelSchema.from_corpus(corpus).to_dict()


def test_a_real_calibration_measures_this_machine_on_the_first_folds_windows(tmp_path, capfd):
    corpus, folds, schema = first_documents(40)
    settings = TrainingSettings.model_validate(tiny_training_base())
    measured = calibrate(corpus, folds, schema, settings, tmp_path / "backbones", threads=1)
    assert measured.device == "cpu"
    assert measured.train_tokens_per_second > 100 and measured.evaluation_seconds_per_token > 0
    assert 0 < measured.model_load_seconds < measured.seconds
    # Windows of at most 64 tokens over the first fold's documents; refit sees training and validation documents.
    training_words = sum(len(doc.text.split()) for doc in corpus.subset(folds["folds"][0]["train"]))
    assert measured.train_tokens_per_epoch >= training_words // 2
    assert measured.all_training_tokens == measured.train_tokens_per_epoch + measured.validation_tokens
    assert measured.validation_tokens > 0
    assert "Loading weights" not in capfd.readouterr().err  # no library noise in the kedro run's log


def test_the_calibration_times_training_without_collecting_the_callers_heap(tmp_path):
    """A kedro process holds the corpus, the catalog and MLflow as millions of Python objects; the cyclic garbage
    collector walking them during the timed pass made the calibration measure dotin at 4,000-4,700 tokens/s where
    the fold children (forked from the preloaded server) train at 5,700, and the study ran 78% of its plan."""
    corpus, folds, schema = first_documents(20)
    settings = TrainingSettings.model_validate(tiny_training_base())
    callers_heap = [{"text": str(index)} for index in range(200_000)]
    frozen_at_collections: list[int] = []

    def record(phase: str, info: dict) -> None:
        if phase == "start":
            frozen_at_collections.append(gc.get_freeze_count())

    gc.callbacks.append(record)
    try:
        calibrate(corpus, folds, schema, settings, tmp_path / "backbones", 1)
    finally:
        gc.callbacks.remove(record)
    assert frozen_at_collections, "the calibration allocates enough to run the collector"
    assert min(frozen_at_collections) >= len(callers_heap)  # every collection left the caller's objects alone
    assert gc.get_freeze_count() == 0 and gc.isenabled()  # and the collector is as the calibration found it


def test_the_calibration_times_further_samples_until_enough_training_was_timed(tmp_path):
    """One short sample let a fast moment of a noisy machine set the plan (dotin: 3,944 tokens/s read, folds
    trained at 3,170-3,250, the study took 127% of its plan); the rate is now every timed sample's together."""
    corpus, folds, schema = first_documents(40)
    settings = TrainingSettings.model_validate(tiny_training_base())
    per_sample = settings.optimization.batch_size * planning.SAMPLE_BATCHES

    def measured(min_timed_seconds: float) -> Calibration:
        return calibrate(corpus, folds, schema, settings, tmp_path / "backbones", 1, min_timed_seconds)

    one = measured(0.0)
    assert len(one.sample_tokens_per_second) == 1
    assert one.train_tokens_per_second == pytest.approx(one.sample_tokens_per_second[0])
    # A floor no sample reaches: every window of the fold is timed once, in samples of SAMPLE_BATCHES batches.
    windows = _first_fold_windows(corpus, folds, schema, settings, tmp_path)
    everything = measured(3600.0)
    assert len(everything.sample_tokens_per_second) == -(-windows // per_sample) > 1
    rates = everything.sample_tokens_per_second
    assert min(rates) <= everything.train_tokens_per_second <= max(rates)  # the rate over all of them


def _first_fold_windows(corpus, folds, schema, settings, tmp_path) -> int:
    from transformers import AutoTokenizer

    from resume_ner.backbones import resolve_backbone
    from resume_ner.corpus.splits import fold_ids
    from resume_ner.tagging import encode_documents

    train = corpus.subset(fold_ids(folds, corpus, 0)[0])
    backbone = resolve_backbone(settings.backbone, texts=[doc.text for doc in train], cache_dir=tmp_path / "backbones")
    tokens = settings.tokenization
    encoded = encode_documents(
        train,
        AutoTokenizer.from_pretrained(backbone),
        LabelSchema.from_dict(schema),
        tokens.max_length,
        tokens.training_stride,
        tokens.subtoken_policy,
    )
    return sum(len(doc.windows) for doc in encoded.values())


@pytest.mark.slow
def test_the_calibration_counts_training_windows_cut_with_the_training_stride(tmp_path):
    corpus, folds, schema = first_documents(20)

    def measured(**tokenization) -> Calibration:
        base = tiny_training_base()
        settings = TrainingSettings.model_validate({**base, "tokenization": {**base["tokenization"], **tokenization}})
        return calibrate(corpus, folds, schema, settings, tmp_path / "backbones", threads=1)

    overlapping, trained_without = measured(), measured(train_stride=0)
    assert trained_without.train_tokens_per_epoch < overlapping.train_tokens_per_epoch
    assert trained_without.validation_tokens == overlapping.validation_tokens  # validation keeps the overlap
    # Refit trains on the validation documents too, without overlap: fewer tokens than they validate with.
    assert trained_without.train_tokens_per_epoch < trained_without.all_training_tokens
    assert trained_without.all_training_tokens < trained_without.train_tokens_per_epoch + overlapping.validation_tokens


def test_the_calibration_waits_for_other_work_after_warming_up_and_before_it_times_anything(tmp_path, monkeypatch):
    """The preloaded server imports beside the run's first steps; the calibration waits for it (``before_timing``)
    once its untimed work is done, so the server's imports neither slow nor count in a timed sample."""
    from resume_ner.training import loop

    corpus, folds, schema = first_documents(20)
    settings = TrainingSettings.model_validate(tiny_training_base())
    passes: list[str] = []
    real_run_loop = loop.run_loop

    def counted_run_loop(*args, **kwargs):
        passes.append("train")
        return real_run_loop(*args, **kwargs)

    def wait_for_the_server() -> None:
        passes.append("wait")
        time.sleep(0.3)

    monkeypatch.setattr(loop, "run_loop", counted_run_loop)
    measured = calibrate(corpus, folds, schema, settings, tmp_path / "backbones", 1, 0.0, wait_for_the_server)
    # One untimed warm-up pass, the wait, then the timed sample (a floor of 0 s: exactly one).
    assert passes == ["train", "wait", "train"]
    assert 0.3 <= measured.waited_seconds < measured.seconds
    assert "0.3 s of it waiting for the preloaded server" in plan(measured).describe()
    assert "waiting" not in plan(dataclasses.replace(measured, waited_seconds=0.0)).describe()
