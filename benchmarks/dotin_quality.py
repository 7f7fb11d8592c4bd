"""Model quality on real resumes: train on the dotin training documents, score on the hold-out set.

The corpus (default ``../shared/data/dotin_resume_ner/train.json``) is split exactly as ``data_processing`` splits
it with ``conf/base/parameters_data_processing.yml`` (near-duplicate groups kept together, 15% hold-out). Each
variant trains one model with the training program in a child process (``python -m resume_ner.training``, fold
``all``: every training document, no validation) from ``training.base`` in ``conf/base/parameters.yml`` with the
variant's settings on top, then predicts every hold-out resume from its raw text (``resume_ner.predict``) and
scores the predicted character spans against the annotated ones (``training.span_metrics``): strict (same start,
end and type) and relaxed (overlapping, same type), micro and per type. The same forward passes are decoded both
ways (argmax with BIO repair, and BIO-constrained Viterbi), so the decodings compare on one model; both trim the
edge punctuation the training spans leave out (``training.boundary_trim: learned``, ``tagging.boundaries``), and
are scored untrimmed too (``argmax-untrimmed``, ``viterbi-untrimmed``).

Usage (from the project root, with the project's virtualenv; nothing else heavy running):

    .venv/bin/python benchmarks/dotin_quality.py                          # the default variant, ~4 min on 2 cores
    .venv/bin/python benchmarks/dotin_quality.py --variant base= \\
        --variant lr1e-3=optimization.learning_rate=1e-3,optimization.epochs=4

A variant is ``NAME=key=value,key=value`` with dotted training-settings keys (values parsed as YAML); an empty
list of settings is ``training.base`` itself. Prints a table per variant and writes the figures as JSON
(``--json``, default ``data/08_reporting/benchmarks/dotin_quality.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from machine import machine_info, write_figures  # benchmarks/machine.py

from resume_ner.corpus.formats import write_json
from resume_ner.corpus.labels import LabelSchema
from resume_ner.corpus.overlap import pipeline_splits, read_parameters
from resume_ner.corpus.reading import read_corpus
from resume_ner.predict import Predictor
from resume_ner.tagging.decoding import DECODINGS
from resume_ner.training.config import with_overrides
from resume_ner.training.span_metrics import span_metrics

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "dotin_resume_ner" / "train.json"


def parse_variant(text: str) -> tuple[str, dict]:
    """``NAME=key=value,key=value`` -> (name, {dotted key: value})."""
    name, _, settings = text.partition("=")
    overrides = {}
    for item in filter(None, settings.split(",")):
        key, equals, value = item.partition("=")
        if not equals:
            raise SystemExit(f"--variant {text!r}: {item!r} is not key=value")
        parsed = yaml.safe_load(value)
        if isinstance(parsed, str):  # YAML 1.1 reads 5e-4 (no dot) as a string
            with contextlib.suppress(ValueError):
                parsed = float(parsed)
        overrides[key.strip()] = parsed
    return name.strip() or "base", overrides


def base_settings() -> dict:
    parameters = yaml.safe_load((ROOT / "conf" / "base" / "parameters.yml").read_text(encoding="utf-8"))
    return parameters["training"]["base"]


def write_training_inputs(corpus, folds: dict, folder: Path) -> dict:
    """The corpus and its folds written to ``folder``, as ``train``'s ``inputs``."""
    write_json(corpus, folder / "corpus.json")
    (folder / "folds.json").write_text(json.dumps(folds), encoding="utf-8")
    return {
        "corpus": folder / "corpus.json",
        "splits": folder / "folds.json",
        "entity_types": list(LabelSchema.from_corpus(corpus).entity_types),
    }


