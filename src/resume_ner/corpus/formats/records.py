"""What every format reader returns: raw records with their location, before validation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from resume_ner.corpus.problems import ProblemCollector


@dataclass(frozen=True)
class RawRecord:
    """A record as read from a file: ``data`` should be ``{"id"?, "text", "annotations"}`` but is not trusted yet.

    ``where`` says how to find it in ``file`` (``record 12``, ``line 40``, ``member cvs/7.xml``). ``fields`` maps
    a field of that schema to the name the file itself gives it (doccano's ``label`` is our ``annotations``), so
    that messages name what the user sees in the file.
    """

    file: str
    where: str
    data: Any
    fields: Mapping[str, str] = field(default_factory=dict)

    def field_name(self, name: str) -> str:
        """The file's own name for the schema field ``name``."""
        return self.fields.get(name, name)


def decode_utf8(raw: bytes, collector: ProblemCollector, file: str, where: str) -> str | None:
    """Decode UTF-8 (a BOM is allowed); on failure report the line and byte and return None."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        collector.add(
            where,
            "undecodable-text",
            f"bytes are not UTF-8 at line {line}, byte {error.start} ({error.reason}); re-save the file as UTF-8",
            file=file,
        )
        return None
