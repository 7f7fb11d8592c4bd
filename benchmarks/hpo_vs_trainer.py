"""Head to head on real resumes: our hpo -> refit against ``Trainer.hyperparameter_search(backend="optuna")``.

Both sides get the same search budget on this machine (``--search-minutes``, default 50 of a 60-minute budget,
leaving the rest for training the chosen configuration), the same backbone (``training.base.backbone``), the same
search space (the backbone's preset in ``conf/base/parameters_hpo.yml``), the same windows (max_length, stride,
first sub-token labels) and the same hold-out set, split from the corpus exactly as ``data_processing`` splits it.

- Ours: ``kedro run --pipelines=data_processing,hpo,refit --params hpo.budget_minutes=S`` in a fresh clone of this
  repository's HEAD (``raw_corpus`` pointed at ``--corpus`` in its ``conf/local/catalog.yml``), everything else as
  shipped: the study plans its trials from a calibration, trains each trial's folds, refit trains the best
  configuration on every training document.
- Trainer: what a transformers user writes: ``model_init`` (dropout from the trial, attention dropout from
  ``training.base``), ``hp_space`` (the same ranges),
  ``compute_metrics`` (seqeval micro F1 of words, the study objective ours uses too), ``eval_strategy="epoch"``
  (so Optuna's default median pruner can judge each epoch), ``save_strategy="no"``, bf16 where this CPU has it
  natively (as ours), one train/validation split (the splits' fold 0, the first of our study's folds), TPE with a
  fixed seed and ``timeout=S`` minutes, then the best configuration trained on every training document.

Both final models are scored by the same code on the hold-out resumes' raw text: character spans, strict and
relaxed micro F1 (``training.span_metrics``), decoded both ways (argmax, what a Trainer user gets, and our Viterbi),
so the decoding's share of any difference shows. Wall time is end to end per side (ours includes data processing
and the study's calibration; the Trainer's includes tokenising).

Usage (from the project root, nothing else heavy running; about 2 x the budget):

    .venv/bin/python benchmarks/hpo_vs_trainer.py                       # dotin, 50-minute searches
    .venv/bin/python benchmarks/hpo_vs_trainer.py --search-minutes 3 --corpus data/01_raw/synthetic_resumes.json

Writes the figures as JSON (``--json``, default ``data/08_reporting/benchmarks/hpo_vs_trainer.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml
from dotin_quality import score  # benchmarks/dotin_quality.py: both decodings, character spans
from machine import machine_info, write_figures  # benchmarks/machine.py

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "dotin_resume_ner" / "train.json"
EVAL_BATCH_SIZE = 64
# Our search-space names -> TrainingArguments fields (dropout is not one: model_init reads it from the trial).
TRAINER_ARGUMENT = {
    "learning_rate": "learning_rate",
    "batch_size": "per_device_train_batch_size",
    "weight_decay": "weight_decay",
    "warmup_ratio": "warmup_steps",  # transformers 5: a float below 1 is a share of the steps
    "epochs": "num_train_epochs",
    "label_smoothing": "label_smoothing_factor",
}


def run_logged(command: list[str], log_path: Path, env: dict[str, str], cwd: Path) -> float:
    """Run ``command`` to its exit with its output in ``log_path``; its wall seconds. Exits on failure."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        returncode = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd).returncode
    wall = time.perf_counter() - started
    if returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"{' '.join(command[:4])} ... failed (exit {returncode}); end of {log_path}:\n{tail}")
    return wall


def environment(src: Path) -> dict[str, str]:
    """Each side imports the code of its own checkout, offline, without an inherited MLflow run."""
    env = dict(os.environ, PYTHONPATH=str(src), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env["TOKENIZERS_PARALLELISM"] = "false"
    for name in ("MLFLOW_RUN_ID", "MLFLOW_TRACKING_URI"):
        env.pop(name, None)
    return env


def search_space(backbone: dict) -> tuple[str, dict]:
    """The preset our study uses for ``backbone`` (after the shipped conf's own search_space, which is empty)."""
    from resume_ner.backbones import BackboneSpec
    from resume_ner.tuning.presets import backbone_family

    hpo = yaml.safe_load((ROOT / "conf" / "base" / "parameters_hpo.yml").read_text(encoding="utf-8"))["hpo"]
    family = backbone_family(BackboneSpec(**backbone))
    return family, hpo["search_space_presets"][family]["space"]


# --------------------------------------------------------------------------------------------------------------
# Ours: the shipped pipelines in a clone
# --------------------------------------------------------------------------------------------------------------


def clone_project(project: Path, corpus: Path) -> None:
    """A fresh clone of this repository's HEAD whose raw_corpus is ``corpus``."""
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(project)], check=True)
    (project / "conf" / "local").mkdir(parents=True, exist_ok=True)
    (project / "conf" / "local" / "catalog.yml").write_text(
        yaml.safe_dump(
            {"raw_corpus": {"type": "resume_ner.datasets.CorpusDataset", "filepath": str(corpus), "format": "json"}}
        ),
        encoding="utf-8",
    )


