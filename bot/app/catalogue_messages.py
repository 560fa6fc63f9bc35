"""Catalogue validation problems as the administrator reads them: Vietnamese, by file, row and field.

The importers (knowledge/) locate every problem precisely but word it in English, for the command
line and the logs, and name files by their path on the server. The admin page shows instead the
name the administrator uploaded, "dòng N", "trường «x»" and a Vietnamese sentence: the known
messages are translated by pattern; one we do not know yet keeps its English detail after a
Vietnamese lead, so nothing is lost. Any absolute path left in a message is cut to its file name:
the page never shows where the server keeps its files.
"""

from __future__ import annotations

import re
from pathlib import Path

from knowledge.errors import LoadProblem

_KINDS = {"string": "văn bản", "list": "danh sách", "integer": "số nguyên", "dictionary": "một mục có các trường",
          "boolean": "đúng/sai", "number": "số", "object": "đối tượng"}

# (pattern over the English message, Vietnamese with the pattern's groups)
_MESSAGES: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(p, re.S), v) for p, v in (
    (r"Field required", "thiếu giá trị bắt buộc"),
    (r"String should match pattern '\^\\d\+\\\.\\d\{6\}\$'", "mã thủ tục sai định dạng (cần dạng 1.000123)"),
    (r"String should match pattern .*", "giá trị sai định dạng"),
    (r"String should have at least (\d+) characters?", r"quá ngắn (cần ít nhất \1 ký tự)"),
    (r"String should have at most (\d+) characters?", r"quá dài (tối đa \1 ký tự)"),
    (r"List should have at least (\d+) items?.*", r"danh sách cần ít nhất \1 mục"),
    (r"List should have at most (\d+) items?.*", r"danh sách có quá \1 mục"),
    (r"Input should be a valid (\w+).*", "KIND"),
    (r"Input should be (.+)", r"giá trị phải là \1"),
    (r"Extra inputs are not permitted", "trường này không được phép"),
    (r"Value error, (.*)", r"giá trị không hợp lệ: \1"),
    (r"a record must be a mapping", "mỗi bản ghi phải là một mục có các trường"),
    (r"a line must be a JSON object", "mỗi dòng phải là một đối tượng JSON"),
    (r"not valid JSON: .*?\(line (\d+), column (\d+)\)", r"không phải JSON hợp lệ (dòng \1, cột \2)"),
    (r"not valid JSON: .*", "không phải JSON hợp lệ"),
    (r"not UTF-8 text: .*", "không phải văn bản UTF-8 (có byte không đọc được)"),
    (r"not valid Unicode text.*", "không phải văn bản Unicode hợp lệ"),
    (r"file is ([\d.,]+) MiB, more than the limit of ([\d.,]+) MiB", r"tệp \1 MB, vượt giới hạn \2 MB"),
    (r"nested deeper than (\d+) levels.*", r"lồng sâu quá \1 cấp"),
    (r"line longer than ([\d,]+) bytes", r"dòng dài quá \1 byte"),
    (r"number with ([\d,]+) digits \(limit (\d+)\)", r"số có \1 chữ số (tối đa \2)"),
    (r"unusable key (.*)", r"khóa không dùng được: \1"),
    (r"more than ([\d,]+) (?:records|rows|values).*", r"quá \1 bản ghi; phần còn lại không được đọc"),
    (r"cannot parse YAML: .*", "không đọc được YAML (sai cú pháp)"),
    (r"top level must be a mapping.*", "cấp ngoài cùng phải có khóa 'procedures' và/hoặc 'faq'"),
    (r"unknown top-level key.*", "khóa cấp ngoài cùng không được biết (chỉ nhận 'procedures', 'faq')"),
    (r"'(\w+)' must be a list", r"'\1' phải là một danh sách"),
    (r"unknown kind (.*)", r"loại bản ghi không được biết: \1"),
    (r"duplicate code (\S+): also at row (\S+) .*", r"trùng mã \1: cũng có ở dòng \2 của tệp này; giữ dòng sau"),
    (r"duplicate topic (\S+): also at row (\S+) .*", r"trùng chủ đề \1: cũng có ở dòng \2 của tệp này; giữ dòng sau"),
    (r"code (\S+) also at (.+) row (\S+); this later one is kept", r"mã \1 cũng có ở tệp \2 dòng \3; giữ bản sau"),
    (r"unrecognised JSONL.*", "không nhận ra định dạng JSONL (không phải dữ liệu CSDL quốc gia, cũng không phải định dạng của dự án)"),
    (r"unrecognised JSON.*", "không nhận ra định dạng JSON (không phải bản xuất có cấu trúc, cũng không phải định dạng của dự án)"),
    (r"unrecognised file type '(.*?)'.*", r"loại tệp '\1' không được hỗ trợ"),
    (r"no files to import", "không có tệp nào để nhập"),
    (r"cannot read workbook.*", "không đọc được tệp Excel"),
    (r"cannot read sheet.*", "không đọc được trang tính"),
    (r"the workbook has no sheet", "tệp Excel không có trang tính nào"),
    (r"missing procedure code.*", "thiếu mã thủ tục"),
    (r"missing procedure name.*", "thiếu tên thủ tục"),
    (r"not a national procedure code: (.*)", r"không phải mã thủ tục quốc gia: \1"),
    (r"header row .* not found in the first (\d+) rows", r"không tìm thấy dòng tiêu đề (Mã số, Tên, …) trong \1 dòng đầu"),
    (r"not a structured export: .*", "không phải bản xuất có cấu trúc: 'metadata' phải là một đối tượng"),
    (r"expected text, got (\w+): (.*)", r"cần văn bản, nhận được \1: \2"),
    (r"expected text", "cần văn bản"),
    (r"expected an object, got (\w+)", r"cần một đối tượng, nhận được \1"),
    (r"expected a list of objects", "cần một danh sách các đối tượng"),
))
_ABSOLUTE = re.compile(r"(?:[A-Za-z]:)?[\\/](?:[^\s'\"\\/:]+[\\/])+([^\s'\"\\/:]+)")


def strip_paths(text: str, names: dict[str, str] | None = None) -> str:
    """`text` with the given paths replaced by their display names, then any other absolute path by its last part."""
    for path, name in sorted((names or {}).items(), key=lambda item: -len(item[0])):
        text = text.replace(path, name)
    return _ABSOLUTE.sub(r"\1", text)


def translate(message: str) -> str:
    for pattern, vietnamese in _MESSAGES:
        match = pattern.fullmatch(message.strip())
        if match is None:
            continue
        if vietnamese == "KIND":
            return f"phải là {_KINDS.get(match.group(1), match.group(1))}"
        return match.expand(vietnamese)
    return f"giá trị không hợp lệ ({message})"


def describe(problem: LoadProblem, names: dict[str, str]) -> str:
    """One problem as a Vietnamese line: «tệp», dòng, trường, vấn đề; `names` maps server paths to display names."""
    file = names.get(problem.file) or Path(str(problem.file)).name
    row = "toàn tệp" if problem.row in (0, "0", "") else f"dòng {problem.row}"
    field = "" if problem.field in ("-", "", ".") else f", trường «{problem.field}»"
    return strip_paths(f"Tệp «{file}», {row}{field}: {translate(problem.message)}", names)
