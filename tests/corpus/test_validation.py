"""Validation lists every problem of a corpus, with file, record, span and rule, in one error."""

from __future__ import annotations

import json
import zipfile

import pytest

from resume_ner.corpus.documents import Span
from resume_ner.corpus.problems import CorpusValidationError
from resume_ner.corpus.reading import read_corpus
from resume_ner.errors import UserInputError

FAULTY_RECORDS = [
    ({"id": "a", "text": "Jane Doe", "annotations": [[0, 20, "NAME"]]}, "span-out-of-range", "[0, 20, 'NAME']"),
    ({"id": "b", "text": "x y", "annotations": [[2, 2, "X"]]}, "empty-span", "[2, 2, 'X']"),
    ({"id": "c", "text": "hello", "annotations": [[3, 1, "X"]]}, "start-after-end", "[3, 1, 'X']"),
    ({"id": "d", "text": "hello", "annotations": [[0.5, 2, "X"]]}, "non-integer-offset", "[0.5, 2, 'X']"),
    ({"id": "e", "text": "hello", "annotations": [[0, 2]]}, "label-missing", "[0, 2, None]"),
    ({"id": "f", "text": "hello", "annotations": [[0, 2, 7]]}, "label-not-string", "[0, 2, 7]"),
    ({"id": "g", "annotations": []}, "text-missing", None),
    ({"id": "h", "text": 42, "annotations": []}, "text-not-string", None),
    ({"id": "i", "text": "a   b", "annotations": [[1, 4, "X"]]}, "whitespace-only-span", "[1, 4, 'X']"),
    ({"id": "j", "text": "ok", "annotations": "none"}, "annotations-not-list", None),
    ("just a string", "not-a-record", None),
    ({"id": "k", "text": "ok"}, "annotations-missing", None),
    ({"id": "l", "text": "ok", "annotations": [[0, "2", "X"]]}, "non-integer-offset", "[0, '2', 'X']"),
    ({"id": True, "text": "ok", "annotations": []}, "invalid-id", None),
    ({"id": "m", "text": "ok", "annotations": [[0, 1, "X", "extra"]]}, "malformed-span", None),
    ({"id": "n", "text": "ok", "annotations": [[0, 2, "  "]]}, "label-missing", "[0, 2, '  ']"),
    ({"id": "good", "text": "dup", "annotations": []}, "duplicate-id", None),
]
GOOD_RECORD = {"id": "good", "text": "  Jane Doe, engineer ", "annotations": [[1, 10, "NAME"]]}


def _write(tmp_path, records, name="corpus.json"):
    path = tmp_path / name
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_every_fault_is_listed_once_with_file_record_span_and_rule(tmp_path):
    path = _write(tmp_path, [GOOD_RECORD] + [record for record, _, _ in FAULTY_RECORDS])
    with pytest.raises(CorpusValidationError) as caught:
        read_corpus(path)
    error = caught.value
    assert error.total == len(FAULTY_RECORDS)
    assert [p.rule for p in error.problems] == [rule for _, rule, _ in FAULTY_RECORDS]
    message = str(error)
    assert message.splitlines()[0].startswith(f"Corpus {path} is not valid: {len(FAULTY_RECORDS)} problem(s)")
    for index, (record, rule, span) in enumerate(FAULTY_RECORDS, start=1):
        line = message.splitlines()[index]
        assert line.startswith(f"  - {path}: record {index}")
        assert line.endswith(f"[{rule}]")
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            assert f"(id {record['id']!r})" in line
        if span is not None:
            assert f"span {span}" in line
    assert "already used by record 0" in message.splitlines()[-1]


def test_valid_records_pass_and_surrounding_whitespace_is_trimmed(tmp_path):
    corpus = read_corpus(_write(tmp_path, [GOOD_RECORD, {"text": "no id here", "annotations": []}]))
    good = corpus.by_id()["good"]
    assert good.spans == (Span(2, 10, "NAME"),)
    assert good.text[2:10] == "Jane Doe"
    assert corpus.ids() == ["good", "doc-1"]


def test_the_problem_list_is_capped_and_counts_the_rest(tmp_path):
    records = [{"id": str(n), "text": "abc", "annotations": [[0, 9, "X"]]} for n in range(30)]
    with pytest.raises(CorpusValidationError) as caught:
        read_corpus(_write(tmp_path, records), max_problems=5)
    assert caught.value.total == 30
    assert len(caught.value.problems) == 5
    assert str(caught.value).splitlines()[-1] == "  ... and 25 more"