def run_ours(args, project: Path) -> dict:
    command = [sys.executable, "-m", "kedro", "run", "--pipelines=data_processing,hpo,refit"]
    command += ["--params", f"hpo.budget_minutes={args.search_minutes}"]
    wall = run_logged(command, project / "kedro_run.log", environment(project / "src"), project)
    plan = json.loads((project / "data" / "08_reporting" / "hpo" / "study_plan.json").read_text(encoding="utf-8"))
    summary_path = project / "data" / "08_reporting" / "hpo" / "study_summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.is_file() else {}
    holdout = json.loads((project / "data" / "05_model_input" / "holdout_split.json").read_text(encoding="utf-8"))[
        "holdout"
    ]
    return {
        "wall_seconds": wall,
        "checkpoint": str(project / "data" / "06_models" / "refit" / "model"),
        "holdout_ids": sorted(holdout),
        "plan": plan,
        "trials": summary.get("n_trials"),
        "best_params": summary.get("best_params"),
        "best_value": summary.get("best_value"),
        "log": str(project / "kedro_run.log"),
    }


# --------------------------------------------------------------------------------------------------------------
# The Trainer side: this file with --trainer-child REQUEST
# --------------------------------------------------------------------------------------------------------------


def trainer_child(request_path: Path) -> None:
    """A plain transformers search, then the best configuration on every training document, saved as a
    checkpoint our predictor reads (the same windows and labels, so both are scored by the same code)."""
    request = json.loads(request_path.read_text(encoding="utf-8"))
    import optuna
    import torch
    from trainer_metrics import window_entity_metrics  # benchmarks/trainer_metrics.py
    from transformers import (
        AutoConfig,
        AutoModelForTokenClassification,
        AutoTokenizer,
        DataCollatorForTokenClassification,
        Trainer,
        TrainingArguments,
        set_seed,
    )
    from transformers.trainer_utils import BestRun

    from resume_ner.corpus.labels import LabelSchema
    from resume_ner.corpus.reading import read_corpus
    from resume_ner.corpus.splits import fold_ids
    from resume_ner.tagging import encode_document, special_tokens_of
    from resume_ner.tagging.alignment import SubtokenPolicy
    from resume_ner.training.checkpoint import CheckpointMetadata, save_checkpoint
    from resume_ner.training.model import ATTENTION_DROPOUT_KEYS, DROPOUT_KEYS, native_bf16

    policy: SubtokenPolicy = "first"
    schema = LabelSchema(tuple(request["entity_types"]))
    corpus = read_corpus(request["corpus"], "json")
    folds = json.loads(Path(request["splits"]).read_text(encoding="utf-8"))
    backbone = request["backbone_dir"]
    tokenizer = AutoTokenizer.from_pretrained(backbone)
    special = special_tokens_of(tokenizer)

    def encode(ids):
        return [
            encode_document(document, tokenizer, schema, request["max_length"], request["stride"], policy, special)
            for document in corpus.subset(ids)
        ]

    def dataset(documents):
        return [
            {"input_ids": list(w.input_ids), "attention_mask": [1] * len(w), "labels": list(w.labels)}
            for document in documents
            for w in document.windows
        ]

    search_train_ids, validation_ids = fold_ids(folds, corpus, 0)
    all_train_ids, _ = fold_ids(folds, corpus, "all")
    validation_documents = encode(validation_ids)
    search_train, validation = dataset(encode(search_train_ids)), dataset(validation_documents)

    def compute_metrics(prediction):
        """seqeval micro F1 of words (first sub-token, argmax, BIO repaired), as our study's objective."""
        return {
            "micro_f1": window_entity_metrics(prediction.predictions, validation_documents, schema, policy)["micro_f1"]
        }

    space = request["space"]

    def hp_space(trial):
        values = {}
        for name, dimension in space.items():
            kind = dimension["type"]
            if kind == "float":
                value = trial.suggest_float(name, dimension["low"], dimension["high"], log=dimension.get("log", False))
            elif kind == "int":
                value = trial.suggest_int(name, dimension["low"], dimension["high"], log=dimension.get("log", False))
            elif kind == "categorical":
                value = trial.suggest_categorical(name, dimension["choices"])
            else:
                value = dimension["value"]
            if name in TRAINER_ARGUMENT:
                values[TRAINER_ARGUMENT[name]] = value
        return values

    def model_init(trial=None):
        params = trial.params if trial is not None else {}
        config = AutoConfig.from_pretrained(
            backbone, num_labels=len(schema.tags), id2label=schema.id2label, label2id=schema.label2id
        )
        dropout = params.get("dropout", request["dropout"])
        for key in DROPOUT_KEYS:
            if hasattr(config, key):
                setattr(config, key, dropout)
        if request["attention_dropout"] is not None:  # training.base's, as our side trains with
            for key in ATTENTION_DROPOUT_KEYS:
                if hasattr(config, key):
                    setattr(config, key, request["attention_dropout"])
        return AutoModelForTokenClassification.from_pretrained(backbone, config=config)

    bf16 = native_bf16(torch.device("cpu"))
    common = {
        "per_device_eval_batch_size": EVAL_BATCH_SIZE,
        "seed": request["seed"],
        "bf16": bf16,
        "report_to": "none",
        "use_cpu": True,
        "dataloader_num_workers": 0,
        "disable_tqdm": True,
    }
    collator = DataCollatorForTokenClassification(tokenizer)
    started = time.time()
    set_seed(request["seed"])
    searcher = Trainer(
        model_init=model_init,
        args=TrainingArguments(
            output_dir=str(Path(request["output_dir"]) / "search"),
            eval_strategy="epoch",
            save_strategy="no",
            logging_strategy="epoch",
            **common,
        ),
        train_dataset=search_train,
        eval_dataset=validation,
        data_collator=collator,
        compute_metrics=compute_metrics,
    )
    best_run = searcher.hyperparameter_search(
        hp_space=hp_space,
        compute_objective=lambda metrics: metrics["eval_micro_f1"],
        n_trials=10_000,
        direction="maximize",
        backend="optuna",
        timeout=request["search_seconds"],
        sampler=optuna.samplers.TPESampler(seed=request["seed"]),
    )
    searched = time.time()
    assert isinstance(best_run, BestRun)  # one objective

    # The chosen configuration on every training document (refit), no validation.
    class ChosenTrial:
        params = best_run.hyperparameters

    set_seed(request["seed"])
    arguments = {
        TRAINER_ARGUMENT[name]: value for name, value in best_run.hyperparameters.items() if name in TRAINER_ARGUMENT
    }
    final = Trainer(
        model=model_init(ChosenTrial()),
        args=TrainingArguments(
            output_dir=str(Path(request["output_dir"]) / "refit"),
            eval_strategy="no",
            save_strategy="no",
            logging_strategy="epoch",
            **common,
            **arguments,
        ),
        train_dataset=dataset(encode(all_train_ids)),
        data_collator=collator,
    )
    final.train()
    metadata = CheckpointMetadata(
        tuple(schema.entity_types), request["max_length"], request["stride"], policy, decoding="argmax"
    )
    save_checkpoint(final.model, tokenizer, metadata, Path(request["output_dir"]) / "model")
    Path(request["result"]).write_text(
        json.dumps(
            {
                "search_seconds": searched - started,
                "refit_seconds": time.time() - searched,
                "best_params": best_run.hyperparameters,
                "best_value": best_run.objective,
                "best_trial": best_run.run_id,
                "bf16": bf16,
                "search_train_documents": len(search_train_ids),
                "validation_documents": len(validation_ids),
            }
        ),
        encoding="utf-8",
    )


