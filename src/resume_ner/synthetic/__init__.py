"""A seeded generator of synthetic, annotated resumes: the default corpus this project ships.

We may not commit third-party resumes, so the default corpus is made here from hand-written pools of made-up
values (``vocabulary``). A resume is assembled as lines of segments, each segment either plain text or
an entity with its label, so the spans come from how the text was built and never from searching it afterwards.
Layout choices (section order, headings, casing, bullets, separators, blank lines, line wrapping) vary per
document so that no single template can be learnt. About 10% of the documents are long (many jobs) and about 5%
are near-duplicates of an earlier document, as in real resume collections.

The documents that ``data_processing`` will hold out, and fold 0's validation documents, draw their names,
companies, titles, skills and colleges from parts of the vocabulary that no training document uses (``parts``,
``held_apart``), so a hold-out score measures recognising new values, not recalling a closed list.

    python -m resume_ner.synthetic --output data/01_raw/synthetic_resumes.json --documents 300 --seed 0

Modules: ``vocabulary`` (the pools), ``parts`` (the pools cut into train, hold-out and validation parts),
``layout`` (lines, segments, style, draft, rendering), ``fields`` (values such as phones, e-mails, dates,
locations), ``sections`` (header, summary, jobs, education, skills, extras), ``resume`` (one new resume),
``near_duplicates`` (a changed copy of one), ``held_apart`` (which document draws from which part, and the check
that the split stays as planned), ``cli`` (the command line).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from resume_ner.corpus.documents import Corpus
from resume_ner.corpus.overlap import PipelineSplits, pipeline_splits
from resume_ner.corpus.splits import SplitError
from resume_ner.synthetic.cli import main
from resume_ner.synthetic.held_apart import HeldApartError, check_split, planned_parts
from resume_ner.synthetic.layout import ENTITY_TYPES, Draft, render
from resume_ner.synthetic.near_duplicates import near_duplicate
from resume_ner.synthetic.parts import POOLS, pick
from resume_ner.synthetic.resume import new_resume

__all__ = ["ENTITY_TYPES", "HeldApartCorpus", "HeldApartError", "generate_corpus", "generate_held_apart", "main"]

LONG_SHARE = 0.10
NEAR_DUPLICATE_SHARE = 0.05


class HeldApartCorpus(NamedTuple):
    """A generated corpus, how ``data_processing`` splits it, and the vocabulary part of each document."""

    corpus: Corpus
    splits: PipelineSplits | None  # None for an empty corpus: nothing to split
    parts: dict[str, str]


def generate_corpus(
    n_documents: int = 300, seed: int = 0, parameters: Mapping | None = None, hold_apart: bool = True
) -> Corpus:
    """``n_documents`` synthetic resumes, the same for the same seed on any machine and Python run.

    With ``hold_apart`` (the default), the documents that ``data_processing`` run with ``parameters`` (its
    ``{"corpus": ..., "splits": ...}`` parameters; None: its defaults) puts in the hold-out set and in fold 0's
    validation set draw from vocabulary no training document uses (see ``generate_held_apart``). Without it
    every document draws from the training part: the corpus the split is planned on.
    """
    if not hold_apart:
        return _draw(n_documents, seed, ["train"] * max(n_documents, 0))
    return generate_held_apart(n_documents, seed, parameters).corpus


def generate_held_apart(n_documents: int = 300, seed: int = 0, parameters: Mapping | None = None) -> HeldApartCorpus:
    """The held-apart corpus with its split and plan: draw every document from the training part, split it as
    ``data_processing`` would with ``parameters``, draw the hold-out and fold 0's validation documents again from
    their own parts, and check that the new corpus splits the same way (``HeldApartError`` if not)."""
    planned_on = _draw(n_documents, seed, ["train"] * max(n_documents, 0))
    if not n_documents:
        return HeldApartCorpus(planned_on, None, {})
    try:
        planned = pipeline_splits(planned_on, parameters)
    except SplitError as error:
        raise SplitError(
            f"cannot plan which of {n_documents} synthetic documents to hold out ({error}); make more "
            f"documents or generate with hold_apart=False"
        ) from error
    parts = planned_parts(planned)
    corpus = _draw(n_documents, seed, [parts[doc_id] for doc_id in planned_on.ids()])
    final = pipeline_splits(corpus, parameters)
    check_split(planned, final)
    return HeldApartCorpus(corpus, final, parts)


def _doc_id(index: int) -> str:
    return f"synthetic-{index:04d}"


def _draw(n_documents: int, seed: int, parts: Sequence[str]) -> Corpus:
    """The corpus with document ``i`` drawn from vocabulary part ``parts[i]``.

    Each document has a random stream of its own, seeded from the corpus seed, so drawing one document from
    another part changes neither the other documents nor its own structure.
    """
    if n_documents < 0:
        raise ValueError(f"n_documents must be >= 0, got {n_documents}")
    rng = random.Random(seed)
    # Exact shares rather than a coin per document, so even a small corpus has long documents and duplicates.
    duplicate_positions = set(
        rng.sample(range(1, n_documents), round(n_documents * NEAR_DUPLICATE_SHARE)) if n_documents > 1 else []
    )
    fresh = [index for index in range(n_documents) if index not in duplicate_positions]
    long_positions = set(rng.sample(fresh, min(len(fresh), round(n_documents * LONG_SHARE))))
    document_seeds = [rng.getrandbits(64) for _ in range(n_documents)]
    drafts: list[Draft] = []
    originals: list[int] = []
    for index in range(n_documents):
        document_rng = random.Random(document_seeds[index])
        if index in duplicate_positions:
            original = pick(document_rng, originals)
            if parts[original] != parts[index]:
                # The copy would carry its original's values into another split: data_processing did not group
                # the two (too many lines changed for its near-duplicate threshold).
                raise HeldApartError(
                    f"{_doc_id(index)}, a near-duplicate of {_doc_id(original)}, is planned for the "
                    f"{parts[index]} part but its original for the {parts[original]} part; try another seed"
                )
            draft = near_duplicate(document_rng, drafts[original])
        else:
            draft = new_resume(document_rng, long=index in long_positions, pools=POOLS[parts[index]])
            originals.append(index)
        drafts.append(draft)
    return Corpus(
        tuple(render(_doc_id(index), draft) for index, draft in enumerate(drafts)), source=f"synthetic(seed={seed})"
    )
