"""Every corpus format on a real sample, and the JSON round trip."""

from __future__ import annotations

import json
import logging
import shutil
import zipfile

import pytest
from conftest import DOTIN_JSON, DOTIN_ZIP, SHARED_DATA, requires_shared_data, shared_data

from resume_ner.corpus.documents import Span
from resume_ner.corpus.formats import write_json
from resume_ner.corpus.reading import read_corpus


@requires_shared_data(DOTIN_JSON)
def test_json_reads_the_dotin_resumes():
    corpus = read_corpus(DOTIN_JSON, "json")
    assert len(corpus) == 310
    assert sum(len(doc.spans) for doc in corpus) == 15_681
    first = corpus.by_id()["1"]
    assert first.text[first.spans[0].start : first.spans[0].end] == "Meda Cronin"
    assert first.spans[0].label == "Name"


@pytest.fixture(scope="module")
def dotin_sample() -> list[dict]:
    return json.loads(shared_data(DOTIN_JSON).read_text(encoding="utf-8"))[:25]


def _expected(records: list[dict]) -> dict[str, list[Span]]:
    return {str(r["id"]): sorted(Span(*a) for a in r["annotations"]) for r in records}


def _spans(corpus) -> dict[str, list[Span]]:
    return {doc.id: list(doc.spans) for doc in corpus}


def test_jsonl_reads_records_line_by_line(tmp_path, dotin_sample):
    path = tmp_path / "sample.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in dotin_sample) + "\n\n", encoding="utf-8")
    corpus = read_corpus(path, "jsonl")
    assert _spans(corpus) == _expected(dotin_sample)
    assert [doc.text for doc in corpus] == [r["text"] for r in dotin_sample]


def test_doccano_reads_label_lists_and_entity_objects(tmp_path, dotin_sample):
    older = tmp_path / "older.jsonl"
    older.write_text(
        "\n".join(json.dumps({"id": r["id"], "text": r["text"], "label": r["annotations"]}) for r in dotin_sample),
        encoding="utf-8",
    )
    newer = tmp_path / "newer.jsonl"
    newer.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": r["id"],
                    "text": r["text"],
                    "entities": [
                        {"id": n, "label": label, "start_offset": start, "end_offset": end}
                        for n, (start, end, label) in enumerate(r["annotations"])
                    ],
                }
            )
            for r in dotin_sample
        ),
        encoding="utf-8",
    )
    assert _spans(read_corpus(older, "doccano")) == _expected(dotin_sample)
    assert _spans(read_corpus(newer, "doccano")) == _expected(dotin_sample)


@requires_shared_data(DOTIN_ZIP)
def test_inline_xml_zip_gives_the_same_corpus_as_the_converted_json():
    from_zip = read_corpus(DOTIN_ZIP, "inline_xml")
    from_json = read_corpus(DOTIN_JSON, "json")
    assert len(from_zip) == 310
    assert from_zip.by_id() == from_json.by_id()


@requires_shared_data(DOTIN_ZIP)
def test_inline_xml_reads_a_folder_in_natural_order(tmp_path):
    with zipfile.ZipFile(DOTIN_ZIP) as archive:
        for name in ["545_cvs_train_v2/2.xml", "545_cvs_train_v2/10.xml", "545_cvs_train_v2/1.xml"]:
            (tmp_path / name.split("/")[1]).write_bytes(archive.read(name))
    corpus = read_corpus(tmp_path, "inline_xml")
    assert corpus.ids() == ["1", "2", "10"]
    reference = read_corpus(DOTIN_JSON).by_id()
    assert all(doc == reference[doc.id] for doc in corpus)


