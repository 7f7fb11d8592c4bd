"""The study's plan: before any trial starts, what the study will train and how long that takes on this machine.

``calibrate`` measures, in the hpo process, what a fold costs here: the training loop's own tokens per second on
samples of the first fold's real windows (``training.loop.run_loop``, the code the children run; at least
``MIN_TIMED_SECONDS`` of timed training, so that one fast or slow moment does not set the plan), the seconds
per validation token of ``training.loop.evaluate`` on a sample of its validation documents, and the backbone's
loading time; and it counts the tokens of the first fold's windows. ``make_plan`` turns that and the hpo
parameters into the plan: seconds per fold and per trial (epochs at the search space's mean, unpruned, so a
pruned trial costs less), and with ``hpo.budget_minutes`` how many trials fit and the timeout that ends the study
within budget (no trial starts after it, one trial before the budget's end, so the last one started is expected
to finish within the budget). The plan is logged, saved (``study_plan``) and recorded on the study and its MLflow
run; after the study, ``actual`` adds the minutes it took and the seconds per complete trial.
"""

from __future__ import annotations

import gc
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import optuna

from resume_ner.corpus.documents import Corpus
from resume_ner.corpus.labels import LabelSchema
from resume_ner.corpus.splits import fold_ids
from resume_ner.logs import quiet_transformers
from resume_ner.training.config import TrainingSettings

logger = logging.getLogger(__name__)

# What starting a fold's child costs besides loading the model (benchmarks/launch_overhead.py: launch -> ready to
# train with the data read, 2-core CPU): a fork of the preloaded server, or a fresh interpreter importing torch.
LAUNCH_SECONDS = {"preloaded": 0.5, "process": 4.0}
SAMPLE_BATCHES = 6  # training batches per sample; the first sample is trained twice: once to warm up, once timed
# Further samples of other windows are timed until this much training was timed (or the fold's windows run out).
# A 2-core machine's speed wanders: on dotin one 3.8-second sample read from 12% below to 30% above the rate of the
# minute around it (a plan that read high put a study at 127% of it), four in a row within 9%
# (benchmarks/calibration_spread.py).
MIN_TIMED_SECONDS = 12.0
SAMPLE_VALIDATION_DOCUMENTS = 8


@dataclass(frozen=True)
class Calibration:
    """What a fold costs on this machine, measured on the first fold's documents."""

    device: str
    train_tokens_per_second: float  # over every timed sample
    evaluation_seconds_per_token: float  # scoring validation documents after an epoch: forward, decoding, metrics
    model_load_seconds: float
    train_tokens_per_epoch: int  # tokens in the first fold's training windows
    validation_tokens: int  # tokens in its validation windows
    all_training_tokens: int  # every training document's (what refit trains on per epoch)
    seconds: float  # the calibration itself
    sample_tokens_per_second: tuple[float, ...] = ()  # each timed sample's, in order: how steady the machine was
    waited_seconds: float = 0.0  # before timing, for the work ``before_timing`` waits on (the preloaded server)


def calibrate(
    corpus: Corpus,
    folds: dict,
    label_schema: dict,
    settings: TrainingSettings,
    backbone_cache_dir: Path,
    threads: int | None = None,
    min_timed_seconds: float = MIN_TIMED_SECONDS,
    before_timing: Callable[[], object] | None = None,
    corpus_file: Path | None = None,
    encoding_cache_dir: Path | None = None,
) -> Calibration:
    """Measure a fold's costs with ``settings`` (``training.base`` with the base trial's values) on this machine,
    timing training samples until ``min_timed_seconds`` of training were timed.

    With the study's corpus snapshot (``corpus_file``) and encoding cache, the documents are read and encoded
    through that cache as a fold's child reads them (``training.encodings``): the study's first fold then finds
    its corpus and windows made, instead of making them again while the study waits.

    ``before_timing`` is called once the untimed work is done (reading, tokenising, loading, warming up), just
    before the first timed sample: it waits for whatever else was using the CPU (the preloaded server's imports,
    started beside the run's earlier work), so that work neither slows nor is counted in the timed samples."""
    with quiet_transformers(), _callers_heap_frozen():
        return _calibrate(
            corpus,
            folds,
            label_schema,
            settings,
            backbone_cache_dir,
            threads,
            min_timed_seconds,
            before_timing,
            corpus_file,
            encoding_cache_dir,
        )