def test_undecodable_bytes_are_reported_with_their_line_in_json(tmp_path):
    path = tmp_path / "corpus.json"
    path.write_bytes(b'[\n{"id": "a", "text": "caf\xe9", "annotations": [[9, 3, "X"]]}\n]')
    with pytest.raises(CorpusValidationError) as caught:
        read_corpus(path)
    rules = [p.rule for p in caught.value.problems]
    assert rules == ["undecodable-text", "start-after-end"]  # the rest of the file is still checked
    assert "line 2" in str(caught.value.problems[0])


def test_undecodable_and_invalid_lines_in_jsonl(tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_bytes(
        b'{"id": "a", "text": "fine", "annotations": []}\n'
        b'{"id": "b", "text": "\xff\xfe", "annotations": []}\n'
        b'{"id": "c", "text": "broken", \n'
    )
    with pytest.raises(CorpusValidationError) as caught:
        read_corpus(path, "jsonl")
    found = [(p.record, p.rule) for p in caught.value.problems]
    assert found == [("line 2", "undecodable-text"), ("line 3", "invalid-json")]


def test_broken_files_in_an_inline_xml_zip_are_each_named(tmp_path):
    path = tmp_path / "cvs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("cvs/1.xml", '<cv>Jane <label type="NAME">Doe</label></cv>')
        archive.writestr("cvs/2.xml", '<cv>Jane <label type="NAME">Doe</cv>')
        archive.writestr("cvs/3.xml", b"<cv>caf\xe9</cv>")
        archive.writestr("cvs/4.xml", '<cv><label>no type</label> <label type="X"><b>x</b></label></cv>')
    with pytest.raises(CorpusValidationError) as caught:
        read_corpus(path, "inline_xml")
    found = [(p.file.split("!")[-1], p.rule) for p in caught.value.problems]
    assert found == [
        ("cvs/2.xml", "malformed-xml"),
        ("cvs/3.xml", "undecodable-text"),
        ("cvs/4.xml", "label-missing"),  # in document order
        ("cvs/4.xml", "nested-label"),
    ]


def test_conll_lines_without_tags_or_with_unknown_tags(tmp_path):
    path = tmp_path / "bad.conll"
    path.write_text("Jane B-NAME\nDoe\nworks X-ORG\nhere SKILL\n", encoding="utf-8")
    with pytest.raises(CorpusValidationError) as caught:
        read_corpus(path, "conll")
    assert [(p.record, p.rule) for p in caught.value.problems] == [
        ("line 2", "missing-tag"),
        ("line 3", "invalid-tag"),
        ("line 4", "invalid-tag"),
    ]


def test_unknown_format_and_missing_file_fail_with_one_clear_line(tmp_path):
    with pytest.raises(UserInputError, match=r"Unknown corpus format 'xml'.*choose one of json, jsonl"):
        read_corpus(tmp_path / "x.json", "xml")
    with pytest.raises(FileNotFoundError, match=r"does not exist.*catalog\.yml"):
        read_corpus(tmp_path / "missing.json")


def test_top_level_must_be_a_list(tmp_path):
    path = tmp_path / "corpus.json"
    path.write_text('{"documents": [{"text": "Jane", "annotations": []}]}', encoding="utf-8")
    with pytest.raises(
        CorpusValidationError,
        match=r"top level must be a list of records, found dict \(its field "
        r"'documents' holds a list of objects: make that list the whole "
        r"file\) \[not-a-list\]",
    ):
        read_corpus(path)


@pytest.mark.parametrize(
    ("name", "format", "content", "expected"),
    [
        ("empty.json", "json", "[]", "has no documents: the list is empty"),
        ("blank.jsonl", "jsonl", "\n\n", "has no documents: the file has no records"),
        ("blank.conll", "conll", "\n", "has no documents: the file has no token lines"),
        (
            "no-spans.json",
            "json",
            json.dumps([{"id": "1", "text": "Jane Doe", "annotations": []}]),
            "has 1 document(s) but no entity spans: field 'annotations' is empty in every record",
        ),
        (
            "no-spans.jsonl",
            "doccano",
            json.dumps({"id": "1", "text": "Jane Doe", "label": []}),
            "has 1 document(s) but no entity spans: field 'label' is empty in every record",
        ),
        ("all-o.conll", "conll", "Jane O\nDoe O\n", "has 1 document(s) but no entity spans: every tag is O"),
    ],
)
def test_a_corpus_without_documents_or_entities_fails_at_load_in_one_line(tmp_path, name, format, content, expected):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UserInputError) as caught:
        read_corpus(path, format)
    message = str(caught.value)
    assert len(message.splitlines()) == 1
    assert message.startswith(f"Corpus {path} {expected}")


