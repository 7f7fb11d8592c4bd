"""Launch overhead: a fresh interpreter per run (``process``) against a fork of a preloaded server (``preloaded``).

Both launch modes of ``resume_ner.execution`` run the same training program on the same inputs, side by side in
one run, through ``execute_training`` as hyper-parameter search does:

1. Per-launch overhead, over ``--launches`` launches per mode (default 10), alternating process / preloaded so
   that machine noise hits both alike:

   - launch -> first event: from ``execute_training`` starting the child until the parent sees the child's first
     progress event ("started", written right after the program parsed its config, before its heavy imports),
     i.e. ``TrainingResult.first_event_seconds``;
   - launch -> data_ready: wall time in the parent from just before ``execute_training`` until the "data_ready"
     event arrives (``time.monotonic`` in the ``on_event`` callback). The process mode imports torch and
     transformers *after* "started", so this is the honest "ready to train" overhead.

   These launches stop at "data_ready" (the callback returns True, ``execute_training`` SIGTERMs the child and
   the result is "stopped"), so they cost no training. Median, min and max are printed for both figures.
2. Whole-fold wall time: ``--folds`` complete 1-epoch runs per mode (fold k in process mode, then fold k in
   preloaded mode), ``TrainingResult.wall_seconds`` from launch to exit; median per mode and the ratio.

The preloaded server is started once (``PreloadedLauncher.warm_up``) before any timed launch; that one-time
start-up is reported on its own. Before timing, one process-mode launch per fold (stopped at "data_ready") builds
the tiny-bert backbone of each fold and warms the file cache, and one preloaded launch warms the fork path; these
warm-up launches are recorded but not in the figures. Events are polled every 20 ms (``execute_training``'s
default), which bounds the resolution of the launch figures.

Targets: preloaded launch -> first event under 0.5 s, and at least 5x below process (ratio of medians).
Settings: tiny-bert backbone (hidden 64, intermediate 128), max_length 64, stride 16, fp32, batch 16, on a
synthetic corpus of ``--documents`` (default 60) documents, 20 % held out, k = max(2, --folds) folds.

Usage (from the project root, with the project's virtualenv):

    .venv/bin/python benchmarks/launch_overhead.py                       # 10 launches, 2 folds per mode
    .venv/bin/python benchmarks/launch_overhead.py --launches 20 --json launch.json

Run folders go to a temporary folder that is removed at the end, unless ``--output-dir`` names one (kept).
The machine may be shared: compare the ratios, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from machine import machine_info, write_figures  # benchmarks/machine.py

from resume_ner.execution import (
    LaunchSettings,
    PreloadedLauncher,
    ProcessLauncher,
    RunInputs,
    RunPurpose,
    build_training_command,
    build_training_config,
    build_training_env,
    execute_training,
    write_run_config,
    write_run_inputs,
)
from resume_ner.training.config import TrainingSettings
from resume_ner.training.protocol import STDERR_FILE, Event

TARGET_FIRST_EVENT_SECONDS = 0.5  # preloaded launch -> first event, median, below
TARGET_FIRST_EVENT_RATIO = 5.0  # process / preloaded launch -> first event (medians), at least
MODES = ("process", "preloaded")
RUN_TIMEOUT_SECONDS = 900.0

BASE = {
    "backbone": {"name": "tiny-bert", "tiny": {"hidden_size": 64, "intermediate_size": 128}},
    "tokenization": {"max_length": 64, "stride": 16},
    "optimization": {"learning_rate": 0.003, "batch_size": 16, "epochs": 1, "warmup_ratio": 0.0},
    "precision": "fp32",
    "device": "cpu",
}


# --------------------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/launch_overhead.py",
        description="Launch the training program in both launch modes (fresh process, preloaded fork server), "
        "alternating, and compare launch -> first event, launch -> data_ready and whole-fold wall time.",
    )
    parser.add_argument(
        "--launches",
        type=int,
        default=10,
        help="timed launches per mode, each stopped at data_ready (default %(default)s, at least 10 "
        "for the figures the targets refer to)",
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=2,
        help="complete 1-epoch folds per mode for the whole-fold wall time (default %(default)s; 0 skips them)",
    )
    parser.add_argument("--documents", type=int, default=60, help="synthetic corpus size (default %(default)s)")
    parser.add_argument(
        "--threads", type=int, default=2, help="torch threads of each child (OMP/MKL_NUM_THREADS), default %(default)s"
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        help="folder for inputs and run folders, kept afterwards (default: a temporary folder, removed at the end)",
    )
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this JSON file")
    args = parser.parse_args(argv)
    if args.launches < 1:
        parser.error("--launches must be at least 1")
    if args.folds < 0:
        parser.error("--folds must be at least 0")
    if args.documents < 20:
        parser.error("--documents must be at least 20")
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    return args


# --------------------------------------------------------------------------------------------------------------
# Inputs and run configs
# --------------------------------------------------------------------------------------------------------------


def prepare_inputs(root: Path, documents: int, n_folds: int) -> RunInputs:
    """A synthetic corpus with its near-duplicate groups, holdout and folds, written once for every run."""
    from resume_ner.corpus.labels import LabelSchema
    from resume_ner.corpus.near_duplicates import near_duplicate_groups
    from resume_ner.corpus.splits import make_folds, split_holdout
    from resume_ner.synthetic import generate_corpus

    corpus = generate_corpus(documents, seed=5)
    groups = {"corpus_fingerprint": corpus.fingerprint(), "groups": near_duplicate_groups(corpus)}
    folds = make_folds(corpus, groups, split_holdout(corpus, groups, 0.2, seed=1), n_folds, seed=1)
    return write_run_inputs(root / "study", corpus, folds, LabelSchema.from_corpus(corpus).to_dict())


def prepare_run(inputs: RunInputs, root: Path, name: str, trial: int, fold: int) -> tuple[list[str], Path]:
    """The command and run folder of fold ``fold`` of trial ``trial`` of study ``name`` (a folder of its own)."""
    config = build_training_config(
        TrainingSettings.model_validate(BASE),
        {},
        RunPurpose(kind="trial", name=name, trial=trial, fold=fold),
        inputs,
        root / "runs",
        root / "backbones",
    )
    return build_training_command(write_run_config(config), LaunchSettings()), Path(config.output_dir)


# --------------------------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------------------------


def timed_run(command: list[str], run_dir: Path, env: dict[str, str], launcher, stop_at_data_ready: bool) -> dict:
    """One run through ``execute_training``; the parent's arrival time of "started" and "data_ready"."""
    arrivals: dict[str, float] = {}
    child_elapsed: dict[str, float] = {}

    def on_event(event: dict) -> bool:
        kind = event.get("event")
        arrivals.setdefault(kind, time.monotonic())
        child_elapsed.setdefault(kind, event.get("elapsed"))
        return stop_at_data_ready and kind == Event.DATA_READY

    launched = time.monotonic()
    result = execute_training(
        command, env, run_dir, launcher=launcher, on_event=on_event, timeout_seconds=RUN_TIMEOUT_SECONDS
    )
    if Event.DATA_READY not in arrivals:
        raise SystemExit(
            f"{run_dir}: the run ended ({result.status}) without a data_ready event; see {run_dir / STDERR_FILE}"
        )
    return {
        "status": result.status,
        "first_event_seconds": result.first_event_seconds,
        "launch_to_data_ready_seconds": arrivals[Event.DATA_READY] - launched,
        # The child's own clock: seconds from opening its progress stream (just before "started") to data_ready.
        "child_data_ready_elapsed": child_elapsed[Event.DATA_READY],
        "wall_seconds": result.wall_seconds,
        "child_wall_seconds": (result.metrics or {}).get("wall_seconds"),
        "run_dir": str(run_dir),
    }


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if not numerator or not denominator else numerator / denominator


