"""Readers for untrusted catalogue files: every malformed input becomes a message, never a traceback.

Python's own readers fail in ways an administrator cannot act on: `json.loads` raises
RecursionError on deep nesting and ValueError on a 5,000-digit number, a stray Latin-1 byte
stops `read_text` with a byte offset into nothing, PyYAML happily expands a "billion laughs"
alias bomb. These helpers check sizes and nesting before parsing (limits in knowledge.limits),
keep over-long numbers as a marker instead of converting them, and return a list of
(path inside the value, message) so callers can name the row and field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge import limits

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class HugeNumber:
    """A number with more digits than any catalogue field needs, kept unconverted so it can be named."""

    digits: int


def quote(value: Any, width: int = 60) -> str:
    """A value shown in a message: repr (control characters escaped), cut to `width` characters."""
    text = repr(value)
    return text if len(text) <= width else f"{text[:width]}…' ({len(str(value)):,} characters)"


def _int(text: str) -> int | HugeNumber:
    digits = len(text.lstrip("-+"))
    return HugeNumber(digits) if digits > limits.MAX_NUMBER_DIGITS else int(text)


def _float(text: str) -> float | HugeNumber:
    digits = sum(ch.isdigit() for ch in text)
    return HugeNumber(digits) if digits > limits.MAX_NUMBER_DIGITS else float(text)


def size_problem(path: Path, limit: int) -> str | None:
    size = path.stat().st_size
    if size > limit:
        return f"file is {size / limits.MiB:,.1f} MiB, more than the limit of {limit / limits.MiB:,.0f} MiB"
    return None


def decode_message(data: bytes, exc: UnicodeDecodeError, base_offset: int = 0) -> str:
    line = data.count(b"\n", 0, exc.start) + 1
    return (f"not UTF-8 text: byte 0x{data[exc.start]:02x} at byte offset {base_offset + exc.start:,} "
            f"(line {line}); save the file as UTF-8")


# a JSON string, unrolled so a long string is one linear scan
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def too_deep(text: str, limit: int = limits.MAX_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than `limit`, found before json recurses."""
    depth = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > limit:
            return True
    return False


def parse_json(text: str) -> tuple[Any, str | None]:
    """(value, None) or (None, message): depth checked first, huge numbers kept as HugeNumber."""
    if too_deep(text):
        return None, f"nested deeper than {limits.MAX_DEPTH} levels"
    try:
        return json.loads(text.removeprefix("\ufeff"), parse_int=_int, parse_float=_float), None
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except (RecursionError, ValueError) as exc:  # belt and braces: both are bounded above
        return None, f"not valid JSON: {type(exc).__name__}"


# lone surrogates: bytes kept by the "surrogateescape" handler, or "\ud800"-style JSON escapes; either
# would fail later, when the catalogue is written as UTF-8 or a reply is sent
_SURROGATE = re.compile("[\ud800-\udfff]")
NOT_UNICODE = "not valid Unicode text (bytes that are not UTF-8, or an unpaired surrogate escape)"


