"""Planning which documents draw from which part of the vocabulary, and checking the plan held.

The split is ``data_processing``'s to make, not the generator's: it depends on each document's entity types, its
near-duplicate group and its id. So the generator first draws every document from the ``train`` part, splits that
corpus exactly as ``data_processing`` would (``resume_ner.corpus.overlap.pipeline_splits``), then draws the
hold-out documents again from the ``holdout`` part and fold 0's validation documents from the ``validation`` part
(``parts``), and finally splits the result again to check that nothing moved: same documents on the same sides.
"""

from __future__ import annotations

from resume_ner.corpus.overlap import PipelineSplits


class HeldApartError(RuntimeError):
    """The held-apart corpus would not split as planned, so evaluation documents could share training values."""


# The fold whose validation documents get a vocabulary part of their own; its training documents are the
# ``train`` part only, so its validation score means what the hold-out's does.
HELD_APART_FOLD = 0


def planned_parts(splits: PipelineSplits) -> dict[str, str]:
    """The vocabulary part of every document: ``holdout`` for the hold-out documents, ``validation`` for the
    validation documents of fold ``HELD_APART_FOLD``, ``train`` for the rest."""
    holdout = set(splits.holdout_split["holdout"])
    validation = set(splits.folds["folds"][HELD_APART_FOLD]["validation"])
    return {
        doc_id: "holdout" if doc_id in holdout else "validation" if doc_id in validation else "train"
        for doc_id in splits.corpus.ids()
    }


def _sides(splits: PipelineSplits) -> dict[str, tuple[str, ...]]:
    """Where each document goes: hold-out or not, and which fold validates it."""
    holdout = set(splits.holdout_split["holdout"])
    fold_of = {doc_id: fold["fold"] for fold in splits.folds["folds"] for doc_id in fold["validation"]}
    return {
        doc_id: ("holdout",) if doc_id in holdout else ("fold", str(fold_of.get(doc_id)))
        for doc_id in splits.corpus.ids()
    }


def check_split(planned: PipelineSplits, final: PipelineSplits) -> None:
    """Raise ``HeldApartError`` naming the documents that ``final`` puts on another side than ``planned`` did
    (for instance when a document drawn again became a near-duplicate of another)."""
    before, after = _sides(planned), _sides(final)
    moved = [
        f"{doc_id} ({' '.join(before.get(doc_id, ('missing',)))} -> {' '.join(after.get(doc_id, ('missing',)))})"
        for doc_id in sorted(set(before) | set(after))
        if before.get(doc_id) != after.get(doc_id)
    ]
    if moved:
        raise HeldApartError(
            f"data_processing splits the held-apart corpus differently from the plan: {len(moved)} document(s) "
            f"moved: {', '.join(moved[:10])}; try another seed"
        )
