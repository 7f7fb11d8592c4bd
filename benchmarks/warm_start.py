"""The final model from scratch or warm-started from refit's (``final_training.run.init``), scored on resumes
neither saw.

The final model trains on every labelled document, so nothing in the project can score it. This benchmark keeps a
slice of the dotin resumes aside: the hold-out set ``data_processing`` makes of the whole corpus. On the rest it
does what the pipelines do: ``data_processing`` splits it again (an inner hold-out set and folds), refit trains on
the inner training documents (fold ``all``) and is scored on the inner hold-out set (its estimate of the final
model's quality), and the final model trains on all of the rest (fold ``all_with_holdout``) either from the
backbone for the same epochs as refit (``scratch``) or from refit's checkpoint for a few epochs at a lower learning
rate (``warm``). Every model is then scored on the kept-aside slice: character-span strict and relaxed micro F1,
Viterbi decoding, as ``benchmarks/dotin_quality.py`` scores. Training runs the training program in child
processes with ``training.base`` from ``conf/base/parameters.yml``.

Usage (from the project root, with the project's virtualenv; nothing else heavy running; ~12 min on 2 cores):

    .venv/bin/python benchmarks/warm_start.py
    .venv/bin/python benchmarks/warm_start.py --warm 1:0.3 --warm 2:0.3   # EPOCHS:LEARNING_RATE_FACTOR

Writes the figures as JSON (``--json``, default ``data/08_reporting/benchmarks/warm_start.json``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from dotin_quality import (  # benchmarks/dotin_quality.py
    DEFAULT_CORPUS,
    ROOT,
    base_settings,
    score,
    train,
    write_training_inputs,
)
from machine import machine_info, write_figures  # benchmarks/machine.py

from resume_ner.corpus.overlap import pipeline_splits, read_parameters
from resume_ner.corpus.reading import read_corpus
from resume_ner.training.config import with_overrides

DECODING = "viterbi"


def parse_warm(text: str) -> tuple[int, float]:
    epochs, _, factor = text.partition(":")
    return int(epochs), float(factor or 0.3)


def strict_and_relaxed(scores: dict) -> dict:
    chosen = scores[DECODING]
    return {
        "strict_f1": chosen["strict"]["micro_f1"],
        "relaxed_f1": chosen["relaxed"]["micro_f1"],
        "per_type_strict_f1": {label: row["f1"] for label, row in chosen["strict"]["per_entity"].items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--warm", action="append", default=[], help="EPOCHS:LEARNING_RATE_FACTOR (repeatable)")
    parser.add_argument("--json", type=Path, default=ROOT / "data" / "08_reporting" / "benchmarks" / "warm_start.json")
    parser.add_argument("--keep", type=Path, help="keep the run folders here")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        raise SystemExit(f"{args.corpus} does not exist; pass --corpus")
    warm_variants = [parse_warm(text) for text in args.warm] or [(1, 0.3), (2, 0.3)]

    parameters = read_parameters()
    outer = pipeline_splits(read_corpus(args.corpus), parameters)
    aside = outer.corpus.subset(outer.holdout_split["holdout"])
    rest = outer.corpus.subset(outer.holdout_split["train"])
    inner = pipeline_splits(rest, parameters)
    inner_holdout = inner.corpus.subset(inner.holdout_split["holdout"])
    print(
        f"{args.corpus}: {len(outer.corpus)} documents; {len(aside)} kept aside; of the other {len(rest)}, refit "
        f"trains on {len(inner.holdout_split['train'])} and is scored on {len(inner_holdout)}, final trains on all"
    )
    settings = base_settings()
    figures: dict = {
        "machine": machine_info(),
        "corpus": str(args.corpus),
        "kept_aside_documents": len(aside),
        "refit_documents": len(inner.holdout_split["train"]),
        "final_documents": len(rest),
        "settings": settings,
        "decoding": DECODING,
        "models": {},
    }
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        inputs = write_training_inputs(inner.corpus, inner.folds, folder)

        def record(name: str, checkpoint: Path, wall: float, metrics: dict, **extra) -> None:
            figures["models"][name] = {
                "train_wall_seconds": wall,
                "train_documents": metrics["train_documents"],
                "epochs": metrics["epochs_run"],
                "kept_aside": strict_and_relaxed(score(checkpoint, aside)),
                **extra,
            }
            row = figures["models"][name]
            print(
                f"{name:<22} {row['train_documents']:>5} docs {row['epochs']:>2} ep {wall:>6.0f} s   kept aside: "
                f"strict {row['kept_aside']['strict_f1']:.3f} relaxed {row['kept_aside']['relaxed_f1']:.3f}",
                flush=True,
            )

        refit_checkpoint, wall, metrics = train(settings, inputs, folder / "refit", fold="all")
        estimate = strict_and_relaxed(score(refit_checkpoint, inner_holdout))
        record("refit", refit_checkpoint, wall, metrics, inner_holdout=estimate)
        print(f"{'':<22} refit's estimate on the inner hold-out set: strict {estimate['strict_f1']:.3f}")
        checkpoint, wall, metrics = train(settings, inputs, folder / "scratch", fold="all_with_holdout")
        record("final scratch", checkpoint, wall, metrics)
        learning_rate = settings["optimization"]["learning_rate"]
        for epochs, factor in warm_variants:
            warm_settings = with_overrides(
                settings, {"optimization.epochs": epochs, "optimization.learning_rate": learning_rate * factor}
            )
            name = f"final warm {epochs} ep x{factor}"
            checkpoint, wall, metrics = train(
                warm_settings,
                inputs,
                folder / f"warm-{epochs}-{factor}",
                fold="all_with_holdout",
                init_checkpoint=str(refit_checkpoint),
            )
            # Refit runs in every main job anyway, so its time is not the warm start's cost.
            record(name, checkpoint, wall, metrics, warm_epochs=epochs, learning_rate_factor=factor)
    write_figures(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