def test_an_inline_xml_folder_without_files_or_labels_fails_in_one_line(tmp_path):
    with pytest.raises(UserInputError, match=r"has no documents: no \.xml files in the folder") as caught:
        read_corpus(tmp_path, "inline_xml")
    assert len(str(caught.value).splitlines()) == 1
    (tmp_path / "1.xml").write_text("<cv>Jane Doe, engineer</cv>", encoding="utf-8")
    with pytest.raises(UserInputError, match=r"has 1 document\(s\) but no entity spans: no <label type=") as caught:
        read_corpus(tmp_path, "inline_xml")
    assert len(str(caught.value).splitlines()) == 1


def test_text_that_cannot_be_written_as_utf8_is_a_problem_naming_record_field_and_offset(tmp_path):
    # A lone surrogate: JSON allows the escape, UTF-8 cannot encode it (a pair split by a bad export or a cut).
    path = tmp_path / "corpus.json"
    path.write_text(
        '[{"id": "a", "text": "Jane Doe \\ud83d", "annotations": [[0, 8, "NAME"]]},\n'
        ' {"id": "b", "text": "fine \\ud83d\\ude00 pair", "annotations": [[0, 4, "X"]]},\n'
        ' {"id": "c\\udc00", "text": "ok", "annotations": [[0, 2, "LAB\\ud800"]]}]',
        encoding="utf-8",
    )
    with pytest.raises(CorpusValidationError) as caught:
        read_corpus(path)
    found = [(p.record, p.rule, p.detail) for p in caught.value.problems]
    assert found == [
        (
            "record 0 (id 'a')",
            "unencodable-text",
            (
                "field 'text' has a lone surrogate \\ud83d at offset 9, which cannot be written as UTF-8 "
                "(half of an escaped pair such as an emoji's); remove it or restore the pair"
            ),
        ),
        (
            "record 2",
            "unencodable-text",
            (
                "field 'id' has a lone surrogate \\udc00 at offset 1, which cannot be written as UTF-8 "
                "(half of an escaped pair such as an emoji's); remove it or restore the pair"
            ),
        ),
        (
            "record 2",
            "unencodable-text",
            (
                "the label has a lone surrogate \\ud800 at offset 3, which cannot be written as UTF-8 "
                "(half of an escaped pair such as an emoji's); remove it or restore the pair"
            ),
        ),
    ]


RECORD = {"id": "1", "text": "Jane Doe, engineer", "annotations": [[0, 8, "NAME"]]}


def write_jsonl(path, records: list[dict]) -> None:
    path.write_text("\n".join(json.dumps(record) for record in records), encoding="utf-8")


def _problems(path, format="json"):
    """``(record, rule, detail)`` of every problem reading ``path`` reports."""
    with pytest.raises(CorpusValidationError) as caught:
        read_corpus(path, format)
    return [(p.record, p.rule, p.detail) for p in caught.value.problems]


def test_a_json_lines_file_read_as_json_says_to_use_format_jsonl_and_the_reverse(tmp_path):
    lines = tmp_path / "corpus.jsonl"
    lines.write_text(json.dumps(RECORD) + "\n" + json.dumps({**RECORD, "id": "2"}) + "\n", encoding="utf-8")
    assert _problems(lines, "json") == [
        (
            "file",
            "invalid-json",
            (
                "not valid JSON at line 2, column 1: Extra data; the file holds one JSON record per "
                "line (JSON Lines): use format: jsonl"
            ),
        )
    ]
    one_list = tmp_path / "corpus.json"
    one_list.write_text("[\n" + json.dumps(RECORD) + "\n]\n", encoding="utf-8")
    assert _problems(one_list, "jsonl") == [
        ("file", "invalid-json", "the file is one JSON list, not one record per line: use format: json")
    ]
    one_record = tmp_path / "one.json"
    one_record.write_text(json.dumps(RECORD), encoding="utf-8")
    assert _problems(one_record, "json") == [
        (
            "file",
            "not-a-list",
            (
                "the top level must be a list of records, found dict (one record? put it in a list, "
                "[{...}], or use format: jsonl)"
            ),
        )
    ]


# The shape of a DataTurks export (the source of the dotin resumes): 'content', and 'annotation' items with a label
# list and points whose end offset is inclusive.
DATATURKS = {
    "content": "Jane Doe\nPython developer",
    "annotation": [{"label": ["Name"], "points": [{"start": 0, "end": 7, "text": "Jane Doe"}]}],
    "extras": None,
}


