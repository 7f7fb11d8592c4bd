"""Training throughput: this project's training program against a plain transformers ``Trainer`` script.

The same backbone (MiniLM cut to 2 layers), the same windows (this project's ``encode_document``), the same batch
size, epochs, learning rate (linear decay, no warm-up, no weight decay, gradient clipping at 1.0, the backbone's own
dropout) and seed are trained twice, side by side in one run:

1. ``trainer``  - a plain transformers script: a torch Dataset of dicts, ``DataCollatorForTokenClassification``
   (dynamic padding), ``TrainingArguments`` with the Trainer's defaults otherwise (fp32, fused AdamW, linear schedule,
   evaluation and a checkpoint every epoch);
2. ``ours``     - ``python -m resume_ner.training --config RUN_DIR/config.json`` with ``precision: auto`` (bf16
   autocast on a CPU with native bf16);
3. ``ours-fp32``- the same with ``precision: fp32``, to show what bf16 does to entity micro-F1 (skip with
   ``--skip-fp32``).

Each side runs in its own fresh child process, one after the other (never in parallel), in the order above, and
is timed from launch to exit by this parent, because that is what hyper-parameter search pays per fold: a new
interpreter, imports, data preparation, model loading, training, evaluation, checkpoint and exit. Peak memory is
that child's own maximum resident set size (``os.wait4`` on its pid). The parent imports nothing heavy, so its
own small footprint (which a child's ``ru_maxrss`` can inherit at exec) stays far below the children's.

Printed per side: training tokens per second (non-padding tokens / time in the training epochs only, evaluation
and saving excluded on both sides), whole-fold wall seconds, peak RSS, CPU seconds and entity micro-F1 (seqeval
strict, first sub-token per word, each token scored from the window that owns it - computed with the same project
functions on both sides). Then the ratios against the targets (ours/Trainer tokens/s >= 1.25, Trainer/ours wall
>= 1.25, ours/Trainer peak memory <= 1.0) and the fp32 - bf16 F1 difference (<= 0.01). Everything is also
written to OUTPUT/results.json. The machine may be shared: compare the ratios, not the absolute numbers, and
prefer the CPU seconds column when the wall times look disturbed. One epoch at the default learning rate leaves
MiniLM-2L predicting no entity at all (F1 0 on both precisions), so the F1 check then says INCONCLUSIVE; run it
with e.g. ``--epochs 2 --learning-rate 3e-4`` for a model that finds entities.

Usage (from the project root, with the project's virtualenv):

    .venv/bin/python benchmarks/training_throughput.py                        # fold 0, 1 epoch, whole fold
    .venv/bin/python benchmarks/training_throughput.py --max-train-documents 40   # a quick run (~1 min)
    .venv/bin/python benchmarks/training_throughput.py --epochs 2 --learning-rate 3e-4   # a meaningful F1 check

The inputs are what ``kedro run --pipelines=data_processing`` writes (``--corpus``, ``--splits``, ``--schema``).
"""

from __future__ import annotations

# Only the standard library at module level: this file is also the Trainer child and the preparation child,
# and the parent must stay small (see the docstring on peak memory).
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_TOKENS_RATIO = 1.25  # ours / Trainer training tokens per second, at least
TARGET_WALL_RATIO = 1.25  # Trainer / ours whole-fold wall seconds, at least
TARGET_MEMORY_RATIO = 1.0  # ours / Trainer peak RSS, at most
F1_TOLERANCE = 0.01  # |fp32 - bf16| entity micro-F1, at most
# Below this micro-F1 both models still find (almost) no entity and "within 0.01" says nothing about bf16.
F1_MEANINGFUL = 0.05

EVAL_BATCH_SIZE = 64  # the Trainer's per_device_eval_batch_size and our program's eval_batch_size
BACKBONE = {"name": "minilm", "num_layers": 2}
SUBTOKEN_POLICY = "first"  # our program's default; the Trainer child labels windows the same way

