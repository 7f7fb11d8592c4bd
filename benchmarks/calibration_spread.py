"""How steady is this machine's training speed, and how many calibration samples make a plan that holds?

``plan_study`` sizes a study from the training loop's tokens per second, timed in samples of
``planning.SAMPLE_BATCHES`` batches of the first fold's windows until ``planning.MIN_TIMED_SECONDS`` of training
were timed. This script runs that calibration (``tuning.planning.calibrate``, the plan's own code) ``--repeats``
times with a long floor (``--seconds``), so each run times many consecutive samples, and reports for k = 1, 2, ...
consecutive samples how far their rate strays from the rate over the whole run: the error a plan made from k
samples would carry on a machine whose speed wanders like this one's while it trains for minutes.

The corpus (default ``../shared/data/dotin_resume_ner/train.json``) is split as ``data_processing`` splits it
(``conf/base/parameters_data_processing.yml``); the settings are the study's first trial's, as ``plan_study``
calibrates them: ``training.base`` from ``conf/base/parameters.yml`` with the recommended values of the search-space
preset its backbone picks (``conf/base/parameters_hpo.yml``).

Usage (from the project root, with the project's virtualenv; nothing else heavy running):

    .venv/bin/python benchmarks/calibration_spread.py                    # 3 runs of 60 s of timed samples, ~4 min
    .venv/bin/python benchmarks/calibration_spread.py --corpus data/01_raw/synthetic_resumes.json --repeats 2
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import yaml
from machine import machine_info, write_figures  # benchmarks/machine.py

from resume_ner.corpus.labels import LabelSchema
from resume_ner.corpus.overlap import pipeline_splits, read_parameters
from resume_ner.corpus.reading import read_corpus
from resume_ner.execution.steps import TrainingParameters
from resume_ner.pipelines.hpo.nodes import prepare_study
from resume_ner.tuning import planning
from resume_ner.tuning.study import HpoParameters

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "dotin_resume_ner" / "train.json"


def conf(name: str) -> dict:
    return yaml.safe_load((ROOT / "conf" / "base" / name).read_text(encoding="utf-8"))


def deviations(runs: list[list[float]], k: int) -> list[float]:
    """Every window of ``k`` consecutive samples of every run: its rate over the run's rate, minus 1.

    A sample's rate is its tokens over its seconds; samples hold the same number of windows, so the rate of k of
    them is close to the harmonic mean of theirs, and the run's the harmonic mean of all."""
    found: list[float] = []
    for rates in runs:
        whole = statistics.harmonic_mean(rates)
        found.extend(statistics.harmonic_mean(rates[i : i + k]) / whole - 1 for i in range(len(rates) - k + 1))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0, help="timed training per run")
    parser.add_argument(
        "--json", type=Path, default=ROOT / "data" / "08_reporting" / "benchmarks" / "calibration_spread.json"
    )
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        raise SystemExit(f"{args.corpus} does not exist; pass --corpus")

    splits = pipeline_splits(read_corpus(args.corpus), read_parameters())
    schema = LabelSchema.from_corpus(splits.corpus).to_dict()
    hpo = HpoParameters.model_validate(conf("parameters_hpo.yml")["hpo"])
    training = TrainingParameters.model_validate(conf("parameters.yml")["training"])
    runs: list[list[float]] = []
    seconds_per_sample: list[float] = []
    with tempfile.TemporaryDirectory() as workspace:
        spec = prepare_study(splits.corpus, splits.folds, schema, Path(workspace), hpo, training)
        settings = spec.first_trial_settings(training.base)
        for repeat in range(1, args.repeats + 1):
            backbones, threads = spec.workspace / "backbones", training.environment.threads
            measured = planning.calibrate(
                splits.corpus, splits.folds, schema, settings, backbones, threads, min_timed_seconds=args.seconds
            )
            rates = list(measured.sample_tokens_per_second)
            runs.append(rates)
            seconds_per_sample.append(args.seconds / len(rates))  # each timed until the floor: close enough
            print(
                f"run {repeat}: {measured.train_tokens_per_second:,.0f} tokens/s over {len(rates)} samples "
                f"({min(rates):,.0f}-{max(rates):,.0f}): {', '.join(f'{rate:,.0f}' for rate in rates)}",
                flush=True,
            )
    per_sample, floor = statistics.mean(seconds_per_sample), planning.MIN_TIMED_SECONDS
    windows_per_sample = settings.optimization.batch_size * planning.SAMPLE_BATCHES
    print(
        f"\n{args.corpus.name}, {planning.describe_backbone(settings)}, batch {settings.optimization.batch_size} x "
        f"{planning.SAMPLE_BATCHES} batches ({windows_per_sample} windows) per sample, about {per_sample:.1f} s each; "
        f"the shipped floor ({floor:g} s) times about {max(1, -(-floor // per_sample)):.0f}"
    )
    print(f"{'samples':>7} {'cases':>7} {'lowest':>8} {'highest':>8} {'90% within':>11}")
    table = []
    for k in range(1, min(len(rates) for rates in runs) // 2 + 1):
        found = deviations(runs, k)
        row = {
            "samples": k,
            "cases": len(found),
            "lowest": min(found),
            "highest": max(found),
            "p90_abs": sorted(abs(d) for d in found)[int(0.9 * (len(found) - 1))],
        }
        table.append(row)
        print(
            f"{k:>7} {len(found):>7} {row['lowest']:>+8.1%} {row['highest']:>+8.1%} {row['p90_abs']:>10.1%}",
        )
    write_figures(
        args.json,
        {
            "machine": machine_info(),
            "corpus": str(args.corpus),
            "settings": settings.model_dump(mode="json"),
            "seconds_per_run": args.seconds,
            "shipped_min_timed_seconds": planning.MIN_TIMED_SECONDS,
            "runs": runs,
            "table": table,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