def value_problems(value: Any, path: Path_ = ()) -> list[tuple[Path_, str]]:
    """Over-long numbers and text that cannot be written as UTF-8, anywhere in a parsed value."""
    found: list[tuple[Path_, str]] = []
    stack: list[tuple[Path_, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, HugeNumber):
            found.append((where, f"number with {item.digits:,} digits (limit {limits.MAX_NUMBER_DIGITS})"))
        elif isinstance(item, str):
            if _SURROGATE.search(item):
                found.append((where, NOT_UNICODE))
        elif isinstance(item, dict):
            for key, child in item.items():
                name = str(key)
                if isinstance(key, HugeNumber) or _SURROGATE.search(name) or len(name) > 100:
                    found.append(((*where, "?"), f"unusable key {quote(key, 40)}"))
                    continue
                stack.append(((*where, name), child))
        elif isinstance(item, list | tuple):
            stack.extend(((*where, index), child) for index, child in enumerate(item))
    return sorted(found, key=lambda f: [str(p) for p in f[0]])


@dataclass
class JsonLine:
    """One non-blank JSONL line: its number, the value (None when unusable) and what is wrong."""

    line: int
    value: Any
    problems: list[tuple[Path_, str]]


def iter_json_lines(path: Path) -> Iterator[JsonLine]:
    """Parse a JSONL file line by line in bounded memory; a bad line never stops the rest.

    A file-level problem (too big, too many rows) comes as a JsonLine with path ("-",).
    """
    if problem := size_problem(path, limits.MAX_JSONL_BYTES):
        yield JsonLine(0, None, [(("-",), problem)])
        return
    rows = offset = line_no = 0
    with path.open("rb") as handle:
        while raw := handle.readline(limits.MAX_LINE_BYTES + 1):
            line_no += 1
            start, offset = offset, offset + len(raw)
            if len(raw) > limits.MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest of the line, chunk by chunk
                    raw = handle.readline(limits.MAX_LINE_BYTES)
                    offset += len(raw)
                yield JsonLine(line_no, None, [(("-",), f"line longer than {limits.MAX_LINE_BYTES:,} bytes")])
                continue
            if not raw.strip():
                continue
            rows += 1
            if rows > limits.MAX_ROWS:
                yield JsonLine(line_no, None, [(("-",), f"more than {limits.MAX_ROWS:,} records; the rest is not read")])
                return
            yield _json_line(raw, line_no, start)


def _json_line(raw: bytes, line_no: int, start: int) -> JsonLine:
    bad_bytes = None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = raw.decode("utf-8", "surrogateescape")
        bad_bytes = decode_message(raw, exc, start).replace("(line 1)", f"(line {line_no})")
    value, error = parse_json(text)
    if error:
        return JsonLine(line_no, None, [(("-",), bad_bytes or error)])
    problems = value_problems(value)
    if bad_bytes:
        problems = [(p, bad_bytes if m == NOT_UNICODE else m) for p, m in problems] or [(("-",), bad_bytes)]
    return JsonLine(line_no, None if problems else value, problems)


def read_text(path: Path, limit: int) -> tuple[str | None, str | None]:
    """(text, None) or (None, message) for a whole file that must be UTF-8 and at most `limit` bytes."""
    if problem := size_problem(path, limit):
        return None, problem
    data = path.read_bytes()
    try:
        return data.decode("utf-8").removeprefix("\ufeff"), None
    except UnicodeDecodeError as exc:
        return None, decode_message(data, exc)


def read_json(path: Path) -> tuple[Any, list[tuple[Path_, str]]]:
    """A whole JSON document; problems with paths ("-",) for the file, else paths inside the value."""
    text, error = read_text(path, limits.MAX_JSON_BYTES)
    if text is None:
        return None, [(("-",), error or "")]
    value, error = parse_json(text)
    if error:
        return None, [(("-",), error)]
    return value, value_problems(value)


_FAST_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_bundled_yaml(text: str) -> Any:
    """One of the project's own data files (lexicon, cues, templates): trusted, so read without
    limits, with libyaml's safe loader when PyYAML has it. The pure-Python loader took 140 ms of
    every start for the lexicon alone; libyaml takes 12 ms and builds the same values."""
    return yaml.load(text, Loader=_FAST_SAFE_LOADER)


def read_bundled_yaml(package: str, name: str) -> Any:
    """`<package>/data/<name>`, one of the project's own data files, parsed (`parse_bundled_yaml`);
    an empty file reads as an empty mapping."""
    from importlib import resources

    return parse_bundled_yaml((resources.files(package) / "data" / name).read_text(encoding="utf-8")) or {}


class _Loader(_FAST_SAFE_LOADER):  # type: ignore[misc]
    """The safe loader, with over-long integers kept as HugeNumber instead of int() raising."""


def _yaml_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | HugeNumber:
    digits = sum(ch.isdigit() for ch in node.value)
    if digits > limits.MAX_NUMBER_DIGITS:
        return HugeNumber(digits)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_Loader.add_constructor("tag:yaml.org,2002:int", _yaml_int)


def _yaml_shape_problem(text: str) -> str | None:
    """Nesting depth and size after alias expansion, from the event stream (no tree is built)."""
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = []  # [anchor, expanded node count]
    root = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append([event.anchor, 1])
            if len(stack) > limits.MAX_DEPTH:
                return f"nested deeper than {limits.MAX_DEPTH} levels (line {event.start_mark.line + 1})"
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, size = stack.pop()
        elif isinstance(event, yaml.ScalarEvent):
            anchor, size = event.anchor, 1
        elif isinstance(event, yaml.AliasEvent):
            anchor, size = None, sizes.get(event.anchor, 1)
        else:
            continue
        if anchor:
            sizes[anchor] = size
        if stack:
            stack[-1][1] += size
        else:
            root += size
        if max(root, stack[-1][1] if stack else 0) > limits.MAX_YAML_NODES:
            return (f"more than {limits.MAX_YAML_NODES:,} values once aliases (*name) are expanded "
                    f"(line {event.start_mark.line + 1})")
    return None


def read_yaml(path: Path) -> tuple[Any, list[tuple[Path_, str]]]:
    """A whole YAML document, refused before loading when too big, too deep or an alias bomb."""
    text, error = read_text(path, limits.MAX_YAML_BYTES)
    if text is None:
        return None, [(("-",), error or "")]
    try:
        error = _yaml_shape_problem(text)
        if error:
            return None, [(("-",), error)]
        value = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        return None, [(("-",), f"cannot parse YAML: {' '.join(str(exc).split())[:300]}")]
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:
        return None, [(("-",), f"cannot parse YAML: {type(exc).__name__}: {str(exc)[:200]}")]
    return value, value_problems(value)
