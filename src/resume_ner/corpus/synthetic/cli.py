"""The command line that writes the synthetic corpus to a JSON file (``python -m resume_ner.corpus.synthetic``)."""

from __future__ import annotations

import argparse
from pathlib import Path

# The package itself rather than its names: the package imports this module to re-export ``main``, so its names
# exist only once it has finished importing, and are read when ``main`` runs.
from resume_ner.corpus import synthetic
from resume_ner.corpus.formats.json_spans import write_json

# Run as ``python -m`` argparse would otherwise call the program __main__.py.
PROG = "python -m resume_ner.corpus.synthetic"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=synthetic.__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("data/01_raw/synthetic_resumes.json"),
                        help="the JSON corpus file to write (default: %(default)s)")
    parser.add_argument("--documents", type=int, default=300, help="how many resumes (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    args = parser.parse_args(argv)
    corpus = synthetic.generate_corpus(args.documents, args.seed)
    write_json(corpus, args.output)
    counts = corpus.label_counts()
    print(f"wrote {len(corpus)} documents to {args.output}: "
          + ", ".join(f"{label}={counts.get(label, 0)}" for label in synthetic.ENTITY_TYPES))
    return 0
