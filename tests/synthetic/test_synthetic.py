"""The synthetic resume generator: determinism, valid and consistent spans, shape of the corpus, shipped file."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from pathlib import Path

import pytest
from hash_seeds import prints_under_hash_seeds

from resume_ner.corpus.overlap import (
    DEFAULT_PARAMETERS,
    mention_overlap,
    pipeline_splits,
    read_parameters,
    split_overlap,
)
from resume_ner.corpus.reading import read_corpus
from resume_ner.corpus.splits import SplitError
from resume_ner.synthetic import ENTITY_TYPES, generate_corpus, main
from resume_ner.synthetic import vocabulary as vocab

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_CORPUS = REPO_ROOT / "data" / "01_raw" / "synthetic_resumes.json"
# The entity types whose values are held apart: what a model must recognise rather than recall.
HELD_APART_TYPES = ("NAME", "COMPANY", "TITLE", "SKILL", "COLLEGE")


@pytest.fixture(scope="module")
def default_corpus():
    return generate_corpus()


def _mention_pattern(values) -> re.Pattern:
    """Whole-word, case-insensitive mentions; the longest value first so "SQL Server" wins over "SQL"."""
    alternatives = "|".join(re.escape(value) for value in sorted(values, key=len, reverse=True))
    return re.compile(rf"(?<![\w.+#/-])(?:{alternatives})(?![\w+#/-])", re.IGNORECASE)


def _content_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _line_share(a: list[str], b: list[str]) -> float:
    return len(set(a) & set(b)) / max(len(set(a)), len(set(b)))


def _near_duplicate_pairs(corpus, threshold: float = 0.8) -> list[tuple[int, int]]:
    lines = [_content_lines(doc.text) for doc in corpus]
    return [(i, j) for j in range(len(lines)) for i in range(j) if _line_share(lines[i], lines[j]) > threshold]


def test_same_seed_gives_the_same_corpus():
    first, second = generate_corpus(40, seed=3), generate_corpus(40, seed=3)
    assert first == second
    assert first.fingerprint() == second.fingerprint()


def test_different_seeds_give_different_corpora():
    first, second = generate_corpus(40, seed=3), generate_corpus(40, seed=4)
    assert first.fingerprint() != second.fingerprint()
    assert not set(doc.text for doc in first) & set(doc.text for doc in second)


@pytest.mark.slow  # a fresh interpreter per hash seed
def test_independent_of_hash_randomisation():
    code = "from resume_ner.synthetic import generate_corpus; print(generate_corpus(25, seed=1).fingerprint())"
    prints = prints_under_hash_seeds(code)
    assert prints == {generate_corpus(25, seed=1).fingerprint() + "\n"}


def test_ids_are_numbered_in_order():
    assert generate_corpus(12).ids() == [f"synthetic-{index:04d}" for index in range(12)]
    assert len(generate_corpus(0)) == 0
    # One document cannot be split into hold-out and folds, so nothing can be planned for it to hold apart.
    assert len(generate_corpus(1, hold_apart=False)) == 1


def test_spans_are_valid(default_corpus):
    for doc in default_corpus:
        assert doc.spans, doc.id
        previous_end = 0
        for span in doc.spans:
            covered = doc.text[span.start : span.end]
            assert 0 <= span.start < span.end <= len(doc.text), (doc.id, span)
            assert covered == covered.strip() and covered, (doc.id, span, covered)
            assert span.label in ENTITY_TYPES, (doc.id, span)
            assert span.start >= previous_end, f"{doc.id}: {span} overlaps the span before it"
            previous_end = span.end


def test_every_entity_type_appears_in_a_small_corpus():
    assert set(generate_corpus(100).label_counts()) == set(ENTITY_TYPES)


def test_every_document_has_a_name_email_and_phone(default_corpus):
    for doc in default_corpus:
        assert {"NAME", "EMAIL", "PHONE", "TITLE", "COMPANY", "DEGREE", "SKILL"} <= doc.entity_types(), doc.id


def test_every_skill_title_and_company_mention_is_inside_an_entity(default_corpus):
    # Spans are made while the text is built; this checks that no fixed text mentions one of them unlabelled.
    titles = [title for domain in vocab.DOMAINS for title in domain.titles]
    pattern = _mention_pattern(vocab.ALL_SKILLS + tuple(titles) + vocab.COMPANIES)
    for doc in default_corpus:
        covered = [False] * len(doc.text)
        for span in doc.spans:
            covered[span.start : span.end] = [True] * (span.end - span.start)
        unlabelled = [m.group() for m in pattern.finditer(doc.text) if not any(covered[m.start() : m.end()])]
        assert not unlabelled, f"{doc.id}: unlabelled mentions {unlabelled}"


def test_entity_values_come_from_the_vocabulary(default_corpus):
    skills = {skill.lower() for skill in vocab.ALL_SKILLS}
    degrees = set(vocab.DEGREES_BACHELOR + vocab.DEGREES_MASTER)
    for doc in default_corpus:
        for span in doc.spans:
            value = doc.text[span.start : span.end]
            if span.label == "SKILL":
                assert value.lower() in skills, (doc.id, value)
            elif span.label == "DEGREE":
                assert value in degrees, (doc.id, value)
            elif span.label == "COLLEGE":
                assert value in vocab.COLLEGES, (doc.id, value)
            elif span.label == "GRAD_YEAR":
                assert re.fullmatch(r"(19|20)\d\d", value), (doc.id, value)
            elif span.label == "EMAIL":
                assert re.fullmatch(r"[a-z0-9._]+@[a-z.]*example\.(com|net|org)", value), (doc.id, value)
            elif span.label == "YEARS_EXPERIENCE":
                assert re.search(r"\b(years?|yrs)\b", value), (doc.id, value)


def test_vocabulary_templates_mention_no_skill():
    slot = re.compile(r"\{\w+\}")
    fixed_texts = [
        *(bullet for domain in vocab.DOMAINS for bullet in domain.bullets),
        *vocab.GENERIC_BULLETS,
        *vocab.SUMMARY_TEMPLATES,
        *vocab.SUMMARY_EXTRA_SENTENCES,
        *vocab.OBJECTIVE_TEMPLATES,
        *(heading for headings in vocab.HEADINGS.values() for heading in headings),
        *(label for labels in vocab.SKILL_GROUP_LABELS for label in labels),
        *vocab.PROJECT_NAMES,
        *vocab.PROJECT_TEMPLATES,
        *vocab.CERTIFICATIONS,
        *vocab.SPOKEN_LANGUAGES,
        *vocab.INTERESTS,
        *vocab.DECLARATION_TEXTS,
        *vocab.COMPANIES,
        *vocab.COLLEGES,
    ]
    pattern = _mention_pattern(vocab.ALL_SKILLS)
    offending = [
        (text, pattern.search(slot.sub(" ", text)).group())
        for text in fixed_texts
        if pattern.search(slot.sub(" ", text))
    ]
    assert not offending


def test_vocabulary_pools_are_large_enough():
    assert len(vocab.FIRST_NAMES) >= 40 and len(vocab.LAST_NAMES) >= 40
    assert len(vocab.COMPANIES) >= 40 and len(vocab.CITIES) >= 30 and len(vocab.COLLEGES) >= 25
    assert len({title for domain in vocab.DOMAINS for title in domain.titles}) >= 30
    assert len(vocab.DEGREES_BACHELOR + vocab.DEGREES_MASTER) >= 15
    assert len(vocab.ALL_SKILLS) >= 80
    assert {"machine learning", "project management", "C++", "Node.js", ".NET", "CI/CD"} <= set(vocab.ALL_SKILLS)
    assert set(vocab.PRACTICES) <= set(vocab.ALL_SKILLS)


def test_document_lengths(default_corpus):
    lengths = [len(doc.text) for doc in default_corpus]
    long_share = sum(length > 6000 for length in lengths) / len(lengths)
    assert 1500 <= statistics.median(lengths) <= 3500
    assert 0.05 <= long_share <= 0.2
    assert sum(1000 <= length <= 4000 for length in lengths) / len(lengths) >= 0.75


def test_layouts_vary(default_corpus):
    second_lines = Counter(doc.text.strip().splitlines()[1] for doc in default_corpus)
    headings = {
        line.strip()
        for doc in default_corpus
        for line in doc.text.splitlines()
        if "EXPERIENCE" in line.upper() and len(line.strip()) < 30
    }
    bullets = {
        line.lstrip()[0]
        for doc in default_corpus
        for line in doc.text.splitlines()
        if line.lstrip()[:1] in ("•", "-", "*", "▪")
    }
    assert second_lines.most_common(1)[0][1] < len(default_corpus) / 10
    assert len(headings) >= 10
    assert bullets == {"•", "-", "*", "▪"}


def test_near_duplicates_exist_with_consistent_annotations(default_corpus):
    pairs = _near_duplicate_pairs(default_corpus)
    later = {j for _, j in pairs}
    assert 0.02 * len(default_corpus) <= len(later) <= 0.1 * len(default_corpus)
    documents = default_corpus.documents
    for i, j in pairs:
        assert documents[i].text != documents[j].text
        # A line the two copies share carries the same spans in both.
        original, copy = _labels_by_line(documents[i]), _labels_by_line(documents[j])
        shared = original.keys() & copy.keys()
        assert any(original[line] for line in shared)
        assert all(original[line] == copy[line] for line in shared), (documents[i].id, documents[j].id)


def _labels_by_line(doc) -> dict[str, frozenset]:
    """For each line text, the (offset in line, length, label) of the spans on it."""
    out: dict[str, set] = {}
    start = 0
    for line in doc.text.split("\n"):
        end = start + len(line)
        out.setdefault(line, set()).update(
            (span.start - start, span.end - span.start, span.label)
            for span in doc.spans
            if start <= span.start and span.end <= end
        )
        start = end + 1
    return {line: frozenset(spans) for line, spans in out.items()}


def test_shipped_corpus_is_what_the_cli_writes(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)  # as the README runs it: the split is planned with conf/base's parameters
    output = tmp_path / "synthetic_resumes.json"
    assert main(["--output", str(output), "--documents", "300", "--seed", "0"]) == 0
    assert SHIPPED_CORPUS.is_file(), f"{SHIPPED_CORPUS} is missing; run python -m resume_ner.synthetic"
    assert output.read_text(encoding="utf-8") == SHIPPED_CORPUS.read_text(encoding="utf-8"), (
        "the shipped corpus is stale: regenerate it with "
        "python -m resume_ner.synthetic --output data/01_raw/synthetic_resumes.json --documents 300 --seed 0"
    )


# --- vocabulary held apart from training (issue 12) -------------------------------------------------------------


def _value_parts() -> dict[str, dict[str, str]]:
    """For each held-apart entity type, the vocabulary part of each value (lower-cased, as styles change case)."""
    from resume_ner.synthetic.parts import POOLS

    out: dict[str, dict[str, str]] = {label: {} for label in ("FIRST", "LAST", "COMPANY", "TITLE", "SKILL", "COLLEGE")}
    for part, pools in POOLS.items():
        for label, values in (
            ("FIRST", pools.first_names),
            ("LAST", pools.last_names),
            ("COMPANY", pools.companies),
            ("COLLEGE", pools.colleges),
            ("SKILL", pools.shared_skills),
            ("TITLE", [title for domain in pools.domains for title in domain.titles]),
            ("SKILL", [skill for domain in pools.domains for skill in domain.skills]),
        ):
            out[label].update((value.lower(), part) for value in values)
    return out


def _mention_parts(text: str, label: str, value_parts: dict[str, dict[str, str]]) -> set[str]:
    """The vocabulary parts a mention's values come from (a name has two: first and last name)."""
    lowered = text.lower()
    if label == "NAME":
        words = lowered.split()
        return {value_parts["FIRST"][words[0]], value_parts["LAST"][words[-1]]}
    if label == "COMPANY":
        # A company may carry a suffix ("Pvt. Ltd."); the base name is the vocabulary value.
        bases = [lowered] + [
            lowered[: -len(suffix) - 1] for suffix in vocab.COMPANY_SUFFIXES if lowered.endswith(" " + suffix.lower())
        ]
        return {value_parts["COMPANY"][base] for base in bases if base in value_parts["COMPANY"]}
    return {value_parts[label][lowered]}


