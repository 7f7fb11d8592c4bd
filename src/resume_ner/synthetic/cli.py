"""The command line that writes the synthetic corpus to a JSON file (``python -m resume_ner.synthetic``)."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

# The package itself rather than its names: the package imports this module to re-export ``main``, so its names
# exist only once it has finished importing, and are read when ``main`` runs.
from resume_ner import synthetic
from resume_ner.corpus.formats.json_spans import write_json
from resume_ner.corpus.overlap import DEFAULT_PARAMETERS, read_parameters
from resume_ner.corpus.splits import SplitError

# Run as ``python -m`` argparse would otherwise call the program __main__.py.
PROG = "python -m resume_ner.synthetic"


def main(argv: list[str] | None = None) -> int:
    """Generate the corpus, write it as JSON and print its entity counts and which documents were held apart."""
    parser = argparse.ArgumentParser(prog=PROG, description=synthetic.__doc__.splitlines()[0])
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("data/01_raw/synthetic_resumes.json"),
        help="the JSON corpus file to write (default: %(default)s)",
    )
    parser.add_argument("--documents", type=int, default=300, help="how many resumes (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument(
        "--parameters",
        type=Path,
        default=DEFAULT_PARAMETERS,
        help="the data_processing parameters whose split decides which documents are held apart (default: %(default)s)",
    )
    parser.add_argument(
        "--no-hold-apart",
        action="store_true",
        help="draw every document from the training vocabulary (no hold-out vocabulary)",
    )
    args = parser.parse_args(argv)
    if args.no_hold_apart:
        corpus = synthetic.generate_corpus(args.documents, args.seed, hold_apart=False)
        parts: dict[str, str] = {}
    else:
        if not args.parameters.is_file():
            parser.error(f"--parameters {args.parameters} is not a file (run from the project folder, or pass it)")
        try:
            corpus, _, parts = synthetic.generate_held_apart(
                args.documents, args.seed, read_parameters(args.parameters)
            )
        except SplitError as error:
            parser.error(f"{error} (here: --no-hold-apart)")
    write_json(corpus, args.output)
    counts = corpus.label_counts()
    print(
        f"wrote {len(corpus)} documents to {args.output}: "
        + ", ".join(f"{label}={counts.get(label, 0)}" for label in synthetic.ENTITY_TYPES)
    )
    if parts:
        per_part = Counter(parts.values())
        print(
            f"vocabulary held apart: {per_part['holdout']} hold-out and {per_part['validation']} fold-0 validation "
            f"documents draw from their own parts, {per_part['train']} from the training part"
        )
    return 0