def run_trainer(args, work: Path, inputs: dict, space: dict, backbone_dir: Path) -> dict:
    base = yaml.safe_load((ROOT / "conf" / "base" / "parameters.yml").read_text(encoding="utf-8"))["training"]["base"]
    side = work / "trainer"
    side.mkdir(parents=True, exist_ok=True)
    request = side / "request.json"
    request.write_text(
        json.dumps(
            {
                **inputs,
                "backbone_dir": str(backbone_dir),
                "space": space,
                "search_seconds": args.search_minutes * 60,
                "max_length": base["tokenization"]["max_length"],
                "stride": base["tokenization"]["stride"],
                "dropout": base["optimization"]["dropout"],
                "attention_dropout": base["optimization"].get("attention_dropout"),
                "seed": base["optimization"]["seed"],
                "output_dir": str(side),
                "result": str(side / "result.json"),
            }
        ),
        encoding="utf-8",
    )
    command = [sys.executable, str(Path(__file__).resolve()), "--trainer-child", str(request)]
    wall = run_logged(command, side / "trainer.log", environment(ROOT / "src"), side)
    result = json.loads((side / "result.json").read_text(encoding="utf-8"))
    return {**result, "wall_seconds": wall, "checkpoint": str(side / "model"), "log": str(side / "trainer.log")}