def _planned_part(doc_id: str, splits) -> str:
    if doc_id in splits.holdout_split["holdout"]:
        return "holdout"
    return "validation" if doc_id in splits.folds["folds"][0]["validation"] else "train"


def _assert_documents_draw_from_their_sides_part(splits) -> None:
    value_parts = _value_parts()
    for doc in splits.corpus:
        found = set().union(
            *(
                _mention_parts(doc.text[span.start : span.end], span.label, value_parts)
                for span in doc.spans
                if span.label in HELD_APART_TYPES
            )
        )
        assert found == {_planned_part(doc.id, splits)}, doc.id


@pytest.fixture(scope="module")
def shipped_splits():
    """The shipped corpus split exactly as `kedro run --pipelines=data_processing` splits it."""
    return pipeline_splits(read_corpus(SHIPPED_CORPUS), read_parameters(REPO_ROOT / DEFAULT_PARAMETERS))


def test_shipped_hold_out_names_companies_titles_skills_and_colleges_never_occur_in_training(shipped_splits):
    corpus, holdout, folds = shipped_splits.corpus, shipped_splits.holdout_split, shipped_splits.folds
    report = split_overlap(corpus, holdout, folds)
    for name, overlap in (("hold-out", report["holdout"]), ("fold 0 validation", report["folds"][0])):
        for label in HELD_APART_TYPES:
            assert overlap["per_type"][label]["in_training"] == 0, (name, label, overlap["per_type"][label])
    # Fold 0's validation documents train refit, final training and the other folds: none of the hold-out's values.
    between = mention_overlap(corpus, folds["folds"][0]["validation"], holdout["holdout"])
    assert all(between["per_type"][label]["in_training"] == 0 for label in HELD_APART_TYPES)


