"""The sections of a synthetic resume, each as lines: header, summary, jobs, education, skills and the extra
sections (projects, certifications, languages, interests, links, personal details, declaration)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from resume_ner.synthetic import vocabulary as vocab
from resume_ner.synthetic.fields import (
    CURRENT_MONTH,
    CURRENT_YEAR,
    MONTHS,
    date_range,
    fill_template,
    format_location,
    random_email,
    random_phone,
    years_phrase,
)
from resume_ner.synthetic.layout import (
    Draft,
    Line,
    Style,
    join_present,
    make_line,
)
from resume_ner.synthetic.parts import pick, pick_distinct


def heading_lines(style: Style, text: str) -> list[Line]:
    text = text.upper() if style.heading_case == "upper" else text
    if style.heading_decor == ":":
        return [make_line(text + ":", kind="heading")]
    if style.heading_decor in ("-", "="):
        return [make_line(text, kind="heading"), make_line(style.heading_decor * len(text), kind="rule")]
    if style.heading_decor == "bracket":
        return [make_line(f"[ {text} ]", kind="heading")]
    return [make_line(text, kind="heading")]


def bullet_line(rng: random.Random, draft: Draft, group: int, template: str | None = None) -> Line:
    if template is None:
        template = rng.choice(vocab.GENERIC_BULLETS) if rng.random() < 0.12 else rng.choice(draft.domain.bullets)
    return make_line(draft.style.bullet, *fill_template(rng, template, draft), kind="bullet", group=group)


def _bullets(rng: random.Random, draft: Draft, group: int, count: int) -> list[Line]:
    """``count`` bullets for one job, no template twice: a job repeating a sentence looks generated."""
    templates = rng.sample(draft.domain.bullets, count)
    for index in range(count):
        if rng.random() < 0.12:
            templates[index] = rng.choice(vocab.GENERIC_BULLETS)
    return [bullet_line(rng, draft, group, template) for template in dict.fromkeys(templates)]


@dataclass(frozen=True)
class Job:
    title: str
    company: str
    location: str | None
    start: tuple[int, int]
    end: tuple[int, int] | None
    bullets: int


def job_lines(rng: random.Random, draft: Draft, job: Job, index: int) -> list[Line]:
    style = draft.style
    title = (job.title, "TITLE")
    company = (job.company.upper() if style.upper_company else job.company, "COMPANY")
    where = (job.location, "LOCATION") if job.location else None
    dates = date_range(style, job.start, job.end)
    layout = style.job_layout
    if layout == 0:
        head = [make_line(title), make_line(*join_present([company, where], " - ")), make_line(dates)]
    elif layout == 1:
        head = [make_line(*join_present([title, company, where, dates], " | "))]
    elif layout == 2:
        head = [make_line(*join_present([company, where], ", ")), make_line(title, " " * rng.randint(3, 12), dates)]
    elif layout == 3:
        head = [make_line(title, " at ", company, f" ({dates})")] + ([make_line(where)] if where else [])
    elif layout == 4:
        head = [make_line(company), make_line(*join_present([title, where], " — ")), make_line(dates)]
    elif layout == 5:
        head = [make_line(dates), make_line(*join_present([title, company, where], ", "))]
    else:
        head = [make_line(company, f" ({dates})"), make_line("Role: ", title)]
        head += [make_line("Location: ", where)] if where else []
    if style.job_gap:
        head = [line for item in head for line in (item, Line(kind="blank"))]
    lines = list(head)
    if style.responsibilities_label and rng.random() < 0.6:
        lines.append(make_line(style.responsibilities_label))
    lines += _bullets(rng, draft, index, job.bullets)
    return lines


def make_jobs(
    rng: random.Random, draft: Draft, count: int, long: bool, home: vocab.City, first_title: str
) -> list[Job]:
    jobs, year, month = [], CURRENT_YEAR, CURRENT_MONTH
    companies = pick_distinct(rng, draft.pools.companies, count)
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
        location = format_location(city, draft.style) if rng.random() < 0.8 else None
        bullets = rng.randint(4, 6) if long else rng.randint(2, 6)
        title = first_title if index == 0 else pick(rng, titles)
        jobs.append(Job(title, company, location, start, end, bullets))
        gap = rng.choice((0, 0, 1, 2, 4))
        total -= gap
        year, month = total // 12, total % 12 + 1
    return jobs


def education_lines(rng: random.Random, draft: Draft, career_start: int) -> list[Line]:
    entries = []
    bachelor_year = career_start - rng.choice((0, 0, 1))
    if rng.random() < 0.35:
        master_year = bachelor_year
        bachelor_year -= rng.choice((2, 2, 3))
        entries.append((rng.choice(vocab.DEGREES_MASTER), master_year, 2))
    entries.append((rng.choice(vocab.DEGREES_BACHELOR), bachelor_year, rng.choice((3, 4))))
    colleges = pick_distinct(rng, draft.pools.colleges, len(entries))
    style, lines = draft.style, []
    for (degree_text, year, length), college_text in zip(entries, colleges, strict=True):
        degree, college, grad = (degree_text, "DEGREE"), (college_text, "COLLEGE"), (str(year), "GRAD_YEAR")
        where = (format_location(rng.choice(vocab.CITIES), style), "LOCATION") if rng.random() < 0.5 else None
        layout = style.edu_layout
        if layout == 0:
            block = [make_line(degree), make_line(college), make_line(grad)]
            if style.job_gap:
                block = [block[0], Line(kind="blank"), block[1], Line(kind="blank"), block[2]]
        elif layout == 1:
            block = [make_line(degree, ", ", college, ", ", grad)]
        elif layout == 2:
            block = [
                make_line(*join_present([college, where], " — ")),
                make_line(degree, f" ({year - length} - ", grad, ")"),
            ]
        elif layout == 3:
            block = [make_line(*join_present([degree, college, where, grad], " | "))]
        elif layout == 4:
            block = [
                make_line(grad, " " * rng.randint(2, 6), degree),
                make_line("    ", *join_present([college, where], ", ")),
            ]
        else:
            block = [make_line(degree, " from ", college, *([", ", where] if where else []), " in ", grad)]
        lines += block
        if rng.random() < 0.4:
            lines.append(
                make_line(
                    rng.choice(
                        (
                            f"CGPA: {rng.randint(60, 95) / 10}/10",
                            f"GPA: {rng.randint(28, 40) / 10}",
                            f"Percentage: {rng.randint(58, 92)}%",
                            "First Class with Distinction",
                        )
                    )
                )
            )
        if len(entries) > 1 and style.gap:
            lines.append(Line(kind="blank"))
    while lines and lines[-1].kind == "blank":
        lines.pop()
    return lines


def skills_lines(rng: random.Random, draft: Draft) -> list[Line]:
    style = draft.style
    names = [skill.lower() if style.lower_skills else skill for skill in draft.skills]
    entities = [(name, "SKILL") for name in names]
    layout = style.skills_layout
    if layout == 0:
        return [make_line(*join_present(entities, rng.choice((", ", ", ", "; "))))]
    if layout == 1:
        return [make_line(style.bullet or "- ", entity, kind="skill") for entity in entities]
    if layout == 2:
        labels = rng.choice(vocab.SKILL_GROUP_LABELS)
        cut1, cut2 = len(entities) // 3 + 1, 2 * len(entities) // 3 + 1
        groups = (entities[:cut1], entities[cut1:cut2], entities[cut2:])
        return [
            make_line(f"{label}: ", *join_present(group, ", "))
            for label, group in zip(labels, groups, strict=True)
            if group
        ]
    if layout == 3:
        return [make_line(*join_present(entities, rng.choice((" | ", " · ", " • ", " / "))))]
    if layout == 4:
        width = max(len(name) for name in names) + rng.randint(3, 8)
        rows = [entities[i : i + 3] for i in range(0, len(entities), 3)]
        return [
            make_line(*[part for entity in row[:-1] for part in (entity, " " * (width - len(entity[0])))], row[-1])
            for row in rows
        ]
    chunk = rng.randint(3, 6)
    return [
        make_line(style.bullet, *join_present(entities[i : i + chunk], ", ")) for i in range(0, len(entities), chunk)
    ]


def summary_lines(rng: random.Random, draft: Draft, title: str, company: str, months: int) -> list[Line]:
    objective = rng.random() < 0.15
    template = rng.choice(vocab.OBJECTIVE_TEMPLATES if objective else vocab.SUMMARY_TEMPLATES)
    years = years_phrase(rng, months)
    segments = fill_template(
        rng,
        template,
        draft,
        title=lambda: (title, "TITLE"),
        company=lambda: (company, "COMPANY"),
        years=lambda: (years, "YEARS_EXPERIENCE"),
        Years=lambda: (years[0].upper() + years[1:], "YEARS_EXPERIENCE"),
    )
    if rng.random() < 0.5:
        segments.append((" " + rng.choice(vocab.SUMMARY_EXTRA_SENTENCES), None))
    heading = rng.choice(vocab.HEADINGS["objective" if objective else "summary"])
    lines = [make_line(*segments, kind="summary")]
    return lines if rng.random() < 0.2 else heading_lines(draft.style, heading) + lines


def extra_section(rng: random.Random, draft: Draft, name: str, display_name: str, home: vocab.City) -> list[Line]:
    style = draft.style
    heading = heading_lines(style, rng.choice(vocab.HEADINGS[name]))
    if name == "projects":
        lines = []
        for project in rng.sample(vocab.PROJECT_NAMES, rng.randint(1, 3)):
            lines.append(make_line(project + (f" ({rng.randint(2012, CURRENT_YEAR)})" if rng.random() < 0.4 else "")))
            lines += [
                make_line(style.bullet, *fill_template(rng, template, draft))
                for template in rng.sample(vocab.PROJECT_TEMPLATES, rng.randint(1, 2))
            ]
        return heading + lines
    if name == "certifications":
        return heading + [make_line(style.bullet, c) for c in rng.sample(vocab.CERTIFICATIONS, rng.randint(1, 3))]
    if name == "languages":
        return heading + [make_line(", ".join(rng.sample(vocab.SPOKEN_LANGUAGES, rng.randint(2, 4))))]
    if name == "interests":
        return heading + [make_line(", ".join(rng.sample(vocab.INTERESTS, rng.randint(2, 5))).capitalize())]
    if name == "links":
        slug = f"{draft.first}-{draft.last}".lower()
        return heading + [make_line(f"LinkedIn: linkedin.com/in/{slug}"), make_line(f"Portfolio: {slug}.example.com")]
    if name == "personal":
        return heading + [
            make_line(f"Date of Birth: {rng.randint(1, 28)} {rng.choice(MONTHS)} {rng.randint(1975, 2000)}"),
            make_line("Current Location: ", (format_location(home, style), "LOCATION")),
            make_line(f"Marital Status: {rng.choice(('Single', 'Married'))}"),
        ]
    return heading + [
        make_line(rng.choice(vocab.DECLARATION_TEXTS)),
        Line(kind="blank"),
        make_line("Place: ", (home.name, "LOCATION")),
        make_line("Date:"),
        make_line("(", (display_name, "NAME"), ")") if rng.random() < 0.5 else make_line((display_name, "NAME")),
    ]


def header_lines(rng: random.Random, draft: Draft, name: str, title: str, company: str, home: vocab.City) -> list[Line]:
    style = draft.style
    email = (random_email(rng, draft.first, draft.last), "EMAIL")
    phone = (random_phone(rng, draft.country, draft.phone_format), "PHONE")
    where = (format_location(home, style), "LOCATION")
    person, role = (name, "NAME"), (title.upper() if style.upper_name and rng.random() < 0.5 else title, "TITLE")
    layout = style.contact_layout
    if layout == 0:
        separator = rng.choice((" | ", " · ", " • ", "  |  ", " / "))
        return [make_line(person), make_line(role), make_line(*join_present([email, phone, where], separator))]
    if layout == 1:
        return [make_line(person), make_line(*join_present([where, phone, email], rng.choice((" · ", " | ", ", "))))]
    if layout == 2:
        return [
            make_line(person),
            make_line(role, " - ", (company, "COMPANY")),
            Line(kind="blank"),
            make_line(where, " - Email: ", email),
            make_line("Mobile: ", phone),
        ]
    if layout == 3:
        mail_label = rng.choice(("Email: ", "E-mail: ", "Email ID: ", "Mail: "))
        phone_label = rng.choice(("Phone: ", "Mobile: ", "Mob: ", "Cell: ", "Tel: ", "Contact: "))
        return [
            make_line(person),
            make_line(role),
            make_line(mail_label, email),
            make_line(phone_label, phone),
            make_line(rng.choice(("Address: ", "Location: ")), where),
        ]
    if layout == 4:
        return [
            make_line(person, rng.choice((" — ", " - ", ", ")), role),
            make_line(email),
            make_line(phone),
            make_line(where),
        ]
    return [make_line(person), make_line(email), make_line(phone)]
