"""ResumeFileDataset: a resume's text from .txt, .pdf (text layer) and .docx, and one clear reason otherwise."""

from __future__ import annotations

import pytest
from kedro.io import DatasetError
from pdf_files import write_text_pdf

from resume_ner.datasets import ResumeFileDataset

RESUME = "Jane Doe (CV)\nPython developer at Acme Corp\nBerlin"


def load(path):
    return ResumeFileDataset(str(path)).load()


def test_text_pdf_and_word_files_give_their_text(tmp_path):
    import docx

    (tmp_path / "cv.txt").write_bytes("Zürich\r\nPython".encode())
    assert load(tmp_path / "cv.txt") == "Zürich\r\nPython"  # exactly the file's characters
    write_text_pdf(tmp_path / "cv.pdf", RESUME)
    assert load(tmp_path / "cv.pdf").splitlines() == RESUME.splitlines()
    document = docx.Document()
    for line in RESUME.splitlines():
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Skills", "SQL"
    document.save(str(tmp_path / "cv.docx"))
    assert load(tmp_path / "cv.docx") == RESUME + "\nSkills\tSQL"
    (tmp_path / "CV.TXT").write_text("upper case suffix")
    assert load(tmp_path / "CV.TXT") == "upper case suffix"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("cv.pdf", b"%PDF-1.4 not really", "cv.pdf: cannot read it as PDF"),
        ("cv.docx", b"PK\x03\x04 not a zip", "cv.docx: cannot read it as DOCX"),
        ("cv.txt", b"caf\xe9", "cv.txt: not UTF-8 text (byte 3)"),
        ("cv.xlsx", b"whatever", "cv.xlsx: unsupported file type .xlsx; use .txt, .pdf or .docx"),
        ("README", b"text", "README: unsupported file type (none)"),
    ],
)
def test_an_unreadable_file_says_why_in_one_line(tmp_path, name, content, reason):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DatasetError) as caught:
        load(tmp_path / name)
    message = str(caught.value.__cause__)
    assert message.startswith(reason) and "\n" not in message


def test_a_pdf_without_a_text_layer_says_it_needs_ocr(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    with open(tmp_path / "scan.pdf", "wb") as stream:
        writer.write(stream)
    with pytest.raises(DatasetError) as caught:
        load(tmp_path / "scan.pdf")
    assert "scan.pdf: the PDF has no text layer (a scan needs OCR first)" in str(caught.value.__cause__)


def test_resume_files_are_never_written(tmp_path):
    with pytest.raises(DatasetError, match="resume files are read, not written"):
        ResumeFileDataset(str(tmp_path / "cv.txt")).save("text")
