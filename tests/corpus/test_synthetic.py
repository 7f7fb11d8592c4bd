"""The synthetic resume generator: determinism, valid and consistent spans, shape of the corpus, shipped file."""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from resume_ner.corpus.synthetic import ENTITY_TYPES, generate_corpus, main
from resume_ner.corpus.synthetic import vocabulary as vocab

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_CORPUS = REPO_ROOT / "data" / "01_raw" / "synthetic_resumes.json"


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


def test_independent_of_hash_randomisation():
    code = "from resume_ner.corpus.synthetic import generate_corpus; print(generate_corpus(25, seed=1).fingerprint())"
    prints = {
        subprocess.run([sys.executable, "-c", code], env={"PYTHONHASHSEED": hash_seed, "PATH": ""},
                       capture_output=True, text=True, check=True, cwd=REPO_ROOT).stdout
        for hash_seed in ("1", "2")
    }
    assert prints == {generate_corpus(25, seed=1).fingerprint() + "\n"}


def test_ids_are_numbered_in_order():
    assert generate_corpus(12).ids() == [f"synthetic-{index:04d}" for index in range(12)]
    assert len(generate_corpus(0)) == 0
    assert len(generate_corpus(1)) == 1


def test_spans_are_valid(default_corpus):
    for doc in default_corpus:
        assert doc.spans, doc.id
        previous_end = 0
        for span in doc.spans:
            covered = doc.text[span.start:span.end]
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
            covered[span.start:span.end] = [True] * (span.end - span.start)
        unlabelled = [m.group() for m in pattern.finditer(doc.text) if not any(covered[m.start():m.end()])]
        assert not unlabelled, f"{doc.id}: unlabelled mentions {unlabelled}"


def test_entity_values_come_from_the_vocabulary(default_corpus):
    skills = {skill.lower() for skill in vocab.ALL_SKILLS}
    degrees = set(vocab.DEGREES_BACHELOR + vocab.DEGREES_MASTER)
    for doc in default_corpus:
        for span in doc.spans:
            value = doc.text[span.start:span.end]
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
        *(bullet for domain in vocab.DOMAINS for bullet in domain.bullets), *vocab.GENERIC_BULLETS,
        *vocab.SUMMARY_TEMPLATES, *vocab.SUMMARY_EXTRA_SENTENCES, *vocab.OBJECTIVE_TEMPLATES,
        *(heading for headings in vocab.HEADINGS.values() for heading in headings),
        *(label for labels in vocab.SKILL_GROUP_LABELS for label in labels), *vocab.PROJECT_NAMES,
        *vocab.PROJECT_TEMPLATES, *vocab.CERTIFICATIONS, *vocab.SPOKEN_LANGUAGES, *vocab.INTERESTS,
        *vocab.DECLARATION_TEXTS, *vocab.COMPANIES, *vocab.COLLEGES,
    ]
    pattern = _mention_pattern(vocab.ALL_SKILLS)
    offending = [(text, pattern.search(slot.sub(" ", text)).group()) for text in fixed_texts
                 if pattern.search(slot.sub(" ", text))]
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
    headings = {line.strip() for doc in default_corpus for line in doc.text.splitlines()
                if "EXPERIENCE" in line.upper() and len(line.strip()) < 30}
    bullets = {line.lstrip()[0] for doc in default_corpus for line in doc.text.splitlines()
               if line.lstrip()[:1] in ("•", "-", "*", "▪")}
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
            (span.start - start, span.end - span.start, span.label) for span in doc.spans
            if start <= span.start and span.end <= end
        )
        start = end + 1
    return {line: frozenset(spans) for line, spans in out.items()}


def test_shipped_corpus_is_what_the_cli_writes(tmp_path):
    output = tmp_path / "synthetic_resumes.json"
    assert main(["--output", str(output), "--documents", "300", "--seed", "0"]) == 0
    assert SHIPPED_CORPUS.is_file(), f"{SHIPPED_CORPUS} is missing; run python -m resume_ner.corpus.synthetic"
    assert output.read_text(encoding="utf-8") == SHIPPED_CORPUS.read_text(encoding="utf-8"), (
        "the shipped corpus is stale: regenerate it with "
        "python -m resume_ner.corpus.synthetic --output data/01_raw/synthetic_resumes.json --documents 300 --seed 0"
    )