DATA_HINT = (
    "Make them with `kedro run --pipelines=data_processing` in the project root (it writes "
    "data/03_primary/corpus.json, data/03_primary/label_schema.json and data/05_model_input/folds.json), or point "
    "--corpus, --splits and --schema at files that pipeline wrote elsewhere."
)


# --------------------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train the same backbone on the same windows with this project's training program and with "
        "a plain transformers Trainer script, one after the other in fresh processes, and compare training "
        "tokens/s, whole-fold wall time, peak memory and entity micro-F1 (plus fp32 vs bf16 F1 for ours)."
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path("data/03_primary/corpus.json"),
        help="prepared corpus (JSON), default %(default)s",
    )
    parser.add_argument(
        "--splits",
        type=Path,
        default=Path("data/05_model_input/folds.json"),
        help="k-fold splits of that corpus, default %(default)s",
    )
    parser.add_argument(
        "--schema",
        type=Path,
        default=Path("data/03_primary/label_schema.json"),
        help="label schema with entity_types, default %(default)s",
    )
    parser.add_argument("--fold", type=int, default=0, help="fold to validate on (the others train), default 0")
    parser.add_argument("--epochs", type=int, default=1, help="training epochs, default 1")
    parser.add_argument("--batch-size", type=int, default=16, help="training batch size, default 16")
    parser.add_argument("--max-length", type=int, default=128, help="window length in sub-tokens, default 128")
    parser.add_argument("--stride", type=int, default=32, help="overlap between windows, default 32")
    parser.add_argument("--seed", type=int, default=42, help="seed of both sides, default 42")
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=5e-5,
        help="peak learning rate of both sides (linear decay, no warm-up), default 5e-5; one "
        "epoch at 5e-5 leaves MiniLM-2L predicting no entity, so the fp32 vs bf16 F1 check needs "
        "more epochs or a higher rate",
    )
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads of each child, default 2")
    parser.add_argument(
        "--max-train-documents",
        type=int,
        default=None,
        help="train on only the first N training documents of the fold (both sides; the "
        "validation documents stay whole) for a quick run",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="folder for the run folders, logs and results.json (default: a new temp folder)",
    )
    parser.add_argument(
        "--skip-fp32",
        action="store_true",
        help="skip the third run (our program in fp32) and the fp32 vs bf16 F1 comparison",
    )
    # Internal entry points: this file re-runs itself as the children.
    parser.add_argument("--trainer-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--prepare-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "max_length", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.max_train_documents is not None and args.max_train_documents < 1:
        parser.error("--max-train-documents must be at least 1")
    if not 0 < args.learning_rate <= 1:
        parser.error("--learning-rate must be in (0, 1]")
    if not 0 <= args.stride < args.max_length // 2:
        parser.error("--stride must be from 0 to less than half of --max-length (the run config's rule)")
    return args


# --------------------------------------------------------------------------------------------------------------
# Inputs shared by every side
# --------------------------------------------------------------------------------------------------------------


def check_inputs(args: argparse.Namespace) -> str | None:
    """A message naming the missing input files and how to make them, or None when all are there."""
    missing = [
        f"{flag} {path}"
        for flag, path in (("--corpus", args.corpus), ("--splits", args.splits), ("--schema", args.schema))
        if not path.is_file()
    ]
    if not missing:
        return None
    return "Missing input file(s): " + ", ".join(missing) + ".\n" + DATA_HINT


def fold_splits(args: argparse.Namespace, output: Path) -> Path:
    """The splits file both sides read: the given one, or (with --max-train-documents) a copy whose chosen fold
    trains on only its first N documents. The corpus is untouched, so its fingerprint still matches."""
    folds = json.loads(args.splits.read_text(encoding="utf-8"))
    count = len(folds.get("folds", []))
    if not 0 <= args.fold < count:
        raise SystemExit(f"--fold {args.fold}: {args.splits} has {count} fold(s)")
    if args.max_train_documents is None:
        return args.splits.resolve()
    chosen = folds["folds"][args.fold]
    chosen["train"] = chosen["train"][: args.max_train_documents]
    reduced = output / "folds.json"
    reduced.write_text(json.dumps(folds), encoding="utf-8")
    return reduced


def child_environment(threads: int) -> dict[str, str]:
    """The same environment for every child: the thread count also for OpenMP/MKL, offline hub (no network
    round-trips in either side's timing) and no inherited MLflow run (our program would log into it)."""
    env = dict(os.environ)
    env.update(
        OMP_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONUNBUFFERED="1",
    )
    for name in ("MLFLOW_RUN_ID", "MLFLOW_TRACKING_URI"):
        env.pop(name, None)
    return env


def run_child(command: list[str], run_dir: Path, env: dict[str, str]) -> dict:
    """Run one child to its exit; its wall time (launch to exit, as the parent sees it), its own peak RSS and CPU
    time. ``os.wait4`` gives this child's rusage alone (RUSAGE_CHILDREN would be a running maximum over all)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    log_path = run_dir / "child.log"
    with open(log_path, "wb") as log:
        launched_at = time.time()
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=run_dir)
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # Ctrl-C: do not leave a training process behind
            process.kill()
            process.wait()
            raise
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4; tell Popen so
    return {
        "command": command,
        "returncode": process.returncode,
        "launched_at": launched_at,
        "wall_seconds": wall,
        "peak_rss_mib": usage.ru_maxrss / 1024,  # KiB on Linux
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "log": str(log_path),
    }


def require_success(name: str, run: dict) -> None:
    if run["returncode"] != 0:
        tail = Path(run["log"]).read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"{name} failed with exit status {run['returncode']}; the end of {run['log']}:\n{tail}")


# --------------------------------------------------------------------------------------------------------------
# Preparation (before any timing): build the MiniLM-2L folder once, warm the file cache
# --------------------------------------------------------------------------------------------------------------


def prepare(output: Path, env: dict[str, str]) -> dict:
    """Build the cut-down backbone in a child (so neither timed side pays for it, and the parent never imports
    torch), and import what both sides import so the first timed side does not pay a cold file cache alone."""
    request = output / "prepare" / "request.json"
    request.parent.mkdir(parents=True, exist_ok=True)
    request.write_text(
        json.dumps({"cache_dir": str(output / "backbones"), "result": str(request.with_name("result.json"))}),
        encoding="utf-8",
    )
    run = run_child(
        [sys.executable, str(Path(__file__).resolve()), "--prepare-child", str(request)], request.parent, env
    )
    require_success("preparation", run)
    return json.loads(request.with_name("result.json").read_text(encoding="utf-8"))


def prepare_child(request_path: Path) -> None:
    request = json.loads(request_path.read_text(encoding="utf-8"))
    import torch
    import transformers
    from transformers import Trainer  # noqa: F401  (warm the Trainer side's imports)

    from resume_ner.backbones import BackboneSpec, resolve_backbone
    from resume_ner.training.model import native_bf16
    from resume_ner.training.program import run_training  # noqa: F401  (warm our side's imports)

    folder = resolve_backbone(BackboneSpec(**BACKBONE), cache_dir=request["cache_dir"])
    Path(request["result"]).write_text(
        json.dumps(
            {
                "backbone_dir": str(folder),
                "cpu_native_bf16": native_bf16(torch.device("cpu")),
                "torch": torch.__version__,
                "transformers": transformers.__version__,
            }
        ),
        encoding="utf-8",
    )


# --------------------------------------------------------------------------------------------------------------
# Our side: python -m resume_ner.training --config RUN_DIR/config.json
# --------------------------------------------------------------------------------------------------------------


def run_ours(
    args, output: Path, splits: Path, entity_types: list[str], precision: str, name: str, env: dict[str, str]
) -> dict:
    from resume_ner.training.protocol import METRICS_FILE, PROGRESS_FILE, Event

    run_dir = output / name
    run_dir.mkdir(parents=True, exist_ok=True)
    config = {
        "backbone": BACKBONE,
        # The folder prepare() built; the program finds it there and does not rebuild it.
        "backbone_cache_dir": str(output / "backbones"),
        "entity_types": entity_types,
        "data": {
            "corpus": str(args.corpus.resolve()),
            "corpus_format": "json",
            "splits": str(splits),
            "fold": args.fold,
        },
        "tokenization": {"max_length": args.max_length, "stride": args.stride, "subtoken_policy": SUBTOKEN_POLICY},
        # The Trainer's defaults where our program's defaults differ: no warm-up, no weight decay, the
        # backbone's own dropout (null), gradient clipping at 1.0 (both).
        "optimization": {
            "learning_rate": args.learning_rate,
            "batch_size": args.batch_size,
            "epochs": args.epochs,
            "seed": args.seed,
            "warmup_ratio": 0.0,
            "weight_decay": 0.0,
            "dropout": None,
            "max_grad_norm": 1.0,
        },
        "precision": precision,
        "device": "cpu",
        "threads": args.threads,
        "eval_batch_size": EVAL_BATCH_SIZE,
        "save_checkpoint": True,  # hyper-parameter search keeps checkpoints
        "output_dir": str(run_dir),
    }
    config_path = run_dir / "config.json"
    config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    run = run_child([sys.executable, "-m", "resume_ner.training", "--config", str(config_path)], run_dir, env)
    require_success(name, run)
    metrics = json.loads((run_dir / METRICS_FILE).read_text(encoding="utf-8"))
    events = [json.loads(line) for line in (run_dir / PROGRESS_FILE).read_text(encoding="utf-8").splitlines()]
    at = {event["event"]: event["elapsed"] for event in events}  # seconds since the program opened its stream
    tokens = metrics["train_tokens_per_second"] * metrics["train_seconds"]
    return run | {
        "side": name,
        "precision": metrics["precision"],
        "train_tokens": round(tokens),
        "train_seconds": metrics["train_seconds"],
        "train_tokens_per_second": metrics["train_tokens_per_second"],
        "micro_f1": (metrics["best"] or {}).get("micro_f1"),
        "phases": {
            # Interpreter start, imports, config loading before run_training, and exit after it.
            "outside_run_training": run["wall_seconds"] - metrics["wall_seconds"],
            "data_preparation": at.get(Event.DATA_READY, 0.0) - at.get(Event.STARTED, 0.0),
            "training_epochs": metrics["train_seconds"],
            # Model loading, evaluation and checkpoint saving (progress events do not separate them).
            "model_load_evaluation_checkpoint": metrics["wall_seconds"]
            - metrics["train_seconds"]
            - (at.get(Event.DATA_READY, 0.0) - at.get(Event.STARTED, 0.0)),
        },
    }


# --------------------------------------------------------------------------------------------------------------
# The Trainer side: a plain transformers script (this file with --trainer-child)
# --------------------------------------------------------------------------------------------------------------


def run_trainer(
    args, output: Path, splits: Path, entity_types: list[str], backbone_dir: str, env: dict[str, str]
) -> dict:
    run_dir = output / "trainer"
    run_dir.mkdir(parents=True, exist_ok=True)
    request = {
        "corpus": str(args.corpus.resolve()),
        "splits": str(splits),
        "fold": args.fold,
        "entity_types": entity_types,
        "backbone_dir": backbone_dir,
        "max_length": args.max_length,
        "stride": args.stride,
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "seed": args.seed,
        "learning_rate": args.learning_rate,
        "threads": args.threads,
        "output_dir": str(run_dir / "out"),
        "result": str(run_dir / "result.json"),
    }
    request_path = run_dir / "request.json"
    request_path.write_text(json.dumps(request, indent=2), encoding="utf-8")
    run = run_child([sys.executable, str(Path(__file__).resolve()), "--trainer-child", str(request_path)], run_dir, env)
    require_success("trainer", run)
    result = json.loads((run_dir / "result.json").read_text(encoding="utf-8"))
    stamps = result.pop("stamps")
    phases = {
        "outside_script": run["wall_seconds"] - (stamps["end"] - stamps["begin"]),  # interpreter start, exit
        "imports": stamps["imported"] - stamps["begin"],
        "data_preparation": stamps["data_ready"] - stamps["imported"],
        "model_load_and_trainer_setup": stamps["train_begin"] - stamps["data_ready"],
        "training_epochs": result["train_seconds"],
        "evaluation": result["evaluation_seconds"],
        "checkpoint_saving": result["save_seconds"],
    }
    return run | result | {"side": "trainer", "phases": phases}


def trainer_child(request_path: Path) -> None:
    """What a plain transformers user writes, on this project's windows. Heavy imports live here so the parent
    never loads them."""
    begin = time.time()
    request = json.loads(request_path.read_text(encoding="utf-8"))
    import torch

    torch.set_num_threads(request["threads"])
    from trainer_metrics import window_entity_metrics  # benchmarks/trainer_metrics.py
    from transformers import (
        AutoModelForTokenClassification,
        AutoTokenizer,
        DataCollatorForTokenClassification,
        Trainer,
        TrainerCallback,
        TrainingArguments,
        set_seed,
    )

    from resume_ner.corpus.labels import LabelSchema
    from resume_ner.corpus.reading import read_corpus
    from resume_ner.corpus.splits import fold_ids
    from resume_ner.tagging import encode_document, special_tokens_of

    imported = time.time()

    # The same documents and windows our program trains on.
    schema = LabelSchema(tuple(request["entity_types"]))
    corpus = read_corpus(request["corpus"], "json")
    folds = json.loads(Path(request["splits"]).read_text(encoding="utf-8"))
    train_ids, validation_ids = fold_ids(folds, corpus, request["fold"])
    tokenizer = AutoTokenizer.from_pretrained(request["backbone_dir"])
    special = special_tokens_of(tokenizer)

    def encode(ids):
        return [
            encode_document(
                document, tokenizer, schema, request["max_length"], request["stride"], SUBTOKEN_POLICY, special
            )
            for document in corpus.subset(ids)
        ]

    train_documents, validation_documents = encode(train_ids), encode(validation_ids)
    train_windows = [window for document in train_documents for window in document.windows]
    validation_windows = [window for document in validation_documents for window in document.windows]

    class WindowDataset(torch.utils.data.Dataset):
        """Windows as the dicts of lists the collator pads (no ``datasets`` needed)."""

        def __init__(self, windows):
            self.items = [
                {"input_ids": list(w.input_ids), "attention_mask": [1] * len(w), "labels": list(w.labels)}
                for w in windows
            ]

        def __len__(self):
            return len(self.items)

        def __getitem__(self, index):
            return self.items[index]

    train_dataset, validation_dataset = WindowDataset(train_windows), WindowDataset(validation_windows)
    data_ready = time.time()

    def compute_metrics(prediction):
        """Entity metrics as our program's ``evaluate`` computes them (``trainer_metrics``)."""
        metrics = window_entity_metrics(prediction.predictions, validation_documents, schema, SUBTOKEN_POLICY)
        return {
            key: metrics[key] for key in ("micro_f1", "micro_precision", "micro_recall", "macro_f1", "token_accuracy")
        }

    class Clock(TrainerCallback):
        """Times the training epochs alone, and evaluation and saving, without changing what the Trainer does.
        (``train_runtime`` spans the whole loop, evaluation and checkpoint saving included.)"""

        def __init__(self):
            self.train_seconds = self.evaluation_seconds = self.save_seconds = 0.0
            self.train_begin = self._mark = None
            self.threads = None

        def on_train_begin(self, args, state, control, **kwargs):
            self.train_begin = time.time()
            self.threads = torch.get_num_threads()

        def on_epoch_begin(self, args, state, control, **kwargs):
            self._mark = time.perf_counter()

        def on_epoch_end(self, args, state, control, **kwargs):
            now = time.perf_counter()
            self.train_seconds += now - self._mark
            self._mark = now

        def on_evaluate(self, args, state, control, **kwargs):
            now = time.perf_counter()
            self.evaluation_seconds += now - self._mark
            self._mark = now

        def on_save(self, args, state, control, **kwargs):
            now = time.perf_counter()
            self.save_seconds += now - self._mark
            self._mark = now

    set_seed(request["seed"])  # before the model, so the fresh head is seeded as in our program
    model = AutoModelForTokenClassification.from_pretrained(
        request["backbone_dir"], num_labels=len(schema.tags), id2label=schema.id2label, label2id=schema.label2id
    )
    training_args = TrainingArguments(
        output_dir=request["output_dir"],
        per_device_train_batch_size=request["batch_size"],
        per_device_eval_batch_size=EVAL_BATCH_SIZE,
        num_train_epochs=request["epochs"],
        learning_rate=request["learning_rate"],
        seed=request["seed"],
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="epoch",
        report_to="none",
        use_cpu=True,
        dataloader_num_workers=0,
    )
    clock = Clock()
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset,
        eval_dataset=validation_dataset,
        data_collator=DataCollatorForTokenClassification(tokenizer),
        compute_metrics=compute_metrics,
        callbacks=[clock],
    )
    output = trainer.train()
    # eval_strategy="epoch" already evaluated after every epoch (as our program does); take the best epoch, as
    # our metrics.json's "best" does, instead of paying for a second evaluation.
    evaluations = [entry for entry in trainer.state.log_history if "eval_micro_f1" in entry]
    best = max(evaluations, key=lambda entry: entry["eval_micro_f1"])
    tokens = sum(len(window) for window in train_windows) * request["epochs"]  # non-padding tokens
    end = time.time()
    Path(request["result"]).write_text(
        json.dumps(
            {
                "precision": "fp32",
                "train_tokens": tokens,
                "train_seconds": clock.train_seconds,
                "train_tokens_per_second": tokens / clock.train_seconds,
                "train_runtime": output.metrics["train_runtime"],
                "train_tokens_per_second_by_train_runtime": tokens / output.metrics["train_runtime"],
                "evaluation_seconds": clock.evaluation_seconds,
                "save_seconds": clock.save_seconds,
                "micro_f1": best["eval_micro_f1"],
                "torch_threads": clock.threads,
                # The Trainer wraps its optimizer (accelerate); name the one doing the work, and its "optim" setting.
                "optimizer": type(getattr(trainer.optimizer, "optimizer", trainer.optimizer)).__name__,
                "optim": str(training_args.optim),
                "stamps": {
                    "begin": begin,
                    "imported": imported,
                    "data_ready": data_ready,
                    "train_begin": clock.train_begin,
                    "end": end,
                },
            },
            indent=2,
        ),
        encoding="utf-8",
    )


