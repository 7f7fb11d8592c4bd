"""Problems found in a corpus, collected before failing so that one run shows the user all of them."""

from __future__ import annotations

from dataclasses import dataclass

from resume_ner.errors import UserInputError


@dataclass(frozen=True)
class Problem:
    """One fault: where it is (file, record, span) and which rule it breaks."""

    file: str
    record: str
    rule: str
    detail: str
    span: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}: {self.record}"
        if self.span is not None:
            where += f", span {self.span}"
        return f"{where}: {self.detail} [{self.rule}]"


class CorpusValidationError(UserInputError, ValueError):
    """Raised once per corpus, listing every problem found (up to a limit)."""

    def __init__(self, source: str, problems: list[Problem], total: int, hint: str) -> None:
        self.source = source
        self.problems = problems
        self.total = total
        shown = f"showing the first {len(problems)}" if total > len(problems) else "all listed"
        lines = [f"Corpus {source} is not valid: {total} problem(s), {shown}. {hint}"]
        lines += [f"  - {problem}" for problem in problems]
        if total > len(problems):
            lines.append(f"  ... and {total - len(problems)} more")
        super().__init__("\n".join(lines))


class EmptyCorpusError(UserInputError, ValueError):
    """A corpus that reads cleanly but holds no documents, or no entity spans: there is nothing to learn from it.

    One line, raised at load, so that a wrong file or format stops the run before anything is written.
    """


class ProblemCollector:
    """Keeps the first ``limit`` problems and counts the rest."""

    def __init__(self, source: str, limit: int = 50) -> None:
        if limit < 1:
            raise ValueError(f"max_problems must be at least 1, got {limit}")
        self.source = source
        self.limit = limit
        self.problems: list[Problem] = []
        self.total = 0

    def add(self, record: str, rule: str, detail: str, span: str | None = None, file: str | None = None) -> None:
        self.total += 1
        if len(self.problems) < self.limit:
            self.problems.append(Problem(file or self.source, record, rule, detail, span))

    def raise_if_any(self, hint: str) -> None:
        if self.total:
            raise CorpusValidationError(self.source, self.problems, self.total, hint)
