"""``ResumeFileDataset``: one resume file's text, read by its extension (.txt, .pdf, .docx); the partition type of
the batch inference folder (``resumes``, a ``partitions.PartitionedDataset``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

from resume_ner.errors import UserInputError

SUFFIXES = (".txt", ".pdf", ".docx")


class UnreadableResumeError(UserInputError, ValueError):
    """A resume file whose text cannot be read; the message says why."""


class ResumeFileDataset(AbstractDataset[str, str]):
    """The text of a resume file: UTF-8 text, a PDF's text layer (pypdf, page by page) or a Word document's
    paragraphs and table cells (python-docx). Read only."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> str:
        path = self._filepath
        suffix = path.suffix.lower()
        if suffix not in SUFFIXES:
            raise UnreadableResumeError(
                f"{path.name}: unsupported file type {suffix or '(none)'}; use .txt, .pdf or .docx"
            )
        try:
            if suffix == ".txt":
                return path.read_bytes().decode("utf-8")
            if suffix == ".pdf":
                return _pdf_text(path)
            return _docx_text(path)
        except UnreadableResumeError:
            raise
        except UnicodeDecodeError as error:
            raise UnreadableResumeError(f"{path.name}: not UTF-8 text (byte {error.start})") from None
        except Exception as error:  # pypdf and python-docx raise many kinds for a damaged file
            raise UnreadableResumeError(f"{path.name}: cannot read it as {suffix[1:].upper()} ({error})") from None

    def save(self, data: str) -> None:
        raise UserInputError(f"{self._filepath}: resume files are read, not written")

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}


def _pdf_text(path: Path) -> str:
    import logging

    from pypdf import PdfReader

    # pypdf logs what it repairs in a damaged file; the one-line reason above is what the batch reports.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(path)
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    if not text.strip():
        raise UnreadableResumeError(f"{path.name}: the PDF has no text layer (a scan needs OCR first)")
    return text


def _docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(lines)