def test_the_shipped_corpus_splits_as_planned(shipped_splits):
    # Every hold-out document draws from the hold-out part, every fold-0 validation document from the validation
    # part, every other document from the training part: data_processing's split is the one the generator planned.
    _assert_documents_draw_from_their_sides_part(shipped_splits)
    assert len(shipped_splits.holdout_split["holdout"]) == 45


def test_near_duplicates_draw_from_their_originals_part(shipped_splits):
    value_parts = _value_parts()
    groups = [group for group in shipped_splits.document_groups["groups"] if len(group) > 1]
    by_id = shipped_splits.corpus.by_id()
    parts = {
        doc_id: set().union(
            *(
                _mention_parts(by_id[doc_id].text[span.start : span.end], span.label, value_parts)
                for span in by_id[doc_id].spans
                if span.label in HELD_APART_TYPES
            )
        )
        for group in groups
        for doc_id in group
    }
    assert len(groups) >= 10
    for group in groups:
        assert len(parts[group[0]]) == 1 and all(parts[doc_id] == parts[group[0]] for doc_id in group), group
    held = [group for group in groups if parts[group[0]] != {"train"}]
    assert held, "no near-duplicate group among the held-apart documents to check"


def test_a_generated_corpus_splits_as_planned_with_other_seeds_and_parameters():
    parameters = {"splits": {"seed": 7, "holdout_fraction": 0.2, "n_folds": 3}}
    corpus = generate_corpus(60, seed=11, parameters=parameters)
    _assert_documents_draw_from_their_sides_part(pipeline_splits(corpus, parameters))


