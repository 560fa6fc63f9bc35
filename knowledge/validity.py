"""Dated rules in fee and time notes, applied against the day a citizen asks.

Fee notes carry rules with dates: "70.000 đồng/thẻ; từ 01/7/2025 đến hết 31/12/2026 thu 50%",
"nộp trực tuyến từ 01/12/2023 đến hết 31/12/2025 áp dụng mức 115.000 đồng/lần". Quoted as text,
such a note is right on one day and wrong a year later. The importers read each dated clause once
into a `DatedRule` (dates, amount or share of the base amount); the answer then shows what applies
today, leaves out what has run out, and says when a change comes within `HORIZON_DAYS`. Clauses
without a date we can read stay plain text: a rule we are unsure of is never dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from knowledge.schema import Channel, DatedRule, Procedure
from knowledge.textfit import normalise, top_level_cuts

HORIZON_DAYS = 30  # a change this close is worth a sentence in the answer
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

_D = r"(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})"
_DW = r"(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})"
_DATE = rf"(?:{_D}|{_DW})"
_ANY_DATE = re.compile(_DATE)
_DAY = r"(?:ngày\s+)?"
_RANGE = re.compile(rf"(?:kể\s+)?từ\s+{_DAY}{_DATE}\s*,?\s*(?:đến|tới)\s+(hết\s+)?{_DAY}{_DATE}", re.IGNORECASE)
_UNTIL = re.compile(rf"(?:(?:đến|tới)\s+(hết\s+)?|(trước)\s+){_DAY}{_DATE}", re.IGNORECASE)
_FROM = re.compile(rf"(?:kể\s+)?từ\s+{_DAY}{_DATE}", re.IGNORECASE)
_AMOUNT = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,]\d{3})+|\d+)\s*(?:đồng|đ|VNĐ|VND)(?!\w)", re.IGNORECASE)
_PERCENT = re.compile(r"(giảm\s+(?:còn\s+)?)?(\d{1,3}(?:[.,]\d+)?)\s*%", re.IGNORECASE)
# top-level pieces of a note: sentences, ";"-clauses and "- …" / "+ …" bullets
_PIECE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|;\s*|\s+[-–+•]\s+")
_PAREN = re.compile(r"\(([^()]*(?:\([^()]*\)[^()]*)*)\)")


def today_in_vietnam(now: dt.datetime | None = None) -> dt.date:
    """The citizen's calendar day: rules change at midnight in Vietnam, not on the server's clock
    (a UTC server still says 31 December for the first seven hours of 1 January in Hà Nội)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(VIETNAM).date()


def _date(groups: tuple[str | None, ...]) -> dt.date | None:
    day, month, year = (g for g in groups if g is not None)
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _vnd(text: str) -> int:
    return int(re.sub(r"[.,]", "", text))


def _dates(text: str) -> tuple[dt.date | None, dt.date | None, int, int] | None:
    """(valid_from, valid_until, start, end) of the first date phrase in `text`, or None."""
    if m := _RANGE.search(text):
        return _date(m.groups()[0:6]), _date(m.groups()[7:13]), m.start(), m.end()
    if m := _UNTIL.search(text):
        until = _date(m.groups()[2:8])
        if until and m.group(2):  # "trước ngày D": D itself is already outside
            until -= dt.timedelta(days=1)
        return None, until, m.start(), m.end()
    if m := _FROM.search(text):
        return _date(m.groups()), None, m.start(), m.end()
    return None


def _amount_near(text: str, start: int, end: int) -> int | None:
    """The amount a dated clause sets: the first after the date (up to the next clause), else the
    last before it ("25.000đ/tem (áp dụng đến hết …)")."""
    after = re.split(r"[;]|\.\s", text[end:], maxsplit=1)[0]
    if m := _AMOUNT.search(after):
        return _vnd(m.group(1))
    before = list(_AMOUNT.finditer(text[:start]))
    return _vnd(before[-1].group(1)) if before else None


def _percent(text: str) -> float | None:
    """Share of the base amount charged: "bằng 50%" is 50, "giảm 20%" is 80, "giảm còn 30%" is 30."""
    m = _PERCENT.search(text)
    if not m:
        return None
    value = float(m.group(2).replace(",", "."))
    if value > 100:
        return None
    reduced_by = m.group(1) and "còn" not in m.group(1).lower()
    return 100 - value if reduced_by else value


def _rule(text: str) -> DatedRule | None:
    found = _dates(text)
    if found is None:
        return None
    valid_from, valid_until, start, end = found
    if valid_from is None and valid_until is None:
        return None
    return DatedRule(text=text, valid_from=valid_from, valid_until=valid_until,
                     amount_vnd=_amount_near(text, start, end), percent=_percent(text))


def _pieces(text: str) -> list[str]:
    cuts = [0, *top_level_cuts(text, _PIECE_END), len(text)]
    pieces = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = re.sub(r"^[;\s\-–+•]+", "", text[a:b]).strip()
        if piece:
            pieces.append(piece)
    return pieces


