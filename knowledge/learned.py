"""The learned-phrasings overlay: questions staff taught the bot, kept beside the catalogue.

Why a separate file (`learned.jsonl` in the deployment's catalogue directory) and not edits of the
procedures: a re-import of the national catalogue rewrites `procedures.jsonl` wholesale, and what
staff taught must survive that and travel with a backup of the directory. One JSON object a line:

    {"question": "…", "procedure": "1.001193"}         a phrasing of that procedure
    {"question": "…", "faq": "mot-cua"}                a phrasing of that reform-FAQ entry
    {"question": "…", "out_of_scope": true}            the bot should decline questions like it

plus optional bookkeeping keys (`id`, `by`, `at`, `source`). The loader adds each phrasing to its
target (`Procedure.learned`, `FaqEntry.questions`) and collects out-of-scope examples in
`Catalogue.out_of_scope`; the index and the intent classifier read them from there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from knowledge import limits
from knowledge.atomic import write_lines_atomically
from knowledge.errors import LoadProblem
from knowledge.safe_read import iter_json_lines
from knowledge.schema import FaqEntry, Procedure

LEARNED_FILE = "learned.jsonl"
MAX_QUESTION = 500  # the question log keeps at most this much text
TARGET_KEYS = ("procedure", "faq", "out_of_scope")
BOOKKEEPING = ("id", "by", "at", "source")
IGNORED = ("group", "count", "suggestions", "examples", "question_id", "note")  # what `learn export` adds


@dataclass(frozen=True)
class Lesson:
    """One taught question. `kind` is procedure | faq | out_of_scope; `target` the code or slug."""

    question: str
    kind: str
    target: str = ""
    id: str = ""
    by: str = ""
    at: str = ""
    source: str = ""

    def line(self) -> dict:
        data: dict = {"question": self.question}
        data.update({"out_of_scope": True} if self.kind == "out_of_scope" else {self.kind: self.target})
        data.update({k: v for k, v in asdict(self).items() if k in BOOKKEEPING and v})
        return data


def lesson_id(question: str, kind: str, target: str) -> str:
    """A stable id for a lesson without one: the same teaching twice is the same lesson."""
    return "l" + hashlib.sha256(f"{kind}\x1f{target}\x1f{question}".encode()).hexdigest()[:10]


def parse_lesson(raw: object) -> tuple[Lesson | None, list[tuple[str, str]]]:
    """Validate one line; return the lesson or (field, message) problems naming what is wrong."""
    if not isinstance(raw, dict):
        return None, [("-", "a line must be a JSON object")]
    problems: list[tuple[str, str]] = []
    unknown = sorted(set(map(str, raw)) - {"question", *TARGET_KEYS, *BOOKKEEPING, *IGNORED})
    if unknown:
        problems.append((unknown[0], f"unknown key (expected question + one of {', '.join(TARGET_KEYS)})"))
    question = raw.get("question")
    if not isinstance(question, str) or not question.strip():
        problems.append(("question", "missing or empty"))
    elif len(question) > MAX_QUESTION:
        problems.append(("question", f"longer than {MAX_QUESTION} characters"))
    targets = [k for k in TARGET_KEYS if raw.get(k) not in (None, False, "")]
    if len(targets) != 1:
        problems.append(("-", "give exactly one of procedure, faq, out_of_scope" if targets else
                         "no target: add \"procedure\": CODE, \"faq\": SLUG or \"out_of_scope\": true"))
    elif targets[0] == "out_of_scope" and raw["out_of_scope"] is not True:
        problems.append(("out_of_scope", "must be true"))
    elif targets[0] != "out_of_scope" and not isinstance(raw[targets[0]], str):
        problems.append((targets[0], "must be a string"))
    if problems:
        return None, problems
    kind = targets[0]
    target = "" if kind == "out_of_scope" else str(raw[kind]).strip()
    text = " ".join(str(question).split())
    extra = {k: str(raw.get(k) or "")[:80] for k in BOOKKEEPING}
    return Lesson(question=text, kind=kind, target=target, **{**extra, "id": extra["id"] or lesson_id(text, kind, target)}), []


def read_lessons(path: Path) -> tuple[list[Lesson], list[LoadProblem]]:
    """Every valid lesson of a file, and a located problem for every bad line."""
    lessons: list[Lesson] = []
    problems: list[LoadProblem] = []
    if not path.exists():
        return lessons, problems
    for line in iter_json_lines(path):
        if line.problems:
            problems.extend(LoadProblem(str(path), line.line, ".".join(map(str, w)) or "-", m) for w, m in line.problems)
            continue
        lesson, found = parse_lesson(line.value)
        if lesson is None:
            problems.extend(LoadProblem(str(path), line.line, field, message) for field, message in found)
        else:
            lessons.append(lesson)
    return lessons, problems


def unknown_targets(lessons: Iterable[tuple[int | str, Lesson]], codes: set[str], topics: set[str],
                    source: str) -> list[LoadProblem]:
    """A problem for every lesson whose procedure code or FAQ slug the catalogue does not hold."""
    problems = []
    for row, lesson in lessons:
        if lesson.kind == "procedure" and lesson.target not in codes:
            problems.append(LoadProblem(source, row, "procedure", f"unknown procedure code {lesson.target!r}"))
        elif lesson.kind == "faq" and lesson.target not in topics:
            problems.append(LoadProblem(source, row, "faq", f"unknown FAQ topic {lesson.target!r}"))
    return problems


def apply_lessons(procedures: dict[str, Procedure], faq: dict[str, FaqEntry], lessons: list[Lesson],
                  source: str) -> tuple[list[str], list[LoadProblem]]:
    """Add each phrasing to its target in place; return out-of-scope examples and problems.

    The newest lessons win when a target has more than the schema allows (limits.MAX_ITEMS).
    """
    problems = unknown_targets(((i + 1, lesson) for i, lesson in enumerate(lessons)), set(procedures), set(faq), source)
    by_target: dict[tuple[str, str], list[str]] = {}
    out_of_scope: list[str] = []
    for lesson in lessons:
        if lesson.kind == "out_of_scope":
            out_of_scope.append(lesson.question)
        elif lesson.target in (procedures if lesson.kind == "procedure" else faq):
            by_target.setdefault((lesson.kind, lesson.target), []).append(lesson.question)
    for (kind, target), questions in by_target.items():
        if kind == "procedure":
            proc = procedures[target]
            learned = list(dict.fromkeys([*proc.learned, *questions]))[-limits.MAX_ITEMS:]
            procedures[target] = proc.model_copy(update={"learned": tuple(learned)})
        else:
            entry = faq[target]
            merged = list(dict.fromkeys([*entry.questions, *questions]))
            faq[target] = entry.model_copy(update={"questions": tuple(merged[-limits.MAX_ITEMS:])})
    return list(dict.fromkeys(out_of_scope))[-limits.MAX_ITEMS * 10:], problems


def write_lessons(path: Path, lessons: Iterable[Lesson]) -> None:
    """Write the overlay atomically (readers see the old file or the whole new one)."""
    write_lines_atomically(path, (json.dumps(lesson.line(), ensure_ascii=False) for lesson in lessons))