def test_held_apart_documents_keep_their_structure_and_only_their_values_change():
    from resume_ner.synthetic import generate_held_apart

    held = generate_held_apart(60, seed=11)
    planned_on = generate_corpus(60, seed=11, hold_apart=False)
    assert held.corpus.ids() == planned_on.ids()
    for document, before in zip(held.corpus, planned_on, strict=True):
        assert [span.label for span in document.spans] == [span.label for span in before.spans], document.id
        if held.parts[document.id] == "train":
            assert document == before
        else:
            assert document.text != before.text
    assert set(held.parts.values()) == {"train", "holdout", "validation"}


def test_a_split_that_moves_after_drawing_again_is_a_loud_error(monkeypatch):
    from resume_ner import synthetic

    real, calls = synthetic.pipeline_splits, []

    def moved_on_second_call(corpus, parameters=None):
        made = real(corpus, parameters)
        calls.append(corpus)
        if len(calls) == 2:  # as if drawing a document again had made it a near-duplicate of a training document
            holdout = dict(
                made.holdout_split,
                holdout=made.holdout_split["holdout"][1:],
                train=made.holdout_split["train"] + made.holdout_split["holdout"][:1],
            )
            made = made._replace(holdout_split=holdout)
        return made

    monkeypatch.setattr(synthetic, "pipeline_splits", moved_on_second_call)
    moved = r"1 document\(s\) moved: synthetic-\d{4} \(holdout -> fold None\)"
    with pytest.raises(synthetic.HeldApartError, match=moved):
        synthetic.generate_held_apart(40, seed=3)


def test_a_near_duplicate_planned_apart_from_its_original_is_a_loud_error():
    from resume_ner.synthetic import HeldApartError, _draw

    # Parts that ignore the near-duplicate groups: some copy lands in another part than its original.
    with pytest.raises(HeldApartError, match="a near-duplicate of synthetic-"):
        _draw(60, 0, [("train", "holdout", "validation")[index % 3] for index in range(60)])


def test_too_few_documents_to_plan_a_split_is_a_clear_error():
    with pytest.raises(SplitError, match="hold_apart=False"):
        generate_corpus(3)
    assert len(generate_corpus(3, hold_apart=False)) == 3