# --------------------------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="a corpus file in the json format")
    parser.add_argument("--search-minutes", type=float, default=50.0, help="each side's search budget")
    parser.add_argument("--sides", default="trainer,ours", help="which sides to run, in order")
    parser.add_argument("--work", type=Path, help="keep the clone, the logs and both models here")
    parser.add_argument(
        "--json", type=Path, default=ROOT / "data" / "08_reporting" / "benchmarks" / "hpo_vs_trainer.json"
    )
    parser.add_argument("--trainer-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.trainer_child:
        trainer_child(args.trainer_child)
        return 0
    if not args.corpus.is_file():
        raise SystemExit(f"{args.corpus} does not exist; pass --corpus")
    sides = [side.strip() for side in args.sides.split(",") if side.strip()]
    if unknown := set(sides) - {"trainer", "ours"}:
        raise SystemExit(f"--sides: unknown {sorted(unknown)}; use trainer and/or ours")

    from resume_ner.backbones import BackboneSpec, resolve_backbone
    from resume_ner.corpus.formats import write_json
    from resume_ner.corpus.labels import LabelSchema
    from resume_ner.corpus.overlap import pipeline_splits, read_parameters
    from resume_ner.corpus.reading import read_corpus

    corpus_path = args.corpus.resolve()
    work = (args.work or ROOT / "data" / "09_benchmarks" / "hpo_vs_trainer").resolve()
    if work.exists() and any(work.iterdir()):
        raise SystemExit(f"{work} is not empty; pass another --work or remove it")
    work.mkdir(parents=True, exist_ok=True)
    splits = pipeline_splits(read_corpus(corpus_path), read_parameters())
    corpus = splits.corpus
    holdout_ids = sorted(splits.holdout_split["holdout"])
    holdout = corpus.subset(holdout_ids)
    write_json(corpus, work / "corpus.json")
    (work / "folds.json").write_text(json.dumps(splits.folds), encoding="utf-8")
    inputs = {
        "corpus": str(work / "corpus.json"),
        "splits": str(work / "folds.json"),
        "entity_types": list(LabelSchema.from_corpus(corpus).entity_types),
    }
    base = yaml.safe_load((ROOT / "conf" / "base" / "parameters.yml").read_text(encoding="utf-8"))["training"]["base"]
    family, space = search_space(base["backbone"])
    # Both made before either side is timed: the clone, and the backbone where its pipelines look for it (the
    # Trainer reads the same folder).
    if "ours" in sides:
        clone_project(work / "ours", corpus_path)
    backbone_dir = resolve_backbone(
        BackboneSpec(**base["backbone"]), cache_dir=work / "ours" / "data" / "06_models" / "backbones"
    )
    print(
        f"{corpus_path}: {len(corpus)} documents, {len(holdout)} held out; backbone {base['backbone']} "
        f"({family} preset); {args.search_minutes:g}-minute searches",
        flush=True,
    )

    figures: dict = {
        "machine": machine_info(),
        "corpus": str(corpus_path),
        "holdout_documents": len(holdout),
        "search_minutes": args.search_minutes,
        "backbone": base["backbone"],
        "search_space": space,
        "sides": {},
    }
    for side in sides:
        print(f"Running {side}...", flush=True)
        if side == "trainer":
            result = run_trainer(args, work, inputs, space, backbone_dir)
        else:
            result = run_ours(args, work / "ours")
            if result["holdout_ids"] != holdout_ids:
                raise SystemExit("our data_processing run held out other documents than this benchmark's split")
        result["scores"] = score(Path(result["checkpoint"]), holdout)
        figures["sides"][side] = result
        write_figures(args.json, figures)
        strict = {decoding: s["strict"]["micro_f1"] for decoding, s in result["scores"].items()}
        relaxed = {decoding: s["relaxed"]["micro_f1"] for decoding, s in result["scores"].items()}
        print(
            f"{side}: {result['wall_seconds'] / 60:.1f} min end to end; hold-out strict "
            + ", ".join(f"{d} {v:.3f}" for d, v in strict.items())
            + "; relaxed "
            + ", ".join(f"{d} {v:.3f}" for d, v in relaxed.items())
            + f"; best params {result.get('best_params')}",
            flush=True,
        )
    if {"trainer", "ours"} <= figures["sides"].keys():
        ours = figures["sides"]["ours"]["scores"]["viterbi"]["strict"]["micro_f1"]
        trainer = figures["sides"]["trainer"]["scores"]["argmax"]["strict"]["micro_f1"]
        figures["ours_minus_trainer_strict_f1"] = ours - trainer
        print(
            f"ours (viterbi) - Trainer (argmax), strict character-span micro F1: {ours - trainer:+.3f} "
            "(target >= +0.03)"
        )
        write_figures(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
