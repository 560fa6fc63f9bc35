"""The first message about a procedure: the asked aspect within a phone-screen budget, then choices.

A citizen reads the answer in a chat bubble. One message of at most FIRST_MESSAGE characters says
what was asked (the sub-question first: tax, authorisation, obligation), where to go in words, and
one link; the other aspects are offered as choices (buttons on Telegram, numbered lines on Zalo and
in the terminal) whose payloads ("aspect:documents") bring the same procedure back with that aspect.
Lines are kept whole: a list that does not fit ends with "… và N giấy tờ khác", never mid-word.

English answers say every label in English and mark what we only have in Vietnamese as such.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.engine import asked, replies
from bot.engine.display_name import short_name
from knowledge.schema import ChannelKind, OnlineLevel, Procedure
from knowledge.textfit import ELLIPSIS, shorten

FIRST_MESSAGE = 500  # characters of text: with the choices below it, what a phone shows without scrolling far
MIN_LIST_ROOM = 240  # below this a document or step list is not worth starting
ITEM_LIMIT = 140
AGENCY_LIMIT = 90
LIST = "\x00list"  # where a document or step list goes among the lines
CHOICE_ASPECTS = ("documents", "steps", "fee", "online")
LEVEL_WORDS = {"cấp xã", "cấp huyện", "cấp tỉnh", "cấp bộ", "trung ương", "tỉnh", "huyện", "xã", "phường", "bộ",
               "province", "provincial", "commune", "ward", "ministry", "district"}
_LINK = re.compile(r"https?://\S+|www\.\S+")
_VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE)


@dataclass(frozen=True)
class Composed:
    """The message text and the follow-up choices as (label, payload)."""

    text: str
    choices: tuple[tuple[str, str], ...]


def is_vietnamese(text: str) -> bool:
    """Has Vietnamese letters beyond the currency word every amount carries."""
    return bool(_VIETNAMESE.search(text.replace("đồng", "")))


def title_lines(lang: str, proc: Procedure) -> tuple[str, str]:
    """(title, qualifier) for the answer's first two lines."""
    if lang == "en" and proc.name_en:
        return short_name(proc.name_en)
    short, qualifier = short_name(proc.name)
    return short + replies.t(lang, "vietnamese_name"), qualifier


def display_title(lang: str, proc: Procedure) -> str:
    """The short name alone, for choices and buttons."""
    return short_name(proc.name_en if lang == "en" and proc.name_en else proc.name)[0]


def _agency(proc: Procedure) -> str:
    agency = " ".join(proc.agency.split()).rstrip(" .;,").replace("Ủy ban nhân dân", "UBND").replace("Uỷ ban nhân dân", "UBND")
    return shorten(agency, AGENCY_LIMIT, ELLIPSIS) if agency else ""


def _level(lang: str, proc: Procedure) -> str:
    names = replies.LEVEL_NAMES.get(lang, replies.LEVEL_NAMES["vi"])
    return names.get(proc.levels[0], proc.levels[0]) if proc.levels else ""


def where_lines(lang: str, proc: Procedure, variants: list[Procedure], all_levels: bool) -> list[str]:
    """Where this citizen goes, in words; other levels only when they matter (asked about, or the
    same procedure is handled elsewhere for some cases)."""
    agency, level = _agency(proc), _level(lang, proc)
    if agency:
        lines = [replies.t(lang, "where", agency=agency, level=level or "-")]
    elif level:
        lines = [replies.t(lang, "where_level", level=level)]
    else:
        lines = []
    seen = {level}
    for other in variants[1:] if all_levels or len(variants) > 1 else ():
        other_level = _level(lang, other)
        if other_level in seen or not (agency_other := _agency(other) or other_level):
            continue
        seen.add(other_level)
        lines.append(replies.t(lang, "other_level", level=other_level, agency=agency_other))
        if len(lines) >= 3:
            break
    return lines