# --------------------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------------------


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if not numerator or not denominator else numerator / denominator


def verdict(value: float | None, target: float, at_least: bool) -> str:
    if value is None:
        return "n/a"
    return "PASS" if (value >= target if at_least else value <= target) else "MISS"


def summarise(sides: dict[str, dict]) -> dict:
    trainer, ours, fp32 = sides["trainer"], sides["ours"], sides.get("ours-fp32")
    summary = {
        "tokens_per_second_ours_over_trainer": ratio(
            ours["train_tokens_per_second"], trainer["train_tokens_per_second"]
        ),
        "wall_trainer_over_ours": ratio(trainer["wall_seconds"], ours["wall_seconds"]),
        "peak_rss_ours_over_trainer": ratio(ours["peak_rss_mib"], trainer["peak_rss_mib"]),
        "cpu_seconds_trainer_over_ours": ratio(trainer["cpu_seconds"], ours["cpu_seconds"]),
    }
    summary["verdicts"] = {
        "tokens_per_second": verdict(summary["tokens_per_second_ours_over_trainer"], TARGET_TOKENS_RATIO, True),
        "wall": verdict(summary["wall_trainer_over_ours"], TARGET_WALL_RATIO, True),
        "peak_rss": verdict(summary["peak_rss_ours_over_trainer"], TARGET_MEMORY_RATIO, False),
    }
    if fp32 is not None:
        # The machinery alone, without bf16: our program in fp32 against the (fp32) Trainer.
        summary["fp32_tokens_per_second_ours_over_trainer"] = ratio(
            fp32["train_tokens_per_second"], trainer["train_tokens_per_second"]
        )
        summary["fp32_wall_trainer_over_ours"] = ratio(trainer["wall_seconds"], fp32["wall_seconds"])
        summary["bf16_tokens_per_second_over_fp32"] = ratio(
            ours["train_tokens_per_second"], fp32["train_tokens_per_second"]
        )
        if ours["precision"] == "bf16":
            difference = abs(fp32["micro_f1"] - ours["micro_f1"])
            summary["f1_fp32_minus_bf16"] = fp32["micro_f1"] - ours["micro_f1"]
            if max(fp32["micro_f1"], ours["micro_f1"]) < F1_MEANINGFUL:
                summary["verdicts"]["bf16_f1"] = (
                    f"INCONCLUSIVE (both F1 below {F1_MEANINGFUL}: the models find almost no entity yet; "
                    "rerun with more --epochs and/or a higher --learning-rate)"
                )
            else:
                summary["verdicts"]["bf16_f1"] = "PASS" if difference <= F1_TOLERANCE else "MISS"
        else:
            summary["verdicts"]["bf16_f1"] = "n/a (this CPU has no native bf16: both runs are fp32)"
    return summary


