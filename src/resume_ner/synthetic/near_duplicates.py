"""Making a near-duplicate of a synthetic resume: the same draft re-submitted with one or two lines changed.

Not to be confused with ``resume_ner.corpus.near_duplicates``, which finds near-duplicates in any corpus.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Callable

from resume_ner.synthetic.fields import random_email, random_phone
from resume_ner.synthetic.layout import Draft, Line, segment
from resume_ner.synthetic.parts import pick
from resume_ner.synthetic.sections import bullet_line


def near_duplicate(rng: random.Random, original: Draft) -> Draft:
    """The same resume re-submitted with one or two lines changed; spans follow because segments move with text."""
    # The same part of the vocabulary as the original (``pools``, ``domain``): the copy sits in its group.
    draft = dataclasses.replace(original, lines=list(original.lines))
    changes = rng.sample(("phone", "email", "add-bullet", "drop-bullet", "years", "title"), 2)[: rng.randint(1, 2)]
    for change in changes:
        if not _apply_change(rng, draft, change):
            _apply_change(rng, draft, "add-bullet")
    return draft


def _replace_entity(draft: Draft, label: str, new: Callable[[str], str | None]) -> bool:
    for index, line in enumerate(draft.lines):
        for position, (text, segment_label) in enumerate(line.segments):
            if segment_label == label:
                replacement = new(text)
                if replacement is None or replacement == text:
                    return False
                segments = line.segments[:position] + (segment(replacement, label),) + line.segments[position + 1 :]
                draft.lines[index] = Line(segments, line.kind, line.group)
                return True
    return False


def _one_more_year(phrase: str) -> str | None:
    """``"7+ years"`` -> ``"8+ years"``: the resume re-sent a year later. None for a phrase in words."""
    if not re.search(r"\d", phrase):
        return None
    return re.sub(r"\d+", lambda match: str(int(match.group()) + 1), phrase, count=1)


def _apply_change(rng: random.Random, draft: Draft, change: str) -> bool:
    bullets = [index for index, line in enumerate(draft.lines) if line.kind == "bullet"]
    if change == "phone":
        return _replace_entity(draft, "PHONE", lambda old: random_phone(rng, draft.country, draft.phone_format))
    if change == "email":
        return _replace_entity(draft, "EMAIL", lambda old: random_email(rng, draft.first, draft.last))
    if change == "years":
        return _replace_entity(draft, "YEARS_EXPERIENCE", _one_more_year)
    if change == "title":
        # Another title than the old one, never "the same, so try something else": whether a random title equals
        # the old one would depend on the vocabulary part, and then so would the copy's structure.
        return _replace_entity(
            draft,
            "TITLE",
            lambda old: pick(rng, [title for title in draft.domain.titles if title.lower() != old.lower()]),
        )
    if change == "drop-bullet":
        per_job = [i for i in bullets if sum(draft.lines[j].group == draft.lines[i].group for j in bullets) > 2]
        if not per_job:
            return False
        del draft.lines[rng.choice(per_job)]
        return True
    if not bullets:
        return False
    after = rng.choice(bullets)
    draft.lines.insert(after + 1, bullet_line(rng, draft, draft.lines[after].group))
    return True
