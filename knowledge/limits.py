"""Size limits for catalogue sources and records, in one place.

Catalogue files come from administrators and from uploads in the staff web page, so a file can be
broken or hostile: a 300 KB summary once became 77 Telegram messages, a 100k-deep JSON array or a
5,000-digit number used to end in a traceback. Every reader checks these limits *before* the costly
step (decoding, parsing, validating), so a bad file is refused in bounded time and memory and named
with file, row and field.

The values leave ample room above the national data (largest crawl line 92 KB, 2,642 rows per
file, longest procedure name 1,094 characters, at most 111 documents per procedure).
"""

from __future__ import annotations

MiB = 1024 * 1024

# whole files
MAX_JSONL_BYTES = 512 * MiB  # read line by line, so memory is bounded by MAX_LINE_BYTES, not by this
MAX_JSON_BYTES = 32 * MiB  # one document, held in memory while parsed
MAX_YAML_BYTES = 8 * MiB  # PyYAML is slow (about 1-5 MB/s): 8 MB stays within seconds
MAX_XLSX_BYTES = 32 * MiB  # the zip as stored
MAX_XLSX_UNZIPPED_BYTES = 256 * MiB  # sum of the zip members: a zip bomb is refused before opening

MAX_UPLOAD_BYTES = 64 * MiB  # a file sent through the staff web page, whatever its format


def max_source_bytes(suffix: str) -> int:
    """The size limit for a source file of this type (".yaml", ".xlsx"…); uploads use upload_limit."""
    return {".jsonl": MAX_JSONL_BYTES, ".json": MAX_JSON_BYTES, ".yaml": MAX_YAML_BYTES,
            ".yml": MAX_YAML_BYTES, ".xlsx": MAX_XLSX_BYTES}.get(suffix.lower(), MAX_JSON_BYTES)


def upload_limit(suffix: str) -> int:
    return min(MAX_UPLOAD_BYTES, max_source_bytes(suffix))


# rows and structure
MAX_LINE_BYTES = 1 * MiB  # one JSONL record
MAX_ROWS = 200_000  # records per file (JSONL lines, YAML/JSON list items, sheet rows)
MAX_XLSX_COLUMNS = 100  # only this many columns are read from a sheet
MAX_DEPTH = 64  # nesting of lists/mappings; the project format needs 5
MAX_YAML_NODES = 2_000_000  # nodes after expanding YAML aliases ("billion laughs" guard)
MAX_NUMBER_DIGITS = 30  # digits in one JSON/YAML number; amounts in đồng need 13
FORMAT_SAMPLE_LINES = 50  # non-blank JSONL lines looked at to tell the crawl from the project format

# fields of a record (enforced by knowledge.schema)
MAX_NAME = 1_500  # procedure name, document name, titles
MAX_SHORT = 500  # codes, slugs, units, field (lĩnh vực), levels, aliases
MAX_URL = 2_000
MAX_SUMMARY = 3_000  # one Telegram message (4,096) with room for a heading
MAX_TEXT = 20_000  # free text: agency, applicants, result, conditions, steps, FAQ answers, raw source text
MAX_ITEMS = 300  # documents, steps, channels, legal references, aliases, questions per record
MAX_COUNT = 1_000  # copies of a document
MAX_AMOUNT_VND = 10**13  # a fee above ten thousand billion đồng is a typo