def summarise(launches: dict[str, list[dict]], folds: dict[str, list[dict]]) -> dict:
    summary: dict = {"modes": {}}
    for mode in MODES:
        figures = {
            "first_event_seconds": spread([run["first_event_seconds"] for run in launches[mode]]),
            "launch_to_data_ready_seconds": spread([run["launch_to_data_ready_seconds"] for run in launches[mode]]),
        }
        if folds[mode]:
            figures["fold_wall_seconds"] = spread([run["wall_seconds"] for run in folds[mode]])
        summary["modes"][mode] = figures

    def median_ratio(key: str) -> float | None:
        process, preloaded = summary["modes"]["process"], summary["modes"]["preloaded"]
        if key not in process:
            return None
        return ratio(process[key]["median"], preloaded[key]["median"])

    summary["ratio_first_event"] = median_ratio("first_event_seconds")
    summary["ratio_data_ready"] = median_ratio("launch_to_data_ready_seconds")
    summary["ratio_fold_wall"] = median_ratio("fold_wall_seconds")
    preloaded_first = summary["modes"]["preloaded"]["first_event_seconds"]["median"]
    summary["targets"] = {
        "preloaded_first_event_under_seconds": TARGET_FIRST_EVENT_SECONDS,
        "preloaded_first_event_met": preloaded_first < TARGET_FIRST_EVENT_SECONDS,
        "first_event_ratio_at_least": TARGET_FIRST_EVENT_RATIO,
        "first_event_ratio_met": (summary["ratio_first_event"] or 0) >= TARGET_FIRST_EVENT_RATIO,
    }
    return summary