@pytest.mark.parametrize(
    ("relative", "documents", "entities"),
    [
        ("wnut17/wnut17train.conll", 3_394, 1_975),
        ("crossner/ai/train.txt", 100, 532),
        ("crossner/politics/dev.txt", 541, 3_482),
        ("job_descriptions_green2022/testset.conll", 336, 908),
    ],
)
def test_conll_files_become_text_and_character_spans(relative, documents, entities):
    path = shared_data(SHARED_DATA / relative)
    corpus = read_corpus(path, "conll")
    assert len(corpus) == documents
    assert sum(len(doc.spans) for doc in corpus) == entities
    lines = path.read_text(encoding="utf-8").splitlines()
    first_tokens: list[str] = []
    for line in lines:
        if not line.split():
            if first_tokens:
                break
            continue
        first_tokens.append(line.split()[0])
    assert corpus.documents[0].text == " ".join(first_tokens)
    for doc in corpus:
        for span in doc.spans:
            piece = doc.text[span.start : span.end]
            assert piece == piece.strip() and piece


def test_conll_bio_variants_docstart_and_tag_parsing(tmp_path):
    path = tmp_path / "sample.conll"
    path.write_text(
        "-DOCSTART- -X- O O\n\n"
        "Jane B-NAME\nDoe I-NAME\nknows O\nC++ S-SKILL\nand O\nSQL I-SKILL\n\n"
        "Senior B-B-TITLE\nEngineer E-B-TITLE\nat O\nEmailCo B-EMAIL\n\n"
        "-DOCSTART- -X- O O\n\nBob B-NAME\n",
        encoding="utf-8",
    )
    corpus = read_corpus(path, "conll")
    assert corpus.ids() == ["sample-0", "sample-1"]
    doc = corpus.documents[0]
    assert doc.text == "Jane Doe knows C++ and SQL\nSenior Engineer at EmailCo"
    found = [(doc.text[s.start : s.end], s.label) for s in doc.spans]
    # I-SKILL after O starts an entity (IOB1); a label that itself starts with "B-" keeps its letters.
    assert found == [
        ("Jane Doe", "NAME"),
        ("C++", "SKILL"),
        ("SQL", "SKILL"),
        ("Senior Engineer", "B-TITLE"),
        ("EmailCo", "EMAIL"),
    ]


def test_saving_writes_the_json_format_and_round_trips(tmp_path, small_corpus):
    path = tmp_path / "out" / "corpus.json"
    write_json(small_corpus, path)
    records = json.loads(path.read_text(encoding="utf-8"))
    assert records[0]["id"] == "cv-00" and set(records[0]) == {"id", "text", "annotations"}
    again = read_corpus(path, "json")
    assert again == small_corpus
    write_json(again, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


@requires_shared_data(DOTIN_ZIP)
def test_inline_xml_loads_then_saves_to_json_that_loads_the_same(tmp_path):
    shutil.copy(DOTIN_ZIP, tmp_path / "cvs.zip")
    corpus = read_corpus(tmp_path / "cvs.zip", "inline_xml")
    write_json(corpus, tmp_path / "cvs.json")
    assert read_corpus(tmp_path / "cvs.json") == corpus


def test_conll_logs_how_many_inside_tags_it_repaired(tmp_path, caplog):
    path = tmp_path / "broken.conll"
    path.write_text("Jane B-NAME\nDoe I-NAME\nknows O\nSQL I-SKILL\nand O\nC E-SKILL\n\nBob I-NAME\n", encoding="utf-8")
    caplog.set_level(logging.INFO, logger="resume_ner")
    corpus = read_corpus(path, "conll")
    assert [doc.text[s.start : s.end] for doc in corpus for s in doc.spans] == ["Jane Doe", "SQL", "C", "Bob"]
    assert (
        f"Repaired 3 I-/E- tag(s) in {path} that did not continue an entity of their type (each starts one, as "
        "B- would; the first at line 4)"
    ) in caplog.messages


@pytest.mark.parametrize("relative", ["wnut17/wnut17train.conll", "job_descriptions_green2022/testset.conll"])
def test_conll_logs_no_repairs_for_clean_bio_files(relative, caplog):
    path = shared_data(SHARED_DATA / relative)
    caplog.set_level(logging.INFO, logger="resume_ner")
    read_corpus(path, "conll")
    assert not [message for message in caplog.messages if message.startswith("Repaired")]