def parse_rules(text: str) -> tuple[DatedRule, ...]:
    """The dated clauses of a fee or time note, in order.

    A bracket that carries its own date and amount ("… 135.000 đ/lần (nộp trực tuyến từ … đến hết
    …: 115.000 đ/lần)") is a rule of its own, so that when it runs out the clause around it stays;
    a bracket with a date only ("25.000đ/tem (áp dụng đến hết …)") dates the clause it sits in.
    """
    if not _ANY_DATE.search(text or ""):
        return ()  # most notes carry no date: skip the clause split
    rules: list[DatedRule] = []
    for piece in _pieces(normalise(text)):
        host = piece
        for m in _PAREN.finditer(piece):
            inner = _rule(m.group(1))
            if inner and (inner.amount_vnd is not None or inner.percent is not None):
                rules.append(inner)
                host = host.replace(m.group(0), " ")
        if (rule := _rule(host)) is not None:
            # the amount is read without the bracketed rules, but the whole piece goes when it expires
            rules.append(rule.model_copy(update={"text": piece}))
    return tuple(rules)


def channel_with_rules(channel: Channel) -> Channel:
    """`channel` with the dated rules of its fee (text and note) and time read, unless present."""
    fee, time = channel.fee, channel.time
    if not fee.rules and (rules := parse_rules(f"{fee.text}. {channel.note}" if channel.note else fee.text)):
        fee = fee.model_copy(update={"rules": rules})
    if not time.rules and time.text and (rules := parse_rules(time.text)):
        time = time.model_copy(update={"rules": rules})
    if fee is channel.fee and time is channel.time:
        return channel
    return channel.model_copy(update={"fee": fee, "time": time})


def with_rules(proc: Procedure) -> Procedure:
    """`proc` with every channel's dated rules read; rules already present (an imported
    catalogue) are kept, so a curated file can correct what the parser read."""
    channels = tuple(channel_with_rules(c) for c in proc.channels)
    if all(new is old for new, old in zip(channels, proc.channels, strict=True)):
        return proc
    return proc.model_copy(update={"channels": channels})


@dataclass(frozen=True)
class Change:
    """Something that starts on `on` (a new rule, or the end of one: `rule` is then None)."""

    on: dt.date
    rule: DatedRule | None
    ends: DatedRule | None = None


@dataclass
class Applicable:
    """Rules sorted against one day, and the changes coming within the horizon."""

    current: list[DatedRule] = field(default_factory=list)  # rules in force today
    expired: list[DatedRule] = field(default_factory=list)
    future: list[DatedRule] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)  # within the horizon, soonest first


def in_force(rule: DatedRule, today: dt.date) -> bool:
    return (rule.valid_from is None or rule.valid_from <= today) and (rule.valid_until is None or today <= rule.valid_until)


def applicable(rules: Sequence[DatedRule], today: dt.date, horizon_days: int = HORIZON_DAYS) -> Applicable:
    """Sort rules into those in force `today`, run out, and not yet begun; list the changes that
    happen within `horizon_days` (a rule that starts, or one in force that ends)."""
    result = Applicable()
    horizon = today + dt.timedelta(days=horizon_days)
    changes: dict[dt.date, Change] = {}
    for rule in rules:
        if in_force(rule, today):
            result.current.append(rule)
            if rule.valid_until is not None and rule.valid_until < horizon:
                after = rule.valid_until + dt.timedelta(days=1)
                follower = next((r for r in rules if r.valid_from == after), None)
                changes.setdefault(after, Change(after, follower, ends=rule))
        elif rule.valid_until is not None and rule.valid_until < today:
            result.expired.append(rule)
        else:
            result.future.append(rule)
            if rule.valid_from is not None and rule.valid_from <= horizon:
                # a rule that starts as another ends is one change, told once
                changes[rule.valid_from] = Change(rule.valid_from, rule, ends=getattr(changes.get(rule.valid_from), "ends", None))
    result.changes = sorted(changes.values(), key=lambda c: c.on)
    return result


def drop_expired(text: str, rules: tuple[DatedRule, ...], today: dt.date) -> str:
    """`text` without the clauses of rules that ran out before `today` (and without those not yet
    begun: they are announced as changes, not stated as in force)."""
    text = normalise(text)
    for rule in rules:
        if in_force(rule, today) or rule.text not in text:
            continue
        text = text.replace(f"({rule.text})", "").replace(rule.text, "")
    text = re.sub(r"\(\s*\)", "", text)
    text = re.sub(r"([;.])\s*[-–+•]\s+", r"\1 ", text)  # a bullet whose clause was removed
    text = re.sub(r"\s*([;,])\s*(?=[;,.]|$)", "", text)  # separators left in front of nothing
    text = re.sub(r"^[\s;,.\-–+]+", "", text)
    return normalise(text).rstrip(" ;,-–")
