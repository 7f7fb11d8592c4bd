"""A seeded generator of synthetic, annotated resumes: the default corpus this project ships.

We may not commit third-party resumes, so the default corpus is made here from hand-written pools of made-up
values (``synthetic_vocabulary``). A resume is assembled as lines of segments, each segment either plain text or
an entity with its label, so the spans come from how the text was built and never from searching it afterwards.
Layout choices (section order, headings, casing, bullets, separators, blank lines, line wrapping) vary per
document so that no single template can be learnt. About 10% of the documents are long (many jobs) and about 5%
are near-duplicates of an earlier document, as in real resume collections.

    python -m resume_ner.corpus.synthetic --output data/01_raw/synthetic_resumes.json --documents 300 --seed 0
"""

from __future__ import annotations

import argparse
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from resume_ner.corpus import synthetic_vocabulary as vocab
from resume_ner.corpus.documents import Corpus, Document, Span
from resume_ner.corpus.formats.json_spans import write_json

ENTITY_TYPES = (
    "NAME", "EMAIL", "PHONE", "LOCATION", "TITLE", "COMPANY", "YEARS_EXPERIENCE", "DEGREE", "COLLEGE",
    "GRAD_YEAR", "SKILL",
)

# A fixed "today", so the same seed gives the same corpus in any year.
CURRENT_YEAR, CURRENT_MONTH = 2024, 6
LONG_SHARE = 0.10
NEAR_DUPLICATE_SHARE = 0.05

Segment = tuple[str, "str | None"]

_SLOT = re.compile(r"\{(\w+)\}")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                 "twelve")
# Resumes from these countries tend to write "Austin, TX" rather than "Austin, Texas".
_REGION_CODE_COUNTRIES = ("USA", "Canada", "Australia")
_PRACTICES = frozenset(vocab.PRACTICES)


@dataclass(frozen=True)
class _Line:
    segments: tuple[Segment, ...] = ()
    kind: str = "text"
    group: int = -1  # the job a bullet belongs to, so a near-duplicate can add or drop one


@dataclass(frozen=True)
class _Style:
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
class _Draft:
    """A resume before rendering, kept so a near-duplicate can be derived from it line by line."""

    lines: list[_Line]
    style: _Style
    domain: vocab.Domain
    first: str
    last: str
    country: str
    phone_format: int
    skills: list[str] = field(default_factory=list)


def _seg(text: str, label: str | None = None) -> Segment:
    if label is not None and (not text or text != text.strip() or label not in ENTITY_TYPES):
        raise ValueError(f"bad entity segment {text!r} ({label})")
    return (text, label)


def _line(*parts, kind: str = "text", group: int = -1) -> _Line:
    """Plain strings become plain segments; ``(text, label)`` tuples are entities; empty parts are dropped."""
    segments = tuple(_seg(*part) if isinstance(part, tuple) else _seg(part) for part in parts if part)
    return _Line(segments, kind, group)


def _join(items: list, separator: str) -> list:
    """``items`` joined by ``separator``, leaving out missing (None) items together with their separator."""
    present = [item for item in items if item]
    joined = []
    for index, item in enumerate(present):
        if index:
            joined.append(separator)
        joined.append(item)
    return joined


# --- values -----------------------------------------------------------------------------------------------------


def _location(city: vocab.City, style: _Style) -> str:
    fmt = style.location_format
    if fmt == 0:
        return f"{city.name}, {city.region_code if city.country in _REGION_CODE_COUNTRIES else city.region}"
    if fmt == 1:
        return f"{city.name}, {city.region}"
    if fmt == 2:
        return f"{city.name}, {city.country}"
    if fmt == 3 and city.region != city.name:
        return f"{city.name}, {city.region}, {city.country}"
    return city.name


