"""The vocabulary cut into disjoint parts, so that evaluation documents hold values no training document has.

Issue 12: when every hold-out skill and title also occurs in training, the hold-out score measures recall of a
closed vocabulary. So each pool that names something a model must learn to *recognise* (first and last names,
companies, job titles of each domain, skills of each domain and the shared skills, colleges) is dealt into three
parts: ``train``, ``holdout`` and ``validation``. The hold-out documents draw from the ``holdout`` part, fold 0's
validation documents from the ``validation`` part (fold 0's validation documents are training documents of the
other folds and of refit and final training, so they must not carry the hold-out's values), every other document
from the ``train`` part. Cities, degrees and the fixed template text are not partitioned: they are a small,
closed set in real resumes too.

Draws from a partitioned pool go through ``pick`` and ``pick_distinct``, whose use of the random stream does not
depend on the pool's size: a document drawn again from another part with the same random stream keeps its
structure (layout, sections, which entities in which order) and only the values change, so the split that
``data_processing`` makes of it, which depends on each document's entity types, is unchanged.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import NamedTuple, TypeVar

from resume_ner.synthetic import vocabulary as vocab

T = TypeVar("T")

PARTS = ("train", "holdout", "validation")
# The hold-out is 15% of the documents and fold 0's validation set a fifth of the rest (17%), so 30% of each pool
# apiece is plenty of variety for them; training keeps 40%, about as many values as the whole pool had before.
SHARES = (0.4, 0.3, 0.3)


class Pools(NamedTuple):
    """The values one part of the corpus draws its names, companies, colleges, titles and skills from."""

    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    companies: tuple[str, ...]
    colleges: tuple[str, ...]
    shared_skills: tuple[str, ...]
    domains: tuple[vocab.Domain, ...]


def partition(pools: Sequence[Sequence[str]], shares: Sequence[float] = SHARES) -> dict[str, int]:
    """The part (an index into ``shares``) of every value in ``pools``: each value gets exactly one part, and each
    pool about ``shares`` of its values in each part.

    Values are dealt in pool order, so neighbours in a hand-written list (say, the programming languages) are
    spread over the parts. A value listed in several pools (Python is a skill of four domains) goes to the part
    those pools are furthest behind on together; ties go to the earlier part. No hashing, so every run and
    machine deals the same way.
    """
    part_of: dict[str, int] = {}
    counts = [[0] * len(shares) for _ in pools]
    for value in dict.fromkeys(value for pool in pools for value in pool):
        holders = [index for index, pool in enumerate(pools) if value in pool]

        def behind(part: int, holders: list[int] = holders) -> float:
            return sum(shares[part] * (sum(counts[index]) + 1) - counts[index][part] for index in holders)

        part = max(range(len(shares)), key=lambda candidate: (behind(candidate), -candidate))
        part_of[value] = part
        for index in holders:
            counts[index][part] += 1
    return part_of


def _skill_parts() -> dict[str, int]:
    """Skills dealt separately as tools and as practices, so every part of a domain has both kinds for the
    ``{tool}`` and ``{practice}`` slots of its bullets."""
    pools = [vocab.SHARED_SKILLS] + [domain.skills for domain in vocab.DOMAINS]
    practices = set(vocab.PRACTICES)
    tools = partition([[skill for skill in pool if skill not in practices] for pool in pools])
    return {**tools, **partition([[skill for skill in pool if skill in practices] for pool in pools])}


def _build() -> dict[str, Pools]:
    single = {
        name: partition([pool])
        for name, pool in (
            ("first_names", vocab.FIRST_NAMES),
            ("last_names", vocab.LAST_NAMES),
            ("companies", vocab.COMPANIES),
            ("colleges", vocab.COLLEGES),
        )
    }
    titles = partition([domain.titles for domain in vocab.DOMAINS])
    skills = _skill_parts()

    def only(values: Sequence[str], part_of: dict[str, int], part: int) -> tuple[str, ...]:
        return tuple(value for value in values if part_of[value] == part)

    return {
        name: Pools(
            first_names=only(vocab.FIRST_NAMES, single["first_names"], part),
            last_names=only(vocab.LAST_NAMES, single["last_names"], part),
            companies=only(vocab.COMPANIES, single["companies"], part),
            colleges=only(vocab.COLLEGES, single["colleges"], part),
            shared_skills=only(vocab.SHARED_SKILLS, skills, part),
            domains=tuple(
                domain._replace(titles=only(domain.titles, titles, part), skills=only(domain.skills, skills, part))
                for domain in vocab.DOMAINS
            ),
        )
        for part, name in enumerate(PARTS)
    }


POOLS: dict[str, Pools] = _build()


def pick(rng: random.Random, pool: Sequence[T]) -> T:
    """One value of ``pool``, using exactly one ``rng.random()`` whatever the pool's size."""
    return pool[min(int(rng.random() * len(pool)), len(pool) - 1)]


def pick_distinct(rng: random.Random, pool: Sequence[T], count: int) -> list[T]:
    """``count`` different values of ``pool`` in random order, using exactly ``count`` ``rng.random()`` calls
    whatever the pool's size (the first ``count`` steps of a Fisher-Yates shuffle)."""
    if not 0 <= count <= len(pool):
        raise ValueError(f"cannot pick {count} different values from a pool of {len(pool)}")
    values = list(pool)
    for index in range(count):
        other = index + min(int(rng.random() * (len(values) - index)), len(values) - index - 1)
        values[index], values[other] = values[other], values[index]
    return values[:count]