def test_the_cli_says_how_to_make_a_corpus_too_small_to_split(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    with pytest.raises(SystemExit):
        main(["--output", str(tmp_path / "corpus.json"), "--documents", "3"])
    assert "--no-hold-apart" in capsys.readouterr().err
    assert main(["--output", str(tmp_path / "corpus.json"), "--documents", "3", "--no-hold-apart"]) == 0
    assert len(read_corpus(tmp_path / "corpus.json")) == 3


def test_the_cli_plans_with_the_parameters_file_it_is_given(tmp_path, capsys):
    parameters = tmp_path / "parameters.yml"
    parameters.write_text("splits:\n  seed: 7\n  holdout_fraction: 0.2\n  n_folds: 3\n", encoding="utf-8")
    output = tmp_path / "corpus.json"
    assert main(["--output", str(output), "--documents", "40", "--seed", "2", "--parameters", str(parameters)]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"vocabulary held apart: \d+ hold-out and \d+ fold-0 validation documents", printed)
    _assert_documents_draw_from_their_sides_part(pipeline_splits(read_corpus(output), read_parameters(parameters)))


def test_vocabulary_parts_are_disjoint_and_large_enough_for_a_resume():
    from resume_ner.synthetic.parts import PARTS, POOLS

    assert tuple(POOLS) == PARTS == ("train", "holdout", "validation")
    practices = set(vocab.PRACTICES)
    kinds = {
        "first_names": lambda pools: pools.first_names,
        "last_names": lambda pools: pools.last_names,
        "companies": lambda pools: pools.companies,
        "colleges": lambda pools: pools.colleges,
        "titles": lambda pools: [title for domain in pools.domains for title in domain.titles],
        "skills": lambda pools: [*pools.shared_skills, *(skill for domain in pools.domains for skill in domain.skills)],
    }
    for kind, values_of in kinds.items():
        parts = [{value.lower() for value in values_of(POOLS[part])} for part in PARTS]
        assert not parts[0] & parts[1] and not parts[0] & parts[2] and not parts[1] & parts[2], kind
    # Every value is in the vocabulary once, whatever its case, so an upper- or lower-cased mention of one part's
    # value can never be another part's value.
    everything = [
        value.lower()
        for pool in (vocab.FIRST_NAMES, vocab.LAST_NAMES, vocab.COMPANIES, vocab.COLLEGES, vocab.ALL_SKILLS)
        for value in pool
    ]
    everything += [title.lower() for domain in vocab.DOMAINS for title in domain.titles]
    assert len(everything) == len(set(everything))
    assert not set(vocab.SHARED_SKILLS) & {skill for domain in vocab.DOMAINS for skill in domain.skills}
    for part, pools in POOLS.items():
        # A long resume has up to 16 jobs at different companies and two colleges; a resume lists 7 to 16 skills
        # of its domain and up to 3 shared ones; bullets need up to 3 tools and 2 practices of the domain.
        assert len(pools.companies) >= 16 and len(pools.colleges) >= 10, part
        assert len(pools.first_names) >= 20 and len(pools.last_names) >= 20, part
        assert len(pools.shared_skills) >= 3, part
        for domain in pools.domains:
            assert len(domain.titles) >= 5, (part, domain.name)
            assert len(domain.skills) >= 16, (part, domain.name)
            assert sum(skill in practices for skill in domain.skills) >= 2, (part, domain.name)
            assert sum(skill not in practices for skill in domain.skills) >= 3, (part, domain.name)


def test_partition_deals_each_pool_by_its_shares():
    from resume_ner.synthetic.parts import partition

    single = partition([list("abcdefghij")])
    assert Counter(single.values()) == {0: 4, 1: 3, 2: 3}
    assert [single[value] for value in "abc"] == [0, 1, 2]  # neighbours go to different parts
    # A value in two pools gets one part; both pools still get their shares.
    shared = partition([list("xabcdefghi"), list("xjklmnopqr")])
    for pool in ("xabcdefghi", "xjklmnopqr"):
        assert Counter(shared[value] for value in pool) == {0: 4, 1: 3, 2: 3}


def test_picks_use_the_same_randomness_whatever_the_pool_size():
    import random

    from resume_ner.synthetic.parts import pick, pick_distinct

    states = set()
    for size in (3, 17, 40):
        rng = random.Random(5)
        pick(rng, range(size))
        pick_distinct(rng, range(size), 3)
        states.add(rng.getstate())
    assert len(states) == 1
    assert sorted(pick_distinct(random.Random(1), "abc", 3)) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="cannot pick 4"):
        pick_distinct(random.Random(1), "abc", 4)