# --------------------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------------------


def print_report(summary: dict, server_startup: float, settings: dict, machine: dict) -> None:
    print()
    print("Settings: " + ", ".join(f"{key}={value}" for key, value in settings.items()))
    print(
        f"Machine: {machine['usable_cpus']} usable CPU(s) of {machine['cpu_count']}, {machine['processor']}, "
        f"Python {machine['python']}, torch {machine['torch']}, transformers {machine['transformers']}"
    )
    print(f"Preloaded server start-up (once, warm_up()): {server_startup:.2f} s")
    print()
    rows = [
        ("launch -> first event", "first_event_seconds", "ratio_first_event"),
        ("launch -> data_ready", "launch_to_data_ready_seconds", "ratio_data_ready"),
        ("whole fold (1 epoch)", "fold_wall_seconds", "ratio_fold_wall"),
    ]
    header = (
        f"{'seconds':<28} | {'process median (min-max)':>26} | {'preloaded median (min-max)':>26} | "
        f"{'process/preloaded':>17}"
    )
    print(header)
    print("-" * len(header))
    modes = summary["modes"]
    for label, key, ratio_key in rows:
        if key not in modes["process"]:
            continue
        cells = []
        for mode in MODES:
            figure = modes[mode][key]
            cells.append(f"{figure['median']:.3f} ({figure['min']:.3f}-{figure['max']:.3f})")
        n = modes["process"][key]["n"]
        print(f"{label + f' [n={n}]':<28} | {cells[0]:>26} | {cells[1]:>26} | {summary[ratio_key]:>16.2f}x")
    targets = summary["targets"]
    preloaded_first = modes["preloaded"]["first_event_seconds"]["median"]
    print()
    print(
        f"preloaded launch -> first event {preloaded_first:.3f} s (target < {TARGET_FIRST_EVENT_SECONDS} s)  "
        f"{'MET' if targets['preloaded_first_event_met'] else 'MISSED'}"
    )
    print(
        f"process/preloaded launch -> first event {summary['ratio_first_event']:.2f}x "
        f"(target >= {TARGET_FIRST_EVENT_RATIO:g}x)  {'MET' if targets['first_event_ratio_met'] else 'MISSED'}"
    )
    print(
        f"process/preloaded launch -> data_ready {summary['ratio_data_ready']:.2f}x (information: the process "
        "mode imports torch and transformers after its first event, so this is the ready-to-train overhead)"
    )


