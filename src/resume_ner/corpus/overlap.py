"""How many evaluation mentions a model has already seen in training: the mention overlap of each split.

A hold-out score means little when the hold-out's entities are the training documents' entities again: a model
that memorised a closed vocabulary scores high without recognising anything new. This module measures, for the
hold-out set and each fold's validation set, the share of entity mentions whose exact text *and* type also occur
as a mention on the training side of that split, overall and per entity type. Verbatim means verbatim: "python"
and "Python", or "Python" the SKILL and "Python" the COMPANY, are different mentions.

    python -m resume_ner.corpus.overlap [CORPUS] [--format json|json-spans|...] [--parameters YML]

prints the table for a corpus file, split as ``data_processing`` would split it with the parameters in
``conf/base/parameters_data_processing.yml``.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

import yaml

from resume_ner.corpus.documents import Corpus

DEFAULT_CORPUS = Path("data/01_raw/synthetic_resumes.json")
DEFAULT_PARAMETERS = Path("conf/base/parameters_data_processing.yml")


def _mentions(corpus: Corpus, ids: Iterable[str]) -> list[tuple[str, str]]:
    """(text, type) of every span of the documents ``ids``, one per occurrence."""
    documents = corpus.subset(list(ids))
    return [(doc.text[span.start : span.end], span.label) for doc in documents for span in doc.spans]


def _share(part: int, whole: int) -> float | None:
    # Four decimals are plenty for a report read by people; no mentions means no share rather than 0 or 1.
    return round(part / whole, 4) if whole else None


def mention_overlap(corpus: Corpus, train_ids: Iterable[str], evaluation_ids: Iterable[str]) -> dict:
    """The evaluation documents' mentions (text and type, each occurrence) that also occur among the training
    documents' mentions: ``{"mentions", "in_training", "share", "per_type": {type: {same keys but per_type}}}``."""
    seen = set(_mentions(corpus, train_ids))
    mentions: Counter[str] = Counter()
    in_training: Counter[str] = Counter()
    for mention in _mentions(corpus, evaluation_ids):
        mentions[mention[1]] += 1
        in_training[mention[1]] += mention in seen
    total, known = sum(mentions.values()), sum(in_training.values())
    return {
        "mentions": total,
        "in_training": known,
        "share": _share(known, total),
        "per_type": {
            label: {
                "mentions": mentions[label],
                "in_training": in_training[label],
                "share": _share(in_training[label], mentions[label]),
            }
            for label in sorted(mentions)
        },
    }


def split_overlap(corpus: Corpus, holdout_split: dict, folds: dict) -> dict:
    """``mention_overlap`` of the hold-out set against the training part, and of each fold's validation set
    against that fold's training set: ``{"holdout": {...}, "folds": [{...}, ...]}``."""
    return {
        "holdout": mention_overlap(corpus, holdout_split["train"], holdout_split["holdout"]),
        "folds": [mention_overlap(corpus, fold["train"], fold["validation"]) for fold in folds["folds"]],
    }


def format_overlap(report: dict) -> str:
    """``split_overlap``'s report as a table: a row per entity type (and "all"), a column per split; each cell is
    the share of that split's mentions seen in its training side and, in brackets, how many mentions there are."""
    columns = [("holdout", report["holdout"])] + [(f"fold {index}", fold) for index, fold in enumerate(report["folds"])]
    types = sorted({label for _, overlap in columns for label in overlap["per_type"]})

    def cell(overlap: dict | None) -> str:
        if not overlap or not overlap["mentions"]:
            return "-"
        return f"{overlap['share']:.1%} ({overlap['mentions']})"

    rows = [["type"] + [name for name, _ in columns], ["all"] + [cell(overlap) for _, overlap in columns]]
    rows += [[label] + [cell(overlap["per_type"].get(label)) for _, overlap in columns] for label in types]
    widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            text.ljust(width) if index == 0 else text.rjust(width)
            for index, (text, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )


class PipelineSplits(NamedTuple):
    """What ``data_processing`` makes of a raw corpus: the processed corpus, its groups and splits."""

    corpus: Corpus
    document_groups: dict
    holdout_split: dict
    folds: dict


def pipeline_splits(
    raw_corpus: Corpus, parameters: Mapping | None = None, extra_corpora: Mapping[str, Corpus] | None = None
) -> PipelineSplits:
    """Split ``raw_corpus`` exactly as the ``data_processing`` pipeline does, by calling its nodes in order with
    ``parameters`` (``{"corpus": {...}, "splits": {...}, "extra_corpora": {...}}`` as in its parameters file;
    missing keys take the nodes' defaults). ``extra_corpora`` (name -> raw corpus) join the training side."""
    # Imported here, not at the top: the data_processing nodes import this module for the corpus report.
    from resume_ner.pipelines.data_processing import nodes
    from resume_ner.pipelines.data_processing.parameters import (
        CorpusParameters,
        ExtraCorporaParameters,
        SplitParameters,
    )

    parameters = parameters or {}
    corpus_parameters = CorpusParameters(**parameters.get("corpus", {}))
    split_parameters = SplitParameters(**parameters.get("splits", {}))
    extra_parameters = ExtraCorporaParameters.model_validate(parameters.get("extra_corpora") or {})
    main = nodes.resolve_overlaps(nodes.map_labels(raw_corpus, corpus_parameters), corpus_parameters)
    extra, _ = nodes.prepare_extra_corpora(
        dict(extra_corpora or {}), main, extra_parameters, corpus_parameters, split_parameters
    )
    corpus = nodes.join_corpora(main, extra)
    groups = nodes.group_near_duplicates(corpus, split_parameters)
    holdout = nodes.split_holdout(corpus, groups, extra, split_parameters)
    return PipelineSplits(corpus, groups, holdout, nodes.make_folds(corpus, groups, holdout, split_parameters))


def read_parameters(path: str | Path = DEFAULT_PARAMETERS) -> dict:
    """The ``corpus``, ``splits`` and ``extra_corpora`` sections of a data_processing parameters file."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return {key: data.get(key) or {} for key in ("corpus", "splits", "extra_corpora")}


def main(argv: list[str] | None = None) -> int:
    """Print the mention overlap of a corpus file's splits (``python -m resume_ner.corpus.overlap``)."""
    from resume_ner.corpus.formats import READERS
    from resume_ner.corpus.reading import read_corpus

    parser = argparse.ArgumentParser(prog="python -m resume_ner.corpus.overlap", description=__doc__.splitlines()[0])
    parser.add_argument(
        "corpus", nargs="?", type=Path, default=DEFAULT_CORPUS, help="the raw corpus file (default: %(default)s)"
    )
    parser.add_argument("--format", default="json", choices=sorted(READERS), help="its format (default: json)")
    parser.add_argument(
        "--parameters",
        type=Path,
        default=DEFAULT_PARAMETERS,
        help="data_processing parameters to split with (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    args = parser.parse_args(argv)
    made = pipeline_splits(read_corpus(args.corpus, args.format), read_parameters(args.parameters))
    report = split_overlap(made.corpus, made.holdout_split, made.folds)
    print(json.dumps(report, indent=2) if args.json else format_overlap(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