@contextmanager
def _callers_heap_frozen() -> Iterator[None]:
    """The cyclic garbage collector leaves the caller's objects alone while the calibration runs.

    A fold trains in a child forked from the preloaded server, whose heap is small; the kedro process that
    calibrates holds the corpus, the catalog and MLflow. Collections walking them cost a fifth of the training
    loop's speed there (dotin: 4,000-4,700 tokens/s measured against the children's 5,700), so the study ran
    78% of its plan. Frozen objects are skipped by every collection; unfreezing hands them back unchanged (garbage
    among them included, collected later as usual).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _calibrate(
    corpus: Corpus,
    folds: dict,
    label_schema: dict,
    settings: TrainingSettings,
    backbone_cache_dir: Path,
    threads: int | None,
    min_timed_seconds: float,
    before_timing: Callable[[], object] | None,
    corpus_file: Path | None,
    encoding_cache_dir: Path | None,
) -> Calibration:
    import torch
    from transformers import AutoTokenizer

    from resume_ner.backbones import resolve_backbone
    from resume_ner.training.encodings import encode_cached, read_corpus_cached
    from resume_ner.training.loop import LoopSettings, evaluate, run_loop
    from resume_ner.training.model import load_model, resolve_device, resolve_precision

    started = time.perf_counter()
    previous_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        corpus_key = None
        if corpus_file is not None and encoding_cache_dir is not None:
            corpus, corpus_key = read_corpus_cached(corpus_file, "json", encoding_cache_dir)
        train_ids, validation_ids = fold_ids(folds, corpus, 0)
        train, validation = corpus.subset(train_ids), corpus.subset(validation_ids)
        schema = LabelSchema.from_dict(label_schema)
        backbone = resolve_backbone(settings.backbone, texts=[doc.text for doc in train], cache_dir=backbone_cache_dir)
        tokenizer = AutoTokenizer.from_pretrained(backbone)
        tokens = settings.tokenization

        def encode(stride):
            """Every document of the fold cut with ``stride``, as the fold's child cuts them (the same cache entry)."""
            encoded, _ = encode_cached(
                [*train, *validation], tokenizer, backbone, schema, tokens, stride, corpus_key, encoding_cache_dir
            )
            return encoded

        training_cut = encode(tokens.training_stride)
        validation_cut = training_cut if tokens.training_stride == tokens.stride else encode(tokens.stride)
        train_windows = [window for doc in train for window in training_cut[doc.id].windows]
        validation_encoded = [validation_cut[doc.id] for doc in validation]
        train_tokens = sum(len(window) for window in train_windows)
        validation_tokens = sum(len(window) for doc in validation_encoded for window in doc.windows)
        # Refit trains on the validation documents too, cut as training cuts them.
        validation_training_tokens = sum(len(window) for doc in validation for window in training_cut[doc.id].windows)

        device = resolve_device(settings.device, torch.cuda.is_available())
        load_started = time.perf_counter()
        model = load_model(backbone, schema, settings.optimization.dropout, settings.optimization.attention_dropout)
        model_load_seconds = time.perf_counter() - load_started
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        loop = LoopSettings(settings, schema, device, resolve_precision(settings.precision, device), pad_id)
        one_epoch = settings.model_copy(update={"optimization": settings.optimization.model_copy(update={"epochs": 1})})
        one_epoch_loop = LoopSettings(one_epoch, schema, device, loop.autocast_dtype, pad_id)
        shuffled = random.Random(0).sample(train_windows, len(train_windows))
        size = settings.optimization.batch_size * SAMPLE_BATCHES
        samples = [shuffled[start : start + size] for start in range(0, len(shuffled), size)]

        def train_on(sample):
            def ignore(*args, **kwargs) -> None:
                return None

            return run_loop(model, sample, [], one_epoch_loop, ignore, ignore, ignore, lambda: False)

        # The first pass meets each batch shape for the first time (allocations, kernel choices): a whole epoch
        # meets them once, so the first sample is trained again before anything is timed.
        train_on(samples[0])
        waited_seconds = 0.0
        if before_timing is not None:
            waiting_started = time.perf_counter()
            before_timing()
            waited_seconds = time.perf_counter() - waiting_started
        timed_tokens, timed_seconds, rates = 0, 0.0, []
        for sample in samples:
            measured = train_on(sample)
            timed_tokens += measured.train_tokens
            timed_seconds += measured.train_seconds
            rates.append(measured.train_tokens / max(measured.train_seconds, 1e-9))
            if timed_seconds >= min_timed_seconds:
                break
        sample_documents = validation_encoded[:SAMPLE_VALIDATION_DOCUMENTS]
        sample_tokens = sum(len(window) for doc in sample_documents for window in doc.windows)
        evaluation_started = time.perf_counter()
        if sample_documents:
            evaluate(model, sample_documents, loop)
        evaluation_seconds = time.perf_counter() - evaluation_started
    finally:
        torch.set_num_threads(previous_threads)
    return Calibration(
        device=str(device),
        train_tokens_per_second=timed_tokens / max(timed_seconds, 1e-9),
        evaluation_seconds_per_token=evaluation_seconds / max(1, sample_tokens),
        model_load_seconds=model_load_seconds,
        train_tokens_per_epoch=train_tokens,
        validation_tokens=validation_tokens,
        all_training_tokens=train_tokens + validation_training_tokens,
        seconds=time.perf_counter() - started,
        sample_tokens_per_second=tuple(rates),
        waited_seconds=waited_seconds,
    )


