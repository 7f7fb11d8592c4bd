"""Assembling one new synthetic resume: the person, the style, the career, and the order of the sections."""

from __future__ import annotations

import random

from resume_ner.synthetic import vocabulary as vocab
from resume_ner.synthetic.fields import CURRENT_MONTH, CURRENT_YEAR, years_phrase
from resume_ner.synthetic.layout import Draft, Line, make_line, new_style
from resume_ner.synthetic.parts import Pools, pick, pick_distinct
from resume_ner.synthetic.sections import (
    education_lines,
    extra_section,
    header_lines,
    heading_lines,
    job_lines,
    make_jobs,
    skills_lines,
    summary_lines,
)


def new_resume(rng: random.Random, long: bool, pools: Pools) -> Draft:
    """A new resume whose names, companies, colleges, titles and skills come from ``pools``; the same ``rng``
    state gives the same resume structure whichever part of the vocabulary ``pools`` is."""
    style = new_style(rng)
    domain = pick(rng, pools.domains)
    first, last = pick(rng, pools.first_names), pick(rng, pools.last_names)
    home = rng.choice(vocab.CITIES)
    skills = pick_distinct(rng, domain.skills, min(rng.randint(7, 16), len(domain.skills)))
    skills += [s for s in pick_distinct(rng, pools.shared_skills, rng.randint(0, 3)) if s not in skills]
    draft = Draft([], style, pools, domain, first, last, home.country, rng.randrange(4), skills)

    display = f"{first} {rng.choice('ABCDEFGHJKLMNPRSTV')}. {last}" if rng.random() < 0.15 else f"{first} {last}"
    display = display.upper() if style.upper_name else display
    count = rng.randint(12, 16) if long else rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6))
    jobs = make_jobs(rng, draft, count, long, home, pick(rng, domain.titles))
    months = CURRENT_YEAR * 12 + CURRENT_MONTH - (jobs[-1].start[0] * 12 + jobs[-1].start[1])

    header = header_lines(rng, draft, display, jobs[0].title, jobs[0].company, home)
    if rng.random() < 0.15:
        header.append(
            make_line(
                rng.choice(("Total Experience: ", "Experience: ")), (years_phrase(rng, months), "YEARS_EXPERIENCE")
            )
        )
    sections: dict[str, list[Line]] = {}
    if rng.random() < 0.8:
        sections["summary"] = summary_lines(rng, draft, jobs[0].title, jobs[0].company, months)
    experience = heading_lines(style, rng.choice(vocab.HEADINGS["experience"]))
    for index, job in enumerate(jobs):
        if index:
            experience += [Line(kind="blank")] * max(style.gap, int(style.job_gap))
        experience += job_lines(rng, draft, job, index)
    sections["experience"] = experience
    sections["education"] = heading_lines(style, rng.choice(vocab.HEADINGS["education"])) + education_lines(
        rng, draft, jobs[-1].start[0]
    )
    sections["skills"] = heading_lines(style, rng.choice(vocab.HEADINGS["skills"])) + skills_lines(rng, draft)

    order = list(
        rng.choice(
            (
                ("experience", "education", "skills"),
                ("experience", "education", "skills"),
                ("skills", "experience", "education"),
                ("experience", "skills", "education"),
                ("education", "experience", "skills"),
            )
        )
    )
    extras = ["projects"] if long else []
    extras += [
        name
        for name in ("projects", "certifications", "languages", "interests", "links", "personal")
        if name not in extras and rng.random() < 0.2
    ]
    rng.shuffle(extras)
    if rng.random() < 0.12:
        extras.append("declaration")
    for name in extras:
        sections[name] = extra_section(rng, draft, name, display, home)

    lines = list(header)
    for name in (["summary"] if "summary" in sections else []) + order + extras:
        lines += [Line(kind="blank")] * max(1, style.gap) + sections[name]
    draft.lines = lines
    return draft