def online_line(lang: str, proc: Procedure) -> str:
    if proc.online.level == OnlineLevel.FULL:
        return replies.t(lang, "online_full")
    if proc.online.level == OnlineLevel.PARTIAL:
        return replies.t(lang, "online_partial")
    post = replies.t(lang, "post_too") if proc.channel(ChannelKind.POST) else ""
    return replies.t(lang, "online_none", post=post)


def fee_line(lang: str, proc: Procedure, today: dt.date | None) -> str:
    fees = replies.fee_text(lang, proc, today)
    return replies.t(lang, "fee", fees=fees, vi=replies.t(lang, "in_vietnamese") if is_vietnamese(fees) else "")


def time_line(lang: str, proc: Procedure, today: dt.date | None) -> str:
    times = replies.time_text(lang, proc, today)
    return replies.t(lang, "time", times=times, vi=replies.t(lang, "in_vietnamese") if is_vietnamese(times) else "")


def _list(lang: str, header: str, items: list[str], more_key: str, room: int, numbered: bool) -> list[str]:
    """A header and as many whole items as fit in `room`, then how many were left out."""
    lines, used = [replies.t(lang, header)], 0
    used = len(lines[0]) + 1
    for i, item in enumerate(items):
        marker = f"{i + 1}. " if numbered else "• "
        line = marker + clip(item, ITEM_LIMIT)
        rest = len(items) - i - 1
        reserve = len(replies.t(lang, more_key, n=rest)) + 1 if rest else 0
        if used + len(line) + 1 + reserve > room and i > 0:
            lines.append(replies.t(lang, more_key, n=len(items) - i))
            return lines
        lines.append(line)
        used += len(line) + 1
    return lines


def clip(text: str, limit: int) -> str:
    """`text` shortened at whole words, never inside a link: a cut link cannot be opened."""
    kept = shorten(text, limit, ELLIPSIS)
    for link in _LINK.finditer(text):
        if link.start() < len(kept.rstrip(ELLIPSIS)) < link.end():
            return shorten(text[: link.start()].rstrip(" :"), limit, ELLIPSIS).rstrip(ELLIPSIS) + ELLIPSIS
    return kept


def _step_text(step: str) -> str:
    return re.sub(r"^\s*bước\s*\d+\s*[:.)-]?\s*", "", step, flags=re.IGNORECASE) or step


