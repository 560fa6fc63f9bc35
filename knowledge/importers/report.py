"""What an import produced, what it could not use, and whether that counts as a failure.

The report, not the command line, decides success: any problem (a bad row, an unreadable or
unrecognised file, a code given twice in one file) fails `catalogue import` and `catalogue validate`
with exit status 1, so nothing a source holds is lost silently. Warnings (the same code in two
files, where the later file wins as in the loader) are shown but do not fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.errors import LoadProblem
from knowledge.schema import FaqEntry, Procedure


@dataclass
class ImportReport:
    """Procedures and FAQ entries read from sources, with every problem located by file, row, field."""

    procedures: list[Procedure] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    warnings: list[LoadProblem] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)  # hidden files (".name") only
    faq: list[FaqEntry] = field(default_factory=list)
    complete: int = 0
    partial: int = 0
    partial_examples: list[str] = field(default_factory=list)
    origins: dict[str, tuple[str, int | str]] = field(default_factory=dict)  # code → (file, row) it came from

    def add(self, proc: Procedure, file: str, row: int | str, field: str = "code") -> None:
        """Add one record; a code already read from the same file is an error naming both rows.

        `field` is the code's column as the source names it (ma_thu_tuc, Mã số).
        """
        before = self.origins.get(proc.code)
        if before is not None and before[0] == file:
            self.problems.append(LoadProblem(file, row, field, f"duplicate code {proc.code}: also at row {before[1]} "
                                                                f"of this file; the later row is kept"))
            self.procedures = [p for p in self.procedures if p.code != proc.code]
        self.procedures.append(proc)
        self.origins[proc.code] = (file, row)

    def merge(self, other: ImportReport) -> None:
        self.procedures.extend(other.procedures)
        self.problems.extend(other.problems)
        self.warnings.extend(other.warnings)
        self.skipped_files.extend(other.skipped_files)
        self.faq.extend(other.faq)
        self.complete += other.complete
        self.partial += other.partial
        self.partial_examples.extend(other.partial_examples[: max(0, 10 - len(self.partial_examples))])
        self.origins.update(other.origins)

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    @property
    def exit_code(self) -> int:
        """0 when every row of every file was usable, else 1 (2 is kept for "no such path")."""
        return 1 if self.failed else 0

    def lines(self, limit: int = 200) -> list[str]:
        """Problems, then warnings, one line each, at most `limit` of each (the count of the rest after)."""
        out: list[str] = []
        for label, items in (("lỗi", self.problems), ("cảnh báo", self.warnings)):
            out.extend(f"{label}: {item}" for item in items[:limit])
            if len(items) > limit:
                out.append(f"… và {len(items) - limit} {label} khác")
        return out

    def summary(self) -> str:
        return (f"{len(self.procedures)} thủ tục, {len(self.faq)} FAQ hợp lệ; "
                f"{len(self.problems)} lỗi, {len(self.warnings)} cảnh báo.")
