"""``python -m resume_ner.training --config RUN_DIR/config.json``: one training run in its own process.

What it writes and how it ends is the contract of ``resume_ner.training.protocol``.

Exit status: 0 done; 2 bad config or input (one line on stderr); 3 out of memory; 143 stopped by SIGTERM or
Ctrl-C (the progress stream gets a final "stopped" event and no partial checkpoint is left); 1 anything else
(traceback on stderr and in run.log).

Under ``torchrun --nproc-per-node N -m resume_ner.training --config ...`` each process trains its slice of every
batch, with the single process's recipe (resume_ner.training.distributed). Rank 0 alone writes the effective
config, the progress stream, metrics.json, the checkpoint, MLflow records and one-line errors; rank K > 0 logs
to ``run.rankK.log``. A stop request on any rank stops every rank (each exits 143); torchrun itself exits 1 when
any process exits non-zero, so the final progress event is what tells the kind of ending.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import traceback
from pathlib import Path

from resume_ner.training.hyperparameters import HYPERPARAMETERS, RUN_SETTINGS
from resume_ner.training.protocol import (
    CONFIG_FILE,
    LOG_FILE,
    PROGRESS_FILE,
    Event,
    ExitStatus,
    expected_parent,
    log_file,
)

# Flags for people running the program by hand; each overrides one config key (training.hyperparameters).
OVERRIDES = (*RUN_SETTINGS, *HYPERPARAMETERS)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m resume_ner.training",
        description="Train a token-classification model as the run config says. The effective config (after the "
        "flags below) is written to OUTPUT_DIR/config.json, the single source of truth of the run.",
    )
    parser.add_argument("--config", required=True, type=Path, help="the run config (JSON)")
    for setting in OVERRIDES:
        parser.add_argument(
            setting.flag,
            type=setting.parse,
            dest=setting.name,
            help=f"override {setting.path}" + (f": {setting.help}" if setting.help else ""),
        )
    return parser.parse_args(argv)


def overrides_from(args: argparse.Namespace) -> dict:
    """The flags given, as run-config paths -> values."""
    values = {setting.path: getattr(args, setting.name) for setting in OVERRIDES}
    return {
        path: str(value) if isinstance(value, Path) else value for path, value in values.items() if value is not None
    }


def _is_out_of_memory(error: BaseException) -> bool:
    import torch

    message = str(error).lower()
    return (
        isinstance(error, (MemoryError, torch.OutOfMemoryError))
        or "out of memory" in message
        or "can't allocate memory" in message
    )


def _setup_logging(run_dir: Path, rank: int) -> None:
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    handler = logging.FileHandler(run_dir / log_file(rank), encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    import transformers

    transformers.logging.set_verbosity_error()  # the load report of a fresh tagging head is expected
    transformers.logging.disable_progress_bar()  # progress goes to the progress stream, not to stderr


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from resume_ner.errors import UserInputError, find_user_error
    from resume_ner.training.config import load_run_config
    from resume_ner.training.distributed import DistributedContext

    # Known from torchrun's environment before any heavy import, so only rank 0 ever reports.
    context = DistributedContext.from_env()
    try:
        config = load_run_config(args.config, overrides_from(args))
    except UserInputError as error:
        if context.is_main:
            print(f"Error: {error}", file=sys.stderr)
        return ExitStatus.BAD_INPUT
    run_dir = Path(config.output_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    from resume_ner.files import write_text_atomically
    from resume_ner.training.progress import ProgressStream, SilentProgress

    effective = run_dir / CONFIG_FILE
    if context.is_main and (effective.resolve() != Path(args.config).resolve() or overrides_from(args)):
        write_text_atomically(effective, config.to_json())
    progress = ProgressStream(run_dir / PROGRESS_FILE, config.progress) if context.is_main else SilentProgress()
    progress.emit(Event.STARTED, pid=os.getpid(), config=str(effective))
    from resume_ner.training.lifeline import StopRequest, die_with_parent

    stop = StopRequest().listen(signal.SIGTERM, signal.SIGINT)
    # A launcher that dies (even by SIGKILL) must not leave this run training on as an orphan.
    die_with_parent(expected_parent())
    _setup_logging(run_dir, context.rank)
    log = logging.getLogger("resume_ner.training")
    try:
        from resume_ner.training.loop import TrainingStopped
        from resume_ner.training.program import run_training

        try:
            metrics = run_training(config, progress, should_stop=lambda: bool(stop), context=context)
        except TrainingStopped:
            # A rank that got no signal itself was stopped because another rank got one.
            log.warning("Stopped by %s", stop.signal_name or "a stop request on another rank")
            progress.emit(Event.STOPPED, signal=stop.signal_name, status=ExitStatus.STOPPED)
            return ExitStatus.STOPPED
        progress.emit(
            Event.FINISHED,
            status=ExitStatus.OK,
            best_epoch=metrics["best_epoch"],
            best=metrics["best"],
            wall_seconds=metrics["wall_seconds"],
        )
        return ExitStatus.OK
    except Exception as error:  # the exit status tells the parent what kind of failure this was
        user_error = find_user_error(error)
        if user_error is not None:
            message = str(user_error)
            log.error("%s", message)
            if context.is_main:  # every rank meets the same bad input; one explanation is enough
                print(
                    f"Error: {message.splitlines()[0]} (details in {run_dir / LOG_FILE})"
                    if "\n" in message
                    else f"Error: {message}",
                    file=sys.stderr,
                )
            progress.emit(Event.FAILED, status=ExitStatus.BAD_INPUT, error=message.splitlines()[0])
            return ExitStatus.BAD_INPUT
        if _is_out_of_memory(error):
            log.error("Out of memory: %s", error)
            print(f"Error: out of memory: {str(error).splitlines()[0]}", file=sys.stderr)
            progress.emit(Event.FAILED, status=ExitStatus.OUT_OF_MEMORY, error="out of memory")
            return ExitStatus.OUT_OF_MEMORY
        trace = traceback.format_exc()
        log.error("Run failed:\n%s", trace)
        print(trace, file=sys.stderr, end="")
        progress.emit(Event.FAILED, status=ExitStatus.FAILED, error=f"{type(error).__name__}: {error}")
        return ExitStatus.FAILED
    finally:
        progress.close()
        context.close()


if __name__ == "__main__":
    sys.exit(main())