@pytest.mark.parametrize("format", ["json", "jsonl", "doccano"])
def test_a_dataturks_record_says_which_field_names_and_end_option_to_use(tmp_path, format):
    path = tmp_path / "dataturks.json"
    path.write_text(json.dumps([DATATURKS]) if format == "json" else json.dumps(DATATURKS), encoding="utf-8")
    where = "record 0" if format == "json" else "line 1"
    spans_field = "label" if format == "doccano" else "annotations"  # doccano's own name for the spans
    assert _problems(path, format) == [
        (
            where,
            "fields-missing",
            (
                f"fields 'text' and {spans_field!r} are missing; the record has 'content', 'annotation', 'extras' "
                "(a DataTurks export): rename 'content' to 'text' and turn 'annotation' into 'annotations', "
                "[start, end, label] for each point and label, and load with end: inclusive "
                "(DataTurks' end offsets are inclusive)"
            ),
        )
    ]


def test_a_doccano_record_read_as_json_says_to_use_format_doccano(tmp_path):
    path = tmp_path / "doccano.jsonl"
    path.write_text(json.dumps({"id": 1, "text": "Jane Doe", "label": [[0, 8, "NAME"]]}), encoding="utf-8")
    assert _problems(path, "jsonl") == [
        (
            "line 1 (id '1')",
            "annotations-missing",
            (
                "field 'annotations' is missing (use [] for no entities); the record has 'label' "
                "(doccano's name for it): use format: doccano"
            ),
        )
    ]


def test_doccano_problems_name_the_fields_the_file_has(tmp_path):
    path = tmp_path / "doccano.jsonl"
    write_jsonl(
        path,
        [
            {"id": 1, "text": "Jane Doe", "label": "NAME"},
            {
                "id": 2,
                "text": "Jane Doe",
                "entities": [
                    {"start_offset": "0", "end_offset": 4, "label": "NAME"},
                    {"start_offset": 5, "end_offset": 8},
                ],
            },
            {"id": 3, "text": "Jane Doe"},
        ],
    )
    assert _problems(path, "doccano") == [
        ("line 1 (id '1')", "annotations-not-list", "field 'label' is not a list (found str)"),
        ("line 2 (id '2')", "non-integer-offset", "start_offset and end_offset must be integers"),
        ("line 2 (id '2')", "label-missing", "field 'label' is missing"),
        ("line 3 (id '3')", "annotations-missing", "field 'label' is missing (use [] for no entities)"),
    ]


def test_inline_xml_says_type_attribute_missing_when_only_that_is_absent(tmp_path):
    (tmp_path / "1.xml").write_text(
        '<cv>Jane <label>Doe</label> and <label typ="SKILL">SQL</label> <label type=" ">x</label></cv>',
        encoding="utf-8",
    )
    assert _problems(tmp_path, "inline_xml") == [
        (
            "document '1'",
            "label-missing",
            ("`type` attribute missing from <label>'Doe'</label>; add type=\"<entity type>\""),
        ),
        (
            "document '1'",
            "label-missing",
            ("`type` attribute missing from <label>'SQL'</label> (it has typ=); add type=\"<entity type>\""),
        ),
        ("document '1'", "label-missing", "`type` attribute of <label>'x'</label> is empty; add the entity type"),
    ]


def test_inclusive_end_offsets_are_checked_against_the_text_as_the_file_wrote_them(tmp_path):
    path = tmp_path / "inclusive.jsonl"
    write_jsonl(
        path,
        [
            {"id": "a", "text": "Jane Doe, C", "annotations": [[0, 7, "NAME"], [10, 10, "SKILL"]]},
            {"id": "b", "text": "Jane Doe", "annotations": [[0, 8, "NAME"], [5, 3, "NAME"]]},
        ],
    )
    with pytest.raises(CorpusValidationError) as caught:
        read_corpus(path, "jsonl", end="inclusive")
    assert [(p.record, p.rule, p.detail) for p in caught.value.problems] == [
        (
            "line 2 (id 'b')",
            "span-out-of-range",
            ("offsets fall outside the text (length 8; end is inclusive, so at most 7)"),
        ),
        ("line 2 (id 'b')", "start-after-end", "start is after end"),
    ]
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0], encoding="utf-8")
    doc = read_corpus(path, "jsonl", end="inclusive").documents[0]
    assert [doc.text[s.start : s.end] for s in doc.spans] == ["Jane Doe", "C"]
    with pytest.raises(UserInputError, match=r"end: inclusive applies to the json and jsonl formats, not conll"):
        read_corpus(path, "conll", end="inclusive")