@dataclass(frozen=True)
class StudyPlan:
    """What the study will run and the minutes it should take (see the module's docstring)."""

    backbone: str
    device: str
    launch_mode: str
    folds: int
    epochs_cap: int
    expected_epochs: float  # the mean of the epochs dimension: what an unpruned trial trains per fold
    pruner: str
    budget_minutes: float | None
    seconds_per_fold: float
    seconds_per_trial: float
    planned_trials: int  # unpruned trials that start before the timeout (or n_trials)
    n_trials: int | None  # what the study runs: the cap (hpo.n_trials) ...
    timeout_seconds: float | None  # ... and no trial starts after this
    estimated_minutes: float  # the study's wall time
    refit_minutes: float  # one training run on every training document at the epoch cap (refit, final training)
    calibration: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def over_budget(self) -> str | None:
        """A warning when the budget fits no whole trial: the study still runs one, and overruns the budget."""
        if self.budget_minutes is None or self.planned_trials != 1:
            return None
        if self.estimated_minutes <= self.budget_minutes:
            return None
        return (
            f"The {self.budget_minutes:g}-minute study budget fits no whole trial here: the first takes about "
            f"{self.estimated_minutes:.1f} min, and the study runs it anyway. For a search, raise "
            f"hpo.budget_minutes; to stay within it, lower hpo.folds or the epochs."
        )

    def describe(self) -> str:
        calibration = self.calibration
        limits = [f"at most {self.n_trials} trial(s)"] if self.n_trials else []
        if self.timeout_seconds is not None:
            limits.append(f"none starting after {self.timeout_seconds / 60:.1f} min")
        budget = f"budget {self.budget_minutes:g} min: " if self.budget_minutes is not None else ""
        trials = f"{budget}about {self.planned_trials} unpruned trial(s) ({', '.join(limits)})"
        return (
            f"Study plan: {self.backbone} on {self.device} ({self.launch_mode}); {self.folds} fold(s) x "
            f"{self.expected_epochs:g} epoch(s) on average (cap {self.epochs_cap}), pruner {self.pruner}; "
            f"{calibration['train_tokens_per_epoch']:,} training tokens per fold epoch at "
            f"{calibration['train_tokens_per_second']:,.0f} tokens/s{_spread(calibration)} -> about "
            f"{self.seconds_per_trial / 60:.1f} min "
            f"per trial; {trials}; study about {self.estimated_minutes:.1f} min, then refit and final training "
            f"about {self.refit_minutes:.1f} min each (calibration took {calibration['seconds']:.1f} s"
            f"{_waited(calibration)})"
        )


def _spread(calibration: dict[str, Any]) -> str:
    """`` (4 samples, 2,900-3,300)``: how steady this machine was while it was measured."""
    rates = calibration.get("sample_tokens_per_second") or ()
    if len(rates) < 2:
        return ""
    return f" ({len(rates)} samples, {min(rates):,.0f}-{max(rates):,.0f})"


def _waited(calibration: dict[str, Any]) -> str:
    """``, 2.1 s of it waiting for the preloaded server``, where the calibration waited a tenth of a second or more."""
    waited = calibration.get("waited_seconds") or 0.0
    return f", {waited:.1f} s of it waiting for the preloaded server" if waited >= 0.1 else ""


def describe_backbone(settings: TrainingSettings) -> str:
    backbone = settings.backbone
    if backbone.num_layers is not None:
        return f"{backbone.name} ({backbone.num_layers} layers)"
    return backbone.name