def print_report(sides: dict[str, dict], summary: dict, settings: dict) -> None:
    print()
    print("Settings: " + ", ".join(f"{key}={value}" for key, value in settings.items()))
    header = (
        f"{'side':<10} | {'train tokens/s':>14} | {'whole-fold wall s':>17} | {'peak RSS MiB':>12} | "
        f"{'CPU s':>7} | {'micro-F1':>8} | precision"
    )
    print(header)
    print("-" * len(header))
    for side in sides.values():
        f1 = "n/a" if side["micro_f1"] is None else f"{side['micro_f1']:.4f}"
        print(
            f"{side['side']:<10} | {side['train_tokens_per_second']:>14,.0f} | {side['wall_seconds']:>17.1f} | "
            f"{side['peak_rss_mib']:>12.0f} | {side['cpu_seconds']:>7.1f} | {f1:>8} | {side['precision']}"
        )
    trainer = sides["trainer"]
    print(
        f"(Trainer tokens/s counts its training epochs only, like ours; by its own train_runtime, which also "
        f"spans evaluation and checkpoint saving, it is {trainer['train_tokens_per_second_by_train_runtime']:,.0f}.)"
    )
    print()
    print("Where the whole-fold wall time goes (seconds):")
    for side in sides.values():
        print(f"  {side['side']:<10} " + ", ".join(f"{key} {value:.1f}" for key, value in side["phases"].items()))
    print()
    verdicts = summary["verdicts"]
    print(
        f"ours/Trainer training tokens/s  {summary['tokens_per_second_ours_over_trainer']:.2f}x "
        f"(target >= {TARGET_TOKENS_RATIO}x)  {verdicts['tokens_per_second']}"
    )
    print(
        f"Trainer/ours whole-fold wall    {summary['wall_trainer_over_ours']:.2f}x "
        f"(target >= {TARGET_WALL_RATIO}x)  {verdicts['wall']}"
    )
    print(
        f"ours/Trainer peak RSS           {summary['peak_rss_ours_over_trainer']:.2f}x "
        f"(target <= {TARGET_MEMORY_RATIO}x)  {verdicts['peak_rss']}"
    )
    print(
        f"Trainer/ours CPU seconds        {summary['cpu_seconds_trainer_over_ours']:.2f}x (information: less "
        f"disturbed by other load than wall time)"
    )
    if "fp32_tokens_per_second_ours_over_trainer" in summary:
        print(
            f"ours fp32/Trainer tokens/s      {summary['fp32_tokens_per_second_ours_over_trainer']:.2f}x, "
            f"Trainer/ours fp32 wall {summary['fp32_wall_trainer_over_ours']:.2f}x, "
            f"bf16/fp32 tokens/s {summary['bf16_tokens_per_second_over_fp32']:.2f}x (information)"
        )
    if "bf16_f1" in verdicts:
        fp32, ours = sides["ours-fp32"], sides["ours"]
        print(
            f"entity micro-F1 fp32 {fp32['micro_f1']:.4f}, {ours['precision']} {ours['micro_f1']:.4f}, "
            f"difference {summary.get('f1_fp32_minus_bf16', 0.0):+.4f} (target |diff| <= {F1_TOLERANCE})  "
            f"{verdicts['bf16_f1']}"
        )