def compose(lang: str, aspect: str, proc: Procedure, variants: list[Procedure], question: str = "",
            today: dt.date | None = None, budget: int = FIRST_MESSAGE) -> Composed:
    """The first message for `aspect` of `proc` (variants: the same procedure at other levels)."""
    title, qualifier = title_lines(lang, proc)
    folded_question = f" {question.lower()} "
    all_levels = aspect == "place" or any(f" {w} " in folded_question or f" {w}?" in folded_question for w in LEVEL_WORDS)
    where = where_lines(lang, proc, variants, all_levels)
    sub = asked.sub_question(question) if question else None
    # (text, drop rank): rank None is kept; otherwise the highest rank goes first when over budget
    lines: list[tuple[str, int | None]] = [(f"📄 {title}", None), (qualifier, 6)] if qualifier else [(f"📄 {title}", None)]
    if sub is not None:
        lines.append((asked.answer(sub, proc, lambda key, **kw: replies.t(lang, key, **kw)), None))
    listing: Callable[[int], list[str]] | None = None
    if aspect == "documents":
        docs = [d.name for d in proc.documents if re.search(r"\w", d.name)]
        listing = (lambda room: _list(lang, "documents", docs, "more_documents", room, False)) if docs else None
        lines += [(LIST, None)] if docs else [(replies.t(lang, "no_documents"), None)]
        lines += [(w, 3 + i) for i, w in enumerate(where)] + [(online_line(lang, proc), 5)]
    elif aspect == "steps":
        steps = [_step_text(s) for s in proc.steps if re.search(r"\w", _step_text(s))]
        listing = (lambda room: _list(lang, "steps", steps, "more_steps", room, True)) if steps else None
        lines += [(LIST, None)] if steps else [(replies.t(lang, "no_steps"), None)]
        lines += [(w, 3 + i) for i, w in enumerate(where)] + [(online_line(lang, proc), 5)]
    elif aspect in ("fee", "time"):
        first, second = (fee_line, time_line) if aspect == "fee" else (time_line, fee_line)
        lines += [(first(lang, proc, today), None), (second(lang, proc, today), 3)]
        lines += [(w, 4 + i) for i, w in enumerate(where)] + [(online_line(lang, proc), 2)]
    elif aspect == "place":
        lines += [(w, None if i == 0 else 3 + i) for i, w in enumerate(where)] + [(online_line(lang, proc), 2)]
    elif aspect == "online":
        lines += [(online_line(lang, proc), None)] + [(w, 3 + i) for i, w in enumerate(where)]
    elif aspect == "eligibility":
        if not (sub is not None and sub.kind == "required" and proc.applicants):  # else said in its answer
            lines.append((replies.t(lang, "eligibility", applicants=shorten(proc.applicants, 200, ELLIPSIS))
                          if proc.applicants else replies.t(lang, "no_eligibility"), None))
        if proc.conditions:
            lines.append((replies.t(lang, "conditions", conditions=shorten(proc.conditions, 220, ELLIPSIS)), 3))
        lines += [(w, 4 + i) for i, w in enumerate(where)]
    else:  # general: what, where, how long, fee, online level
        if proc.summary and lang == "vi":
            lines.append((shorten(proc.summary, 130, ELLIPSIS), 5))
        lines += [(w, None if i == 0 else 6 + i) for i, w in enumerate(where)]
        lines += [(time_line(lang, proc, today), 2), (fee_line(lang, proc, today), 2), (online_line(lang, proc), 3)]
    tail = [replies.t(lang, "source", code=proc.code), replies.url_of(proc)]
    text = _fit(lines, listing, tail, budget)
    choices = tuple((replies.t(lang, f"choice_{a}"), f"aspect:{a}") for a in CHOICE_ASPECTS
                    if a != aspect and (a != "documents" or proc.documents) and (a != "steps" or proc.steps))
    return Composed(text=text, choices=choices)


def _fit(lines: list[tuple[str, int | None]], listing: Callable[[int], list[str]] | None, tail: list[str],
         budget: int) -> str:
    """Drop optional lines (highest rank first) until the rest and a useful list fit in `budget`;
    the list goes where LIST stands and gets the room that is left."""
    lines = [(text, rank) for text, rank in lines if text]

    def size(kept: list[tuple[str, int | None]]) -> int:
        return sum(len(text) + 1 for text, _ in kept if text != LIST) + sum(len(t) + 1 for t in tail)

    want = MIN_LIST_ROOM if listing else 0
    while size(lines) + want > budget and any(rank is not None for _, rank in lines):
        worst = max(rank for _, rank in lines if rank is not None)
        lines.pop(next(i for i, (_, rank) in enumerate(lines) if rank == worst))
    head: list[str] = []
    for text, _ in lines:
        if text == LIST:
            head.extend(listing(max(budget - size(lines), MIN_LIST_ROOM // 2)) if listing else [])
        else:
            head.append(text)
    head = [re.sub(r"\.+…", "…", line).replace("….", "…").replace("…”.", "…”") for line in head]
    text = "\n".join([*head, *tail])
    while len(text) > budget and len(head) > 1:  # required lines alone too long: shorten the longest
        longest = max(range(1, len(head)), key=lambda i: len(head[i]))
        if len(head[longest]) <= 60:
            break
        head[longest] = shorten(head[longest], max(60, len(head[longest]) - (len(text) - budget)), ELLIPSIS)
        text = "\n".join([*head, *tail])
    return text