def _phone(rng: random.Random, country: str, fmt: int) -> str:
    digits = lambda count: "".join(str(rng.randint(0, 9)) for _ in range(count))  # noqa: E731
    if country in ("USA", "Canada"):
        # 555-0100..0199 is the range reserved for fiction.
        area, line = rng.randint(201, 989), f"01{digits(2)}"
        return (f"({area}) 555-{line}", f"+1 {area}-555-{line}", f"{area}.555.{line}", f"{area}-555-{line}")[fmt % 4]
    if country == "India":
        mobile = str(rng.randint(6, 9)) + digits(9)
        return (f"+91 {mobile[:5]} {mobile[5:]}", f"+91-{mobile}", f"0{mobile}", mobile)[fmt % 4]
    if country == "UK":
        # 07700 900xxx is Ofcom's drama range.
        return (f"+44 7700 900{digits(3)}", f"07700 900{digits(3)}")[fmt % 2]
    if country == "Germany":
        return (f"+49 151 {digits(8)}", f"0151 {digits(4)} {digits(4)}")[fmt % 2]
    if country == "Australia":
        return (f"+61 4{digits(2)} {digits(3)} {digits(3)}", f"04{digits(2)} {digits(3)} {digits(3)}")[fmt % 2]
    if country == "Ireland":
        return f"+353 8{rng.randint(3, 9)} {digits(3)} {digits(4)}"
    return f"+31 6 {digits(8)}"


def _email(rng: random.Random, first: str, last: str) -> str:
    first, last = first.lower(), last.lower()
    local = rng.choice((
        f"{first}.{last}", f"{first}{last}", f"{first[0]}.{last}", f"{first}_{last}", f"{last}.{first}",
        f"{first}{rng.randint(1, 99)}", f"{first}.{last}{rng.randint(70, 99)}", f"{first[0]}{last}",
    ))
    return f"{local}@{rng.choice(vocab.EMAIL_DOMAINS)}"


