"""How a synthetic resume is laid out and rendered: lines of segments, the per-document style, the draft, wrapping.

A segment is plain text or an entity with its label; a resume is a list of lines of segments, so the spans of the
rendered ``Document`` come from how the text was built and never from searching it afterwards.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from resume_ner.corpus.documents import Document, Span
from resume_ner.synthetic import vocabulary as vocab
from resume_ner.synthetic.parts import Pools

ENTITY_TYPES = (
    "NAME",
    "EMAIL",
    "PHONE",
    "LOCATION",
    "TITLE",
    "COMPANY",
    "YEARS_EXPERIENCE",
    "DEGREE",
    "COLLEGE",
    "GRAD_YEAR",
    "SKILL",
)

Segment = tuple[str, "str | None"]


@dataclass(frozen=True)
class Line:
    segments: tuple[Segment, ...] = ()
    kind: str = "text"
    group: int = -1  # the job a bullet belongs to, so a near-duplicate can add or drop one


@dataclass(frozen=True)
class Style:
    bullet: str
    heading_case: str
    heading_decor: str
    gap: int
    job_layout: int
    job_gap: bool
    edu_layout: int
    skills_layout: int
    contact_layout: int
    date_format: int
    range_sep: str
    present: str
    location_format: int
    wrap: int
    upper_name: bool
    upper_company: bool
    lower_skills: bool
    responsibilities_label: str
    leading_newline: bool
    trailing_newline: bool


@dataclass
class Draft:
    """A resume before rendering, kept so a near-duplicate can be derived from it line by line.

    ``pools`` is the part of the vocabulary it draws from and ``domain`` that part's version of its domain.
    """

    lines: list[Line]
    style: Style
    pools: Pools
    domain: vocab.Domain
    first: str
    last: str
    country: str
    phone_format: int
    skills: list[str] = field(default_factory=list)


def segment(text: str, label: str | None = None) -> Segment:
    if label is not None and (not text or text != text.strip() or label not in ENTITY_TYPES):
        raise ValueError(f"bad entity segment {text!r} ({label})")
    return (text, label)


def make_line(*parts, kind: str = "text", group: int = -1) -> Line:
    """Plain strings become plain segments; ``(text, label)`` tuples are entities; empty parts are dropped."""
    segments = tuple(segment(*part) if isinstance(part, tuple) else segment(part) for part in parts if part)
    return Line(segments, kind, group)


def join_present(items: list, separator: str) -> list:
    """``items`` joined by ``separator``, leaving out missing (None) items together with their separator."""
    present = [item for item in items if item]
    joined = []
    for index, item in enumerate(present):
        if index:
            joined.append(separator)
        joined.append(item)
    return joined


def new_style(rng: random.Random) -> Style:
    return Style(
        bullet=rng.choice(("• ", "• ", "- ", "* ", "▪ ", "o ", "  • ", "")),
        heading_case=rng.choice(("upper", "upper", "title")),
        heading_decor=rng.choice(("", "", ":", "-", "=", "bracket")),
        gap=rng.choice((0, 1, 1, 1, 2)),
        job_layout=rng.randrange(7),
        job_gap=rng.random() < 0.25,
        edu_layout=rng.randrange(6),
        skills_layout=rng.randrange(6),
        contact_layout=rng.randrange(6),
        date_format=rng.randrange(5),
        range_sep=rng.choice((" - ", " – ", " to ", " — ", "-")),  # noqa: RUF001 (resumes use en dashes)
        present=rng.choice(("Present", "Present", "Current", "till date", "Till Date", "Now")),
        location_format=rng.randrange(5),
        wrap=rng.choice((0, 0, 0, 80, 90, 100)),
        upper_name=rng.random() < 0.3,
        upper_company=rng.random() < 0.15,
        lower_skills=rng.random() < 0.15,
        responsibilities_label=rng.choice(("", "", "", "Responsibilities:", "Key responsibilities:", "Roles:")),
        leading_newline=rng.random() < 0.25,
        trailing_newline=rng.random() < 0.7,
    )


def _wrap(segments: tuple[Segment, ...], width: int) -> list[Segment]:
    """Break long lines at spaces in plain text, as text copied out of a PDF often is; entities stay whole."""
    if not width or sum(len(text) for text, _ in segments) <= width:
        return list(segments)
    pieces: list[tuple[str, str | None]] = []
    for text, label in segments:
        pieces += [(text, label)] if label else [(part, None) for part in re.split(r"( )", text) if part]
    out: list[list[str | None]] = []
    column = 0
    for text, label in pieces:
        if label is None and text == " ":
            out.append([text, None])
            column += 1
            continue
        if column > 12 and column + len(text) > width and out and out[-1] == [" ", None]:
            out[-1][0] = "\n"
            column = 0
        out.append([text, label])
        column += len(text)
    return [(str(text), label) for text, label in out]


def render(doc_id: str, draft: Draft) -> Document:
    parts: list[str] = ["\n"] if draft.style.leading_newline else []
    position = len(parts)
    spans = []
    for number, line in enumerate(draft.lines):
        if number:
            parts.append("\n")
            position += 1
        for text, label in _wrap(line.segments, draft.style.wrap):
            if label:
                spans.append(Span(position, position + len(text), label))
            parts.append(text)
            position += len(text)
    if draft.style.trailing_newline:
        parts.append("\n")
    return Document(doc_id, "".join(parts), tuple(spans))