def make_plan(
    calibration: Calibration,
    *,
    settings: TrainingSettings,
    launch_mode: str,
    folds: int,
    epochs_cap: int,
    expected_epochs: float,
    pruner: str,
    budget_minutes: float | None,
    n_trials: int | None,
    timeout_seconds: float | None,
    first_trial_epochs: float | None = None,
) -> StudyPlan:
    """The plan for ``calibration``'s costs; ``n_trials`` and ``timeout_seconds`` are the user's caps, kept
    when a budget is given (the earlier limit wins). ``first_trial_epochs``: the epochs of a configuration queued
    as the first trial (on a resumed study it already ran, and the estimate is a little high)."""
    launch = LAUNCH_SECONDS.get(launch_mode, LAUNCH_SECONDS["process"]) + calibration.model_load_seconds
    per_epoch = (
        calibration.train_tokens_per_epoch / calibration.train_tokens_per_second
        + calibration.validation_tokens * calibration.evaluation_seconds_per_token
    )
    per_fold = launch + expected_epochs * per_epoch
    per_trial = folds * per_fold
    first_trial = None if first_trial_epochs is None else folds * (launch + first_trial_epochs * per_epoch)
    if budget_minutes is not None:
        # Optuna starts a trial only before the timeout, and that trial runs to its end: a trial may start only
        # while one is expected to fit in what is left. (Half a trial early ended on budget on average, but a
        # 6-minute budget whose first trial ended just before that timeout ran a second: 8.9 minutes.)
        budget_timeout = max(1.0, budget_minutes * 60 - per_trial)
        timeout_seconds = budget_timeout if timeout_seconds is None else min(timeout_seconds, budget_timeout)
    trials, seconds = schedule(per_trial, n_trials, timeout_seconds, first_trial)
    # Refit trains the best trial's epochs, unknown yet: the cap, an upper bound.
    refit = launch + epochs_cap * calibration.all_training_tokens / calibration.train_tokens_per_second
    return StudyPlan(
        backbone=describe_backbone(settings),
        device=calibration.device,
        launch_mode=launch_mode,
        folds=folds,
        epochs_cap=epochs_cap,
        expected_epochs=expected_epochs,
        pruner=pruner,
        budget_minutes=budget_minutes,
        seconds_per_fold=per_fold,
        seconds_per_trial=per_trial,
        planned_trials=trials,
        n_trials=n_trials,
        timeout_seconds=timeout_seconds,
        estimated_minutes=seconds / 60,
        refit_minutes=refit / 60,
        calibration=asdict(calibration),
    )


def schedule(
    per_trial: float, n_trials: int | None, timeout_seconds: float | None, first_trial: float | None = None
) -> tuple[int, float]:
    """(trials, seconds) of unpruned trials run one after another: each starts when the one before ends, while
    that is before the timeout, until ``n_trials`` have run; the first takes ``first_trial`` seconds when given
    (the recommended configuration, queued first, trains its own epochs)."""
    if n_trials is None and timeout_seconds is None:
        raise ValueError("a study needs n_trials or a timeout")
    count, elapsed = 0, 0.0
    while (n_trials is None or count < n_trials) and (
        count == 0 or timeout_seconds is None or elapsed < timeout_seconds
    ):
        elapsed += first_trial if count == 0 and first_trial is not None else per_trial
        count += 1
    return count, elapsed


def actual(plan: dict[str, Any], study: optuna.Study, started: datetime, wall_seconds: float) -> dict[str, Any]:
    """The plan with what happened in this run of the study: its minutes and its complete trials' seconds."""
    trials = [
        trial
        for trial in study.get_trials(deepcopy=False)
        if trial.datetime_start is not None and trial.datetime_start >= started and trial.datetime_complete
    ]
    complete = [
        (trial.datetime_complete - trial.datetime_start).total_seconds()  # type: ignore[operator]
        for trial in trials
        if trial.state == optuna.trial.TrialState.COMPLETE
    ]
    return {
        **plan,
        "actual_minutes": wall_seconds / 60,
        "actual_trials": len(trials),
        "actual_complete_trials": len(complete),
        "actual_seconds_per_complete_trial": sum(complete) / len(complete) if complete else None,
        "actual_to_planned_minutes": (wall_seconds / 60) / plan["estimated_minutes"]
        if plan.get("estimated_minutes")
        else None,
    }
