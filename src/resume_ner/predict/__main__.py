"""``python -m resume_ner.predict --model DIR FILE...``: entities of text files as JSON on stdout.

Problems a user can fix (a missing or incomplete checkpoint folder, an unreadable or non-UTF-8 file, a bad
flag, an unavailable device) print one ``Error: ...`` line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from resume_ner.training.checkpoint import (
    METADATA_FILE,
    WEIGHTS_FILE,
    CheckpointError,
    CheckpointMetadata,
)

EXIT_USER_ERROR = 2
STDIN = "-"


class UsageError(Exception):
    """A problem the user can fix; reported as one line, without a traceback."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's usage errors, in the same one-line form as the others
        raise UsageError(f"{message} (see --help)")


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m resume_ner.predict",
        description=(
            "Find entities in UTF-8 text files with a trained resume-ner checkpoint. Prints one JSON document: "
            '[{"file": FILE, "entities": [{"start", "end", "label", "text"}]}], one entry per FILE in order. '
            "start/end are character offsets (end exclusive) into the file's exact text, newlines untranslated."
        ),
        epilog="Exit status: 0 on success, 2 for a problem you can fix (the message says which).",
    )
    parser.add_argument(
        "--model",
        required=True,
        metavar="DIR",
        help=f"checkpoint folder written by training ({WEIGHTS_FILE}, config, tokenizer and {METADATA_FILE})",
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="UTF-8 text file(s) to tag; '-' reads standard input (at most once)"
    )
    parser.add_argument(
        "--device", default="cpu", help="torch device to run the model on, e.g. cpu, cuda, cuda:1 (default: cpu)"
    )
    parser.add_argument(
        "--batch-size",
        type=_positive_int,
        default=32,
        metavar="N",
        help="windows per forward pass; lower it if memory runs out (default: 32)",
    )
    return parser


def _check_checkpoint(folder: Path) -> None:
    """Fail before the slow model load when ``folder`` cannot be a checkpoint."""
    if not folder.exists():
        raise UsageError(f"model folder {folder} does not exist")
    if not folder.is_dir():
        raise UsageError(f"model path {folder} is not a folder")
    try:
        CheckpointMetadata.read(folder)
    except CheckpointError as error:
        raise UsageError(str(error)) from None
    if not (folder / WEIGHTS_FILE).is_file():
        raise UsageError(f"{folder} has no {WEIGHTS_FILE}; only safetensors checkpoints are loaded")


def _read_text(name: str) -> str:
    where = "standard input" if name == STDIN else name
    try:
        data = sys.stdin.buffer.read() if name == STDIN else Path(name).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {where}: {error.strerror or error}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(
            f"{where} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "convert it, e.g. with iconv -t UTF-8"
        ) from None


def _check_device(device: str) -> None:
    import torch

    try:
        parsed = torch.device(device)
    except RuntimeError as error:
        raise UsageError(f"--device {device!r} is not a torch device: {error}") from None
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError(f"--device {device}: CUDA is not available on this machine")
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise UsageError(f"--device {device}: only {torch.cuda.device_count()} CUDA device(s) here")
    elif parsed.type == "mps" and not torch.backends.mps.is_available():
        raise UsageError(f"--device {device}: MPS is not available on this machine")


def _write_json(document) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False)
    try:
        text.encode(sys.stdout.encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        text = json.dumps(document, indent=2)  # \u escapes: still the same JSON
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.files.count(STDIN) > 1:
        raise UsageError("'-' (standard input) can be given only once")
    model_dir = Path(args.model)
    _check_checkpoint(model_dir)
    # Read every file before the (slow) model load, so a bad file fails at once.
    texts = [_read_text(name) for name in args.files]
    _check_device(args.device)

    from resume_ner.predict import Predictor, spans_to_json

    try:
        predictor = Predictor.load(model_dir, device=args.device, batch_size=args.batch_size)
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot load checkpoint {model_dir}: {error}") from None
    spans = predictor.predict_with_confidence(texts)
    _write_json(
        [
            {"file": name, "entities": spans_to_json(text, found)}
            for name, text, found in zip(args.files, texts, spans, strict=True)
        ]
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for problems the user can fix)."""
    try:
        return run(argv)
    except UsageError as error:
        print(f"Error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR


if __name__ == "__main__":
    sys.exit(main())