# --------------------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    root = (args.output_dir or Path(tempfile.mkdtemp(prefix="launch-overhead-"))).resolve()
    root.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    try:
        n_folds = max(2, args.folds)
        inputs = prepare_inputs(root, args.documents, n_folds)
        env = build_training_env(threads=args.threads)
        launchers = {"process": ProcessLauncher(), "preloaded": PreloadedLauncher()}

        def run(mode: str, name: str, trial: int, fold: int, stop_at_data_ready: bool) -> dict:
            command, run_dir = prepare_run(inputs, root, name, trial, fold)
            return {"mode": mode, "fold": fold, **timed_run(command, run_dir, env, launchers[mode], stop_at_data_ready)}

        print(f"Run folders: {root}", flush=True)
        print(
            f"Warming up (untimed): one process launch per fold ({n_folds}, builds each fold's tiny-bert "
            "backbone), the preloaded server, one preloaded launch...",
            flush=True,
        )
        warm_up = [run("process", "warmup-process", fold, fold, True) for fold in range(n_folds)]
        started = time.monotonic()
        launchers["preloaded"].warm_up()
        server_startup = time.monotonic() - started
        warm_up.append(run("preloaded", "warmup-preloaded", 0, 0, True))
        print(f"  preloaded server start-up {server_startup:.2f} s", flush=True)

        launches: dict[str, list[dict]] = {mode: [] for mode in MODES}
        print(f"Timed launches, stopped at data_ready: {args.launches} per mode, alternating...", flush=True)
        for index in range(args.launches):
            for mode in MODES:
                launches[mode].append(run(mode, f"launch-{mode}", index, 0, True))
            print(
                f"  {index + 1}/{args.launches}: "
                + ", ".join(
                    f"{mode} first event {launches[mode][-1]['first_event_seconds']:.3f} s, data_ready "
                    f"{launches[mode][-1]['launch_to_data_ready_seconds']:.2f} s"
                    for mode in MODES
                ),
                flush=True,
            )

        folds: dict[str, list[dict]] = {mode: [] for mode in MODES}
        if args.folds:
            print(f"Whole folds (1 epoch, completed runs): {args.folds} per mode, alternating...", flush=True)
        for fold in range(args.folds):
            for mode in MODES:
                result = run(mode, f"fold-{mode}", 0, fold, False)
                if result["status"] != "completed":
                    raise SystemExit(f"fold {fold} in {mode} mode ended {result['status']}")
                folds[mode].append(result)
            print(
                f"  fold {fold}: " + ", ".join(f"{mode} {folds[mode][-1]['wall_seconds']:.1f} s" for mode in MODES),
                flush=True,
            )

        summary = summarise(launches, folds)
        machine = machine_info()
        settings = {
            "launches": args.launches,
            "folds": args.folds,
            "documents": args.documents,
            "threads": args.threads,
            "backbone": "tiny-bert(64/128)",
            "max_length": 64,
            "stride": 16,
            "precision": "fp32",
        }
        print_report(summary, server_startup, settings, machine)
        elapsed = time.perf_counter() - began
        print(f"\nBenchmark took {elapsed:.0f} s")
        if args.json is not None:
            results = {
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "settings": settings
                | {"config": BASE, "n_folds_in_splits": n_folds, "order": "alternating " + "/".join(MODES)},
                "machine": machine,
                "preloaded_server_startup_seconds": server_startup,
                "summary": summary,
                "warm_up_launches": warm_up,
                "launches": launches,
                "folds": folds,
                "benchmark_seconds": elapsed,
            }
            write_figures(args.json, results)
    finally:
        if args.output_dir is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