def train(settings: dict, inputs: dict, run_dir: Path, fold: str = "all", **run: object) -> tuple[Path, float, dict]:
    """Train one model on ``fold`` (default: every training document); ``run`` adds run-config fields (such as
    ``init_checkpoint``). (checkpoint folder, wall seconds, metrics.json)."""
    config = {
        **settings,
        "entity_types": inputs["entity_types"],
        "data": {"corpus": str(inputs["corpus"]), "splits": str(inputs["splits"]), "fold": fold},
        "output_dir": str(run_dir),
        "backbone_cache_dir": str(ROOT / "data" / "06_models" / "backbones"),
        **run,
    }
    run_dir.mkdir(parents=True, exist_ok=True)
    config_path = run_dir / "config.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "resume_ner.training", "--config", str(config_path)], capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"training failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    return run_dir / "checkpoint", wall, metrics


def score(checkpoint: Path, holdout) -> dict:
    """Character-span scores of the checkpoint on the hold-out documents, per decoding (with the boundary trim the
    checkpoint learned, if any); for a checkpoint that trims, each decoding without it too (``viterbi-untrimmed``)."""
    predictor = Predictor.load(checkpoint)
    texts = [document.text for document in holdout]
    gold = [document.spans for document in holdout]
    trim = predictor.metadata.boundary_trim
    ways = [(decoding, decoding, trim) for decoding in DECODINGS]
    if trim:
        ways += [(f"{decoding}-untrimmed", decoding, None) for decoding in DECODINGS]
    scores = {}
    for name, decoding, boundary_trim in ways:
        predictor.metadata = dataclasses.replace(predictor.metadata, decoding=decoding, boundary_trim=boundary_trim)
        started = time.perf_counter()
        predicted = predictor.predict(texts)
        scores[name] = {**span_metrics(gold, predicted), "predict_seconds": time.perf_counter() - started}
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--variant", action="append", default=[], help="NAME=key=value,... (repeatable)")
    parser.add_argument(
        "--json", type=Path, default=ROOT / "data" / "08_reporting" / "benchmarks" / "dotin_quality.json"
    )
    parser.add_argument("--keep", type=Path, help="keep the run folders here")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        raise SystemExit(f"{args.corpus} does not exist; pass --corpus")
    variants = [parse_variant(text) for text in args.variant] or [("base", {})]

    splits = pipeline_splits(read_corpus(args.corpus), read_parameters())
    corpus, holdout_ids = splits.corpus, splits.holdout_split["holdout"]
    holdout = corpus.subset(holdout_ids)
    print(
        f"{args.corpus}: {len(corpus)} documents, {len(holdout)} held out ({sum(len(d.spans) for d in holdout)} spans)"
    )
    figures: dict = {
        "machine": machine_info(),
        "corpus": str(args.corpus),
        "holdout_documents": len(holdout),
        "variants": {},
    }
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        inputs = write_training_inputs(corpus, splits.folds, folder)
        for name, overrides in variants:
            settings = with_overrides(base_settings(), overrides)
            checkpoint, wall, metrics = train(settings, inputs, folder / name)
            scores = score(checkpoint, holdout)
            figures["variants"][name] = {
                "overrides": overrides,
                "train_wall_seconds": wall,
                "train_seconds": metrics.get("train_seconds"),
                "epochs": metrics.get("epochs_run"),
                "scores": scores,
            }
            print(f"\n== {name} {overrides or '(training.base)'}: trained in {wall:.0f} s")
            print(f"{'decoding':<17} {'strict P':>9} {'strict R':>9} {'strict F1':>10} {'relaxed F1':>11}")
            for decoding, result in scores.items():
                strict, relaxed = result["strict"], result["relaxed"]
                print(
                    f"{decoding:<17} {strict['micro_precision']:>9.3f} {strict['micro_recall']:>9.3f} "
                    f"{strict['micro_f1']:>10.3f} {relaxed['micro_f1']:>11.3f}"
                )
            best = max(scores, key=lambda decoding: scores[decoding]["strict"]["micro_f1"])
            print(f"per type ({best}): strict F1 / relaxed F1 / support")
            for label, row in sorted(
                scores[best]["strict"]["per_entity"].items(), key=lambda item: -item[1]["support"]
            ):
                relaxed_f1 = scores[best]["relaxed"]["per_entity"][label]["f1"]
                print(f"  {label:<24} {row['f1']:.3f} / {relaxed_f1:.3f} / {row['support']}")
    write_figures(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
