"""A seeded generator of synthetic, annotated resumes: the default corpus this project ships.

We may not commit third-party resumes, so the default corpus is made here from hand-written pools of made-up
values (``vocabulary``). A resume is assembled as lines of segments, each segment either plain text or
an entity with its label, so the spans come from how the text was built and never from searching it afterwards.
Layout choices (section order, headings, casing, bullets, separators, blank lines, line wrapping) vary per
document so that no single template can be learnt. About 10% of the documents are long (many jobs) and about 5%
are near-duplicates of an earlier document, as in real resume collections.

    python -m resume_ner.corpus.synthetic --output data/01_raw/synthetic_resumes.json --documents 300 --seed 0

Modules: ``vocabulary`` (the pools), ``layout`` (lines, segments, style, draft, rendering), ``fields`` (values
such as phones, e-mails, dates, locations), ``sections`` (header, summary, jobs, education, skills, extras),
``resume`` (one new resume), ``near_duplicates`` (a changed copy of one), ``cli`` (the command line).
"""

from __future__ import annotations

import random

from resume_ner.corpus.documents import Corpus
from resume_ner.corpus.synthetic.cli import main
from resume_ner.corpus.synthetic.layout import ENTITY_TYPES, Draft, render
from resume_ner.corpus.synthetic.near_duplicates import near_duplicate
from resume_ner.corpus.synthetic.resume import new_resume

__all__ = ["ENTITY_TYPES", "generate_corpus", "main"]

LONG_SHARE = 0.10
NEAR_DUPLICATE_SHARE = 0.05


def generate_corpus(n_documents: int = 300, seed: int = 0) -> Corpus:
    """``n_documents`` synthetic resumes, the same for the same seed on any machine and Python run."""
    if n_documents < 0:
        raise ValueError(f"n_documents must be >= 0, got {n_documents}")
    rng = random.Random(seed)
    # Exact shares rather than a coin per document, so even a small corpus has long documents and duplicates.
    duplicate_positions = sorted(rng.sample(range(1, n_documents), round(n_documents * NEAR_DUPLICATE_SHARE))
                                 if n_documents > 1 else [])
    fresh = [index for index in range(n_documents) if index not in duplicate_positions]
    long_positions = set(rng.sample(fresh, min(len(fresh), round(n_documents * LONG_SHARE))))
    originals: list[Draft] = []
    documents = []
    for index in range(n_documents):
        if duplicate_positions and duplicate_positions[0] == index:
            duplicate_positions.pop(0)
            draft = near_duplicate(rng, rng.choice(originals))
        else:
            draft = new_resume(rng, long=index in long_positions)
            originals.append(draft)
        documents.append(render(f"synthetic-{index:04d}", draft))
    return Corpus(tuple(documents), source=f"synthetic(seed={seed})")