def _years_phrase(rng: random.Random, months: int) -> str:
    years, rest = max(1, months // 12), months % 12
    options = [f"{years}+ years", f"over {years} years", f"more than {years} years", f"{years} years",
               f"{years}+ yrs"]
    if years < len(_NUMBER_WORDS):
        options.append(f"{_NUMBER_WORDS[years]} years")
    if rest >= 6:
        options += [f"{years}.5 years", f"nearly {years + 1} years"]
    if rest:
        options.append(f"{years} years {rest} months")
    return rng.choice(options)


def _date(style: _Style, year: int, month: int) -> str:
    fmt = style.date_format
    if fmt == 0:
        return f"{_MONTHS[month - 1][:3]} {year}"
    if fmt == 1:
        return f"{_MONTHS[month - 1]} {year}"
    if fmt == 2:
        return f"{month:02d}/{year}"
    if fmt == 3:
        return f"{_MONTHS[month - 1][:3]}'{year % 100:02d}"
    return str(year)


def _date_range(style: _Style, start: tuple[int, int], end: tuple[int, int] | None) -> str:
    return f"{_date(style, *start)}{style.range_sep}{_date(style, *end) if end else style.present}"


def _fill(rng: random.Random, template: str, draft: _Draft, **values: Callable[[], Segment]) -> list[Segment]:
    """Fill a template's slots; the skills in one sentence are distinct."""
    used: list[str] = []

    def skill(kind: str) -> Callable[[], Segment]:
        def pick() -> Segment:
            def fits(name: str) -> bool:
                return name not in used and (kind == "skill" or (name in _PRACTICES) == (kind == "practice"))

            # The resume's own skills first, so bullets agree with the skills section.
            candidates = [s for s in draft.skills if fits(s)] or [s for s in draft.domain.skills if fits(s)]
            used.append(rng.choice(candidates or [s for s in draft.skills if s not in used]))
            return (used[-1], "SKILL")
        return pick

    fillers: dict[str, Callable[[], Segment]] = {
        "skill": skill("skill"), "tool": skill("tool"), "practice": skill("practice"),
        "num": lambda: (str(rng.choice((rng.randint(3, 60), rng.randint(100, 900), rng.randint(10, 50) * 100))), None),
        "pct": lambda: (str(rng.randint(8, 65)), None),
        "team": lambda: (str(rng.randint(2, 12)), None),
        **values,
    }
    out: list[Segment] = []
    position = 0
    for match in _SLOT.finditer(template):
        out.append((template[position:match.start()], None))
        out.append(fillers[match.group(1)]())
        position = match.end()
    tail = template[position:]
    if out and out[-1][0].endswith(".") and tail.startswith("."):
        tail = tail[1:]  # "... Pvt. Ltd." ends the sentence itself
    out.append((tail, None))
    return [(text, label) for text, label in out if text]


# --- sections ---------------------------------------------------------------------------------------------------


def _heading(style: _Style, text: str) -> list[_Line]:
    text = text.upper() if style.heading_case == "upper" else text
    if style.heading_decor == ":":
        return [_line(text + ":", kind="heading")]
    if style.heading_decor in ("-", "="):
        return [_line(text, kind="heading"), _line(style.heading_decor * len(text), kind="rule")]
    if style.heading_decor == "bracket":
        return [_line(f"[ {text} ]", kind="heading")]
    return [_line(text, kind="heading")]


def _bullet(rng: random.Random, draft: _Draft, group: int, template: str | None = None) -> _Line:
    if template is None:
        template = rng.choice(vocab.GENERIC_BULLETS) if rng.random() < 0.12 else rng.choice(draft.domain.bullets)
    return _line(draft.style.bullet, *_fill(rng, template, draft), kind="bullet", group=group)


def _bullets(rng: random.Random, draft: _Draft, group: int, count: int) -> list[_Line]:
    """``count`` bullets for one job, no template twice: a job repeating a sentence looks generated."""
    templates = rng.sample(draft.domain.bullets, count)
    for index in range(count):
        if rng.random() < 0.12:
            templates[index] = rng.choice(vocab.GENERIC_BULLETS)
    return [_bullet(rng, draft, group, template) for template in dict.fromkeys(templates)]


@dataclass(frozen=True)
class _Job:
    title: str
    company: str
    location: str | None
    start: tuple[int, int]
    end: tuple[int, int] | None
    bullets: int


def _job_lines(rng: random.Random, draft: _Draft, job: _Job, index: int) -> list[_Line]:
    style = draft.style
    title = (job.title, "TITLE")
    company = (job.company.upper() if style.upper_company else job.company, "COMPANY")
    where = (job.location, "LOCATION") if job.location else None
    dates = _date_range(style, job.start, job.end)
    layout = style.job_layout
    if layout == 0:
        head = [_line(title), _line(*_join([company, where], " - ")), _line(dates)]
    elif layout == 1:
        head = [_line(*_join([title, company, where, dates], " | "))]
    elif layout == 2:
        head = [_line(*_join([company, where], ", ")), _line(title, " " * rng.randint(3, 12), dates)]
    elif layout == 3:
        head = [_line(title, " at ", company, f" ({dates})")] + ([_line(where)] if where else [])
    elif layout == 4:
        head = [_line(company), _line(*_join([title, where], " — ")), _line(dates)]
    elif layout == 5:
        head = [_line(dates), _line(*_join([title, company, where], ", "))]
    else:
        head = [_line(company, f" ({dates})"), _line("Role: ", title)] + ([_line("Location: ", where)] if where else [])
    if style.job_gap:
        head = [line for item in head for line in (item, _Line(kind="blank"))]
    lines = list(head)
    if style.responsibilities_label and rng.random() < 0.6:
        lines.append(_line(style.responsibilities_label))
    lines += _bullets(rng, draft, index, job.bullets)
    return lines


def _make_jobs(rng: random.Random, draft: _Draft, count: int, long: bool, home: vocab.City,
               first_title: str) -> list[_Job]:
    jobs, year, month = [], CURRENT_YEAR, CURRENT_MONTH
    companies = rng.sample(vocab.COMPANIES, count)
    titles = list(draft.domain.titles)
    for index in range(count):
        # Long resumes are mostly contractors: many short engagements.
        months = rng.randint(6, 30) if long else rng.randint(14, 40) if count > 1 else rng.randint(14, 70)
        end = None if index == 0 and rng.random() < 0.8 else (year, month)
        total = year * 12 + month - 1 - months
        start = (total // 12, total % 12 + 1)
        company = companies[index]
        if rng.random() < 0.35:
            company = f"{company} {rng.choice(vocab.COMPANY_SUFFIXES)}"
        city = home if rng.random() < 0.5 else rng.choice(vocab.CITIES)
        location = _location(city, draft.style) if rng.random() < 0.8 else None
        bullets = rng.randint(4, 6) if long else rng.randint(2, 6)
        title = first_title if index == 0 else rng.choice(titles)
        jobs.append(_Job(title, company, location, start, end, bullets))
        gap = rng.choice((0, 0, 1, 2, 4))
        total -= gap
        year, month = total // 12, total % 12 + 1
    return jobs


def _education_lines(rng: random.Random, draft: _Draft, career_start: int) -> list[_Line]:
    entries = []
    bachelor_year = career_start - rng.choice((0, 0, 1))
    if rng.random() < 0.35:
        master_year = bachelor_year
        bachelor_year -= rng.choice((2, 2, 3))
        entries.append((rng.choice(vocab.DEGREES_MASTER), master_year, 2))
    entries.append((rng.choice(vocab.DEGREES_BACHELOR), bachelor_year, rng.choice((3, 4))))
    colleges = rng.sample(vocab.COLLEGES, len(entries))
    style, lines = draft.style, []
    for (degree_text, year, length), college_text in zip(entries, colleges):
        degree, college, grad = (degree_text, "DEGREE"), (college_text, "COLLEGE"), (str(year), "GRAD_YEAR")
        where = (_location(rng.choice(vocab.CITIES), style), "LOCATION") if rng.random() < 0.5 else None
        layout = style.edu_layout
        if layout == 0:
            block = [_line(degree), _line(college), _line(grad)]
            if style.job_gap:
                block = [block[0], _Line(kind="blank"), block[1], _Line(kind="blank"), block[2]]
        elif layout == 1:
            block = [_line(degree, ", ", college, ", ", grad)]
        elif layout == 2:
            block = [_line(*_join([college, where], " — ")), _line(degree, f" ({year - length} - ", grad, ")")]
        elif layout == 3:
            block = [_line(*_join([degree, college, where, grad], " | "))]
        elif layout == 4:
            block = [_line(grad, " " * rng.randint(2, 6), degree), _line("    ", *_join([college, where], ", "))]
        else:
            block = [_line(degree, " from ", college, *([", ", where] if where else []), " in ", grad)]
        lines += block
        if rng.random() < 0.4:
            lines.append(_line(rng.choice((f"CGPA: {rng.randint(60, 95) / 10}/10", f"GPA: {rng.randint(28, 40) / 10}",
                                           f"Percentage: {rng.randint(58, 92)}%", "First Class with Distinction"))))
        if len(entries) > 1 and style.gap:
            lines.append(_Line(kind="blank"))
    while lines and lines[-1].kind == "blank":
        lines.pop()
    return lines


def _skills_lines(rng: random.Random, draft: _Draft) -> list[_Line]:
    style = draft.style
    names = [skill.lower() if style.lower_skills else skill for skill in draft.skills]
    entities = [(name, "SKILL") for name in names]
    layout = style.skills_layout
    if layout == 0:
        return [_line(*_join(entities, rng.choice((", ", ", ", "; "))))]
    if layout == 1:
        return [_line(style.bullet or "- ", entity, kind="skill") for entity in entities]
    if layout == 2:
        labels = rng.choice(vocab.SKILL_GROUP_LABELS)
        cut1, cut2 = len(entities) // 3 + 1, 2 * len(entities) // 3 + 1
        groups = (entities[:cut1], entities[cut1:cut2], entities[cut2:])
        return [_line(f"{label}: ", *_join(group, ", ")) for label, group in zip(labels, groups) if group]
    if layout == 3:
        return [_line(*_join(entities, rng.choice((" | ", " · ", " • ", " / "))))]
    if layout == 4:
        width = max(len(name) for name in names) + rng.randint(3, 8)
        rows = [entities[i:i + 3] for i in range(0, len(entities), 3)]
        return [_line(*[part for entity in row[:-1] for part in (entity, " " * (width - len(entity[0])))], row[-1])
                for row in rows]
    chunk = rng.randint(3, 6)
    return [_line(style.bullet, *_join(entities[i:i + chunk], ", ")) for i in range(0, len(entities), chunk)]


def _summary_lines(rng: random.Random, draft: _Draft, title: str, company: str, months: int) -> list[_Line]:
    objective = rng.random() < 0.15
    template = rng.choice(vocab.OBJECTIVE_TEMPLATES if objective else vocab.SUMMARY_TEMPLATES)
    years = _years_phrase(rng, months)
    segments = _fill(
        rng, template, draft,
        title=lambda: (title, "TITLE"), company=lambda: (company, "COMPANY"),
        years=lambda: (years, "YEARS_EXPERIENCE"), Years=lambda: (years[0].upper() + years[1:], "YEARS_EXPERIENCE"),
    )
    if rng.random() < 0.5:
        segments.append((" " + rng.choice(vocab.SUMMARY_EXTRA_SENTENCES), None))
    heading = rng.choice(vocab.HEADINGS["objective" if objective else "summary"])
    lines = [_line(*segments, kind="summary")]
    return lines if rng.random() < 0.2 else _heading(draft.style, heading) + lines


def _extra_section(rng: random.Random, draft: _Draft, name: str, display_name: str, home: vocab.City) -> list[_Line]:
    style = draft.style
    heading = _heading(style, rng.choice(vocab.HEADINGS[name]))
    if name == "projects":
        lines = []
        for project in rng.sample(vocab.PROJECT_NAMES, rng.randint(1, 3)):
            lines.append(_line(project + (f" ({rng.randint(2012, CURRENT_YEAR)})" if rng.random() < 0.4 else "")))
            lines += [_line(style.bullet, *_fill(rng, template, draft))
                      for template in rng.sample(vocab.PROJECT_TEMPLATES, rng.randint(1, 2))]
        return heading + lines
    if name == "certifications":
        return heading + [_line(style.bullet, c) for c in rng.sample(vocab.CERTIFICATIONS, rng.randint(1, 3))]
    if name == "languages":
        return heading + [_line(", ".join(rng.sample(vocab.SPOKEN_LANGUAGES, rng.randint(2, 4))))]
    if name == "interests":
        return heading + [_line(", ".join(rng.sample(vocab.INTERESTS, rng.randint(2, 5))).capitalize())]
    if name == "links":
        slug = f"{draft.first}-{draft.last}".lower()
        return heading + [_line(f"LinkedIn: linkedin.com/in/{slug}"), _line(f"Portfolio: {slug}.example.com")]
    if name == "personal":
        return heading + [
            _line(f"Date of Birth: {rng.randint(1, 28)} {rng.choice(_MONTHS)} {rng.randint(1975, 2000)}"),
            _line("Current Location: ", (_location(home, style), "LOCATION")),
            _line(f"Marital Status: {rng.choice(('Single', 'Married'))}"),
        ]
    return heading + [
        _line(rng.choice(vocab.DECLARATION_TEXTS)), _Line(kind="blank"),
        _line("Place: ", (home.name, "LOCATION")), _line("Date:"),
        _line("(", (display_name, "NAME"), ")") if rng.random() < 0.5 else _line((display_name, "NAME")),
    ]


def _header_lines(rng: random.Random, draft: _Draft, name: str, title: str, company: str, home: vocab.City
                  ) -> list[_Line]:
    style = draft.style
    email = (_email(rng, draft.first, draft.last), "EMAIL")
    phone = (_phone(rng, draft.country, draft.phone_format), "PHONE")
    where = (_location(home, style), "LOCATION")
    person, role = (name, "NAME"), (title.upper() if style.upper_name and rng.random() < 0.5 else title, "TITLE")
    layout = style.contact_layout
    if layout == 0:
        separator = rng.choice((" | ", " · ", " • ", "  |  ", " / "))
        return [_line(person), _line(role), _line(*_join([email, phone, where], separator))]
    if layout == 1:
        return [_line(person), _line(*_join([where, phone, email], rng.choice((" · ", " | ", ", "))))]
    if layout == 2:
        return [_line(person), _line(role, " - ", (company, "COMPANY")), _Line(kind="blank"),
                _line(where, " - Email: ", email), _line("Mobile: ", phone)]
    if layout == 3:
        mail_label = rng.choice(("Email: ", "E-mail: ", "Email ID: ", "Mail: "))
        phone_label = rng.choice(("Phone: ", "Mobile: ", "Mob: ", "Cell: ", "Tel: ", "Contact: "))
        return [_line(person), _line(role), _line(mail_label, email), _line(phone_label, phone),
                _line(rng.choice(("Address: ", "Location: ")), where)]
    if layout == 4:
        return [_line(person, rng.choice((" — ", " - ", ", ")), role), _line(email), _line(phone), _line(where)]
    return [_line(person), _line(email), _line(phone)]


# --- documents --------------------------------------------------------------------------------------------------


def _new_style(rng: random.Random) -> _Style:
    return _Style(
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
        range_sep=rng.choice((" - ", " – ", " to ", " — ", "-")),
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


def _new_resume(rng: random.Random, long: bool) -> _Draft:
    style = _new_style(rng)
    domain = rng.choice(vocab.DOMAINS)
    first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
    home = rng.choice(vocab.CITIES)
    skills = rng.sample(domain.skills, rng.randint(7, min(16, len(domain.skills))))
    skills += [s for s in rng.sample(vocab.SHARED_SKILLS, rng.randint(0, 3)) if s not in skills]
    draft = _Draft([], style, domain, first, last, home.country, rng.randrange(4), skills)

    display = f"{first} {rng.choice('ABCDEFGHJKLMNPRSTV')}. {last}" if rng.random() < 0.15 else f"{first} {last}"
    display = display.upper() if style.upper_name else display
    count = rng.randint(12, 16) if long else rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6))
    jobs = _make_jobs(rng, draft, count, long, home, rng.choice(domain.titles))
    months = CURRENT_YEAR * 12 + CURRENT_MONTH - (jobs[-1].start[0] * 12 + jobs[-1].start[1])

    header = _header_lines(rng, draft, display, jobs[0].title, jobs[0].company, home)
    if rng.random() < 0.15:
        header.append(_line(rng.choice(("Total Experience: ", "Experience: ")),
                            (_years_phrase(rng, months), "YEARS_EXPERIENCE")))
    sections: dict[str, list[_Line]] = {}
    if rng.random() < 0.8:
        sections["summary"] = _summary_lines(rng, draft, jobs[0].title, jobs[0].company, months)
    experience = _heading(style, rng.choice(vocab.HEADINGS["experience"]))
    for index, job in enumerate(jobs):
        if index:
            experience += [_Line(kind="blank")] * max(style.gap, int(style.job_gap))
        experience += _job_lines(rng, draft, job, index)
    sections["experience"] = experience
    sections["education"] = _heading(style, rng.choice(vocab.HEADINGS["education"])) + _education_lines(
        rng, draft, jobs[-1].start[0])
    sections["skills"] = _heading(style, rng.choice(vocab.HEADINGS["skills"])) + _skills_lines(rng, draft)

    order = list(rng.choice((
        ("experience", "education", "skills"), ("experience", "education", "skills"),
        ("skills", "experience", "education"), ("experience", "skills", "education"),
        ("education", "experience", "skills"),
    )))
    extras = ["projects"] if long else []
    extras += [name for name in ("projects", "certifications", "languages", "interests", "links", "personal")
               if name not in extras and rng.random() < 0.2]
    rng.shuffle(extras)
    if rng.random() < 0.12:
        extras.append("declaration")
    for name in extras:
        sections[name] = _extra_section(rng, draft, name, display, home)

    lines = list(header)
    for name in (["summary"] if "summary" in sections else []) + order + extras:
        lines += [_Line(kind="blank")] * max(1, style.gap) + sections[name]
    draft.lines = lines
    return draft


def _near_duplicate(rng: random.Random, original: _Draft) -> _Draft:
    """The same resume re-submitted with one or two lines changed; spans follow because segments move with text."""
    draft = _Draft(list(original.lines), original.style, original.domain, original.first, original.last,
                   original.country, original.phone_format, original.skills)
    changes = rng.sample(("phone", "email", "add-bullet", "drop-bullet", "years", "title"), 2)[: rng.randint(1, 2)]
    for change in changes:
        if not _apply_change(rng, draft, change):
            _apply_change(rng, draft, "add-bullet")
    return draft


def _replace_entity(draft: _Draft, label: str, new: Callable[[str], str | None]) -> bool:
    for index, line in enumerate(draft.lines):
        for position, (text, segment_label) in enumerate(line.segments):
            if segment_label == label:
                replacement = new(text)
                if replacement is None or replacement == text:
                    return False
                segments = line.segments[:position] + (_seg(replacement, label),) + line.segments[position + 1:]
                draft.lines[index] = _Line(segments, line.kind, line.group)
                return True
    return False


def _one_more_year(phrase: str) -> str | None:
    """``"7+ years"`` -> ``"8+ years"``: the resume re-sent a year later. None for a phrase in words."""
    if not re.search(r"\d", phrase):
        return None
    return re.sub(r"\d+", lambda match: str(int(match.group()) + 1), phrase, count=1)


def _apply_change(rng: random.Random, draft: _Draft, change: str) -> bool:
    bullets = [index for index, line in enumerate(draft.lines) if line.kind == "bullet"]
    if change == "phone":
        return _replace_entity(draft, "PHONE", lambda old: _phone(rng, draft.country, draft.phone_format))
    if change == "email":
        return _replace_entity(draft, "EMAIL", lambda old: _email(rng, draft.first, draft.last))
    if change == "years":
        return _replace_entity(draft, "YEARS_EXPERIENCE", _one_more_year)
    if change == "title":
        return _replace_entity(draft, "TITLE", lambda old: rng.choice(draft.domain.titles))
    if change == "drop-bullet":
        per_job = [i for i in bullets if sum(draft.lines[j].group == draft.lines[i].group for j in bullets) > 2]
        if not per_job:
            return False
        del draft.lines[rng.choice(per_job)]
        return True
    if not bullets:
        return False
    after = rng.choice(bullets)
    draft.lines.insert(after + 1, _bullet(rng, draft, draft.lines[after].group))
    return True


def _wrap(segments: tuple[Segment, ...], width: int) -> list[Segment]:
    """Break long lines at spaces in plain text, as text copied out of a PDF often is; entities stay whole."""
    if not width or sum(len(text) for text, _ in segments) <= width:
        return list(segments)
    pieces = []
    for text, label in segments:
        pieces += [(text, label)] if label else [(part, None) for part in re.split(r"( )", text) if part]
    out, column = [], 0
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
    return [tuple(piece) for piece in out]


def _render(doc_id: str, draft: _Draft) -> Document:
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
    originals: list[_Draft] = []
    documents = []
    for index in range(n_documents):
        if duplicate_positions and duplicate_positions[0] == index:
            duplicate_positions.pop(0)
            draft = _near_duplicate(rng, rng.choice(originals))
        else:
            draft = _new_resume(rng, long=index in long_positions)
            originals.append(draft)
        documents.append(_render(f"synthetic-{index:04d}", draft))
    return Corpus(tuple(documents), source=f"synthetic(seed={seed})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("data/01_raw/synthetic_resumes.json"))
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    corpus = generate_corpus(args.documents, args.seed)
    write_json(corpus, args.output)
    counts = corpus.label_counts()
    print(f"wrote {len(corpus)} documents to {args.output}: "
          + ", ".join(f"{label}={counts.get(label, 0)}" for label in ENTITY_TYPES))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