# --------------------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.trainer_child is not None:
        trainer_child(args.trainer_child)
        return 0
    if args.prepare_child is not None:
        prepare_child(args.prepare_child)
        return 0

    problem = check_inputs(args)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    output = (args.output or Path(tempfile.mkdtemp(prefix="training-throughput-"))).resolve()
    output.mkdir(parents=True, exist_ok=True)
    schema = json.loads(args.schema.read_text(encoding="utf-8"))
    entity_types = list(schema["entity_types"])
    splits = fold_splits(args, output)
    env = child_environment(args.threads)
    began = time.perf_counter()

    print(f"Output folder: {output}")
    print("Preparing the MiniLM-2L backbone folder (not timed)...", flush=True)
    prepared = prepare(output, env)
    sides: dict[str, dict] = {}
    # One after the other, never in parallel; the Trainer first, then ours, then ours in fp32.
    print("Running the Trainer script...", flush=True)
    sides["trainer"] = run_trainer(args, output, splits, entity_types, prepared["backbone_dir"], env)
    print(f"  {sides['trainer']['wall_seconds']:.1f} s", flush=True)
    print("Running our program (precision auto)...", flush=True)
    sides["ours"] = run_ours(args, output, splits, entity_types, "auto", "ours", env)
    print(f"  {sides['ours']['wall_seconds']:.1f} s", flush=True)
    if not args.skip_fp32:
        print("Running our program (precision fp32)...", flush=True)
        sides["ours-fp32"] = run_ours(args, output, splits, entity_types, "fp32", "ours-fp32", env)
        print(f"  {sides['ours-fp32']['wall_seconds']:.1f} s", flush=True)

    summary = summarise(sides)
    settings = {
        "fold": args.fold,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "max_length": args.max_length,
        "stride": args.stride,
        "seed": args.seed,
        "threads": args.threads,
        "max_train_documents": args.max_train_documents,
        "cpu_native_bf16": prepared["cpu_native_bf16"],
        "torch": prepared["torch"],
        "transformers": prepared["transformers"],
    }
    print_report(sides, summary, settings)
    results = {
        "settings": settings
        | {
            "corpus": str(args.corpus.resolve()),
            "splits": str(splits),
            "schema": str(args.schema.resolve()),
            "backbone": BACKBONE,
            "backbone_dir": prepared["backbone_dir"],
            "order": list(sides),
        },
        "sides": sides,
        "summary": summary,
        "targets": {
            "tokens_per_second_ratio_at_least": TARGET_TOKENS_RATIO,
            "wall_ratio_at_least": TARGET_WALL_RATIO,
            "peak_rss_ratio_at_most": TARGET_MEMORY_RATIO,
            "f1_difference_at_most": F1_TOLERANCE,
        },
        # A child's ru_maxrss can include this parent's footprint at exec time; it is this small.
        "parent_peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "benchmark_seconds": time.perf_counter() - began,
    }
    (output / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\nResults: {output / 'results.json'} (benchmark took {results['benchmark_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
