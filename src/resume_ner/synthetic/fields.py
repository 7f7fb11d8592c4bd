"""Values that fill a synthetic resume: locations, phone numbers, e-mail addresses, dates, experience phrases and
template slots."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from resume_ner.synthetic import vocabulary as vocab
from resume_ner.synthetic.layout import Draft, Segment, Style
from resume_ner.synthetic.parts import pick

# A fixed "today", so the same seed gives the same corpus in any year.
CURRENT_YEAR, CURRENT_MONTH = 2024, 6

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_SLOT = re.compile(r"\{(\w+)\}")
_NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)
# Resumes from these countries tend to write "Austin, TX" rather than "Austin, Texas".
_REGION_CODE_COUNTRIES = ("USA", "Canada", "Australia")
_PRACTICES = frozenset(vocab.PRACTICES)


def format_location(city: vocab.City, style: Style) -> str:
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


def random_phone(rng: random.Random, country: str, fmt: int) -> str:
    def digits(count: int) -> str:
        return "".join(str(rng.randint(0, 9)) for _ in range(count))

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


def random_email(rng: random.Random, first: str, last: str) -> str:
    first, last = first.lower(), last.lower()
    local = rng.choice(
        (
            f"{first}.{last}",
            f"{first}{last}",
            f"{first[0]}.{last}",
            f"{first}_{last}",
            f"{last}.{first}",
            f"{first}{rng.randint(1, 99)}",
            f"{first}.{last}{rng.randint(70, 99)}",
            f"{first[0]}{last}",
        )
    )
    return f"{local}@{rng.choice(vocab.EMAIL_DOMAINS)}"


def years_phrase(rng: random.Random, months: int) -> str:
    years, rest = max(1, months // 12), months % 12
    options = [f"{years}+ years", f"over {years} years", f"more than {years} years", f"{years} years", f"{years}+ yrs"]
    if years < len(_NUMBER_WORDS):
        options.append(f"{_NUMBER_WORDS[years]} years")
    if rest >= 6:
        options += [f"{years}.5 years", f"nearly {years + 1} years"]
    if rest:
        options.append(f"{years} years {rest} months")
    return rng.choice(options)


def _date(style: Style, year: int, month: int) -> str:
    name = MONTHS[month - 1]
    # Jan 2019, January 2019, 01/2019, Jan'19; any other style writes the year alone.
    formats = (f"{name[:3]} {year}", f"{name} {year}", f"{month:02d}/{year}", f"{name[:3]}'{year % 100:02d}")
    return formats[style.date_format] if style.date_format < len(formats) else str(year)


def date_range(style: Style, start: tuple[int, int], end: tuple[int, int] | None) -> str:
    return f"{_date(style, *start)}{style.range_sep}{_date(style, *end) if end else style.present}"


def fill_template(rng: random.Random, template: str, draft: Draft, **values: Callable[[], Segment]) -> list[Segment]:
    """Fill a template's slots; the skills in one sentence are distinct."""
    used: list[str] = []

    def skill(kind: str) -> Callable[[], Segment]:
        def fill() -> Segment:
            def fits(name: str) -> bool:
                return name not in used and (kind == "skill" or (name in _PRACTICES) == (kind == "practice"))

            # The resume's own skills first, so bullets agree with the skills section.
            candidates = [s for s in draft.skills if fits(s)] or [s for s in draft.domain.skills if fits(s)]
            # ``pick``, not ``rng.choice``: how many candidates there are depends on the vocabulary part.
            used.append(pick(rng, candidates or [s for s in draft.skills if s not in used]))
            return (used[-1], "SKILL")

        return fill

    fillers: dict[str, Callable[[], Segment]] = {
        "skill": skill("skill"),
        "tool": skill("tool"),
        "practice": skill("practice"),
        "num": lambda: (str(rng.choice((rng.randint(3, 60), rng.randint(100, 900), rng.randint(10, 50) * 100))), None),
        "pct": lambda: (str(rng.randint(8, 65)), None),
        "team": lambda: (str(rng.randint(2, 12)), None),
        **values,
    }
    out: list[Segment] = []
    position = 0
    for match in _SLOT.finditer(template):
        out.append((template[position : match.start()], None))
        out.append(fillers[match.group(1)]())
        position = match.end()
    tail = template[position:]
    if out and out[-1][0].endswith(".") and tail.startswith("."):
        tail = tail[1:]  # "... Pvt. Ltd." ends the sentence itself
    out.append((tail, None))
    return [(text, label) for text, label in out if text]
