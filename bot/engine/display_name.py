"""A procedure's display name: the short name a citizen recognises, and its qualifier apart.

Official names run to 150–1,000 characters ("Đăng ký biến động đối với trường hợp … ; … ; …"):
as a title or a button they bury the answer on a phone screen. The display name keeps the head of
the name (what is done) and moves the rest (for whom, in which case) to a qualifier that the answer
shows on a second line, shortened. Boilerplate that says nothing ("Thủ tục …", "(thực hiện tại cấp
xã)": the answer says where in words) is dropped.

Why not `knowledge.naming.short_name`: that one has another job. It cuts every name before its
first scoping clause, so that retrieval and the near-variant rule compare what names share: four
customs procedures ("Thủ tục hải quan đối với xăng dầu …", "… đối với khí, nguyên liệu …") all
become "Thủ tục hải quan" there. Shown to a citizen as choices, they would read alike. Here a name
that fits a phone line stays whole, and only a longer one is split (on the national catalogue the
two differ for 1,034 of 2,849 names). Both drop the same channel phrase
(`knowledge.naming.without_channel`).
"""

from __future__ import annotations

import re

from knowledge.naming import without_channel
from knowledge.textfit import ELLIPSIS, shorten

TITLE_LIMIT = 90  # one or two lines on a phone
QUALIFIER_LIMIT = 110
BUTTON_LIMIT = 60  # Telegram shows about this much of an inline button
MIN_HEAD = 12  # a head shorter than this ("Cấp", "Đăng ký") says too little alone

# "Thủ tục hải quan" is the customs procedure itself: there "thủ tục" is part of the name
_BOILERPLATE_HEAD = re.compile(r"^\s*thủ\s+tục\s+(?!hải quan|hành chính|điện tử|xuất|nhập|tố tụng)(?=\S)", re.IGNORECASE)
_LEVEL_TAIL = re.compile(
    r"\s*\((?:thực hiện |áp dụng )?(?:tại |ở )?(?:cấp|các cấp)\s+(?:xã|huyện|tỉnh|trung ương|bộ|xã, tỉnh)[^)]*\)\s*\.?\s*$",
    re.IGNORECASE,
)
# Where the head of a name ends and its qualifier begins, most telling first.
_SPLITS = (
    re.compile(r"\s*;\s*"),
    re.compile(r"(?<!không)(?<!chưa)\s+(?=(?:đối với|trong các trường hợp|trong trường hợp|trường hợp|thuộc thẩm quyền|theo quy định|theo đề nghị|"
               r"không thông qua|do|cho|của|tại|từ|thuộc|bao gồm|kể cả|mà)\s)", re.IGNORECASE),
    re.compile(r"\s*\(|\s*,\s+|\s+-\s+"),
)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def short_name(name: str, limit: int = TITLE_LIMIT) -> tuple[str, str]:
    """(short, qualifier): the head of `name` within `limit` characters, and what was moved out.

    The split is at the first boundary (";", then "đối với / trường hợp / của …", then a bracket or
    comma) that leaves a head of at least MIN_HEAD characters; a head still too long is cut at a
    word with "…". The qualifier is "" when nothing was moved out.
    """
    # "… thực hiện bằng dịch vụ công trực tuyến một phần": the answer states the service level
    text = without_channel(" ".join(name.split())).rstrip(" .")
    text = _LEVEL_TAIL.sub("", text).rstrip(" .")
    text = _capitalise(_BOILERPLATE_HEAD.sub("", text)) if len(_BOILERPLATE_HEAD.sub("", text)) >= MIN_HEAD else text
    if len(text) <= limit:
        return text, ""
    for pattern in _SPLITS:
        cut = next((m for m in pattern.finditer(text) if m.start() >= MIN_HEAD), None)
        if cut is None or cut.start() > limit:
            continue
        head, rest = text[: cut.start()].rstrip(" ,;:-"), text[cut.start():].strip(" ,;:-(")
        if rest.endswith(")") and rest.count(")") > rest.count("("):
            rest = rest[:-1]
        return head, _qualifier(rest)
    return shorten(text, limit, ELLIPSIS), ""  # no telling boundary: the full name is behind the link


def _qualifier(text: str) -> str:
    """`text` within QUALIFIER_LIMIT: by clauses when that keeps most of the room, else by words
    ("đối với đối tượng…" alone would say nothing)."""
    kept = shorten(text, QUALIFIER_LIMIT, ELLIPSIS)
    if len(kept) >= QUALIFIER_LIMIT * 0.6 or len(text) <= QUALIFIER_LIMIT:
        return kept
    words = text[: QUALIFIER_LIMIT - 1].rsplit(" ", 1)[0].rstrip(" ,;:-(")
    if words.count("(") > words.count(")"):
        words = words[: words.rfind("(")].rstrip(" ,;:-")
    return words + ELLIPSIS


def button_label(text: str, limit: int = BUTTON_LIMIT) -> str:
    """A label of at most `limit` characters, cut at a whole word and marked with "…"."""
    text = " ".join(text.split())
    return text if len(text) <= limit else shorten(text, limit, ELLIPSIS)
