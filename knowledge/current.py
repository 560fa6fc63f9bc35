"""A channel's fee and time as they stand on a given day, ready for an answer to print.

The catalogue keeps what was published, dated clauses included (`knowledge.validity`). An answer
must not: on 4 December 2026 the căn cước renewal costs 35.000 đồng (50 % until 31/12/2026) and the
answer should add that it goes back to 70.000 đồng on 1 January; a driving-licence rate that ran out
in 2025 must not be quoted at all. These functions return a `Fee` / `Duration` in the same shape,
so the reply code keeps printing "amount, else free, else text" without knowing about dates.
"""

from __future__ import annotations

import datetime as dt
import re

from knowledge.schema import DatedRule, Duration, Fee
from knowledge.textfit import normalise
from knowledge.validity import applicable, drop_expired, today_in_vietnam

PLAUSIBLE_FACTOR = 100  # a dated rate this far from the base amount is a data-entry slip
_WORDS = {
    "vi": {"until": "áp dụng đến hết {date}", "from": "từ {date}: {value}"},
    "en": {"until": "until {date}", "from": "from {date}: {value}"},
}
_ONLY_AMOUNT = re.compile(
    r"^(?:(?:mức\s+)?(?:lệ\s+phí|phí)\s*:?\s*)?(\d{1,3}(?:\.\d{3})+|\d+)\s*(?:đồng|đ|VNĐ|VND)(?:\s*/\s*[\w ]{1,20})?$",
    re.IGNORECASE,
)


def vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def _money(amount: int, lang: str) -> str:
    return vnd(amount) if amount else ("miễn phí" if lang == "vi" else "free")


def _date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _rule_amount(rule: DatedRule | None, base: int | None) -> int | None:
    """What a rule charges: its own amount, else its share of the base amount."""
    if rule is None:
        return base
    if rule.amount_vnd is not None:
        if base and not base / PLAUSIBLE_FACTOR < rule.amount_vnd < base * PLAUSIBLE_FACTOR:
            return None  # "25.000.000đ" beside 50.000 đồng is a typing slip, not a rate to quote
        return rule.amount_vnd
    if rule.percent is not None and base:
        return round(base * rule.percent / 100)
    return None


def fee_today(fee: Fee, today: dt.date | None = None, lang: str = "vi") -> Fee:
    """`fee` as it applies on `today` (default: today in Vietnam).

    A rule in force that sets an amount replaces the base amount, with its end date; a change
    within the horizon is announced; expired clauses leave the text; a base amount that is itself
    an expired rate ("40.000đ (áp dụng đến hết 31/12/2024)") is no longer stated.
    """
    if not fee.rules:
        return fee
    today = today or today_in_vietnam()
    words = _WORDS.get(lang, _WORDS["vi"])
    state = applicable(fee.rules, today)
    base = fee.amount_vnd
    if base and any(_rule_amount(r, None) == base for r in state.expired) and not state.current:
        base = None  # the published amount was the expired rate
    priced = [r for r in state.current if _rule_amount(r, base) is not None]
    shown: int | None = None
    lead = ""
    qualifiers: list[str] = []  # said in brackets after the amount: until when, what comes next
    if priced:
        rule = max(priced, key=lambda r: r.valid_from or dt.date.min)
        shown = _rule_amount(rule, base)
        lead = _money(shown, lang)
        if rule.valid_until:
            qualifiers.append(words["until"].format(date=_date(rule.valid_until)))
    elif base is not None:
        shown = base
        lead = _money(base, lang)
    else:
        text = drop_expired(fee.text, fee.rules, today)
        if m := _ONLY_AMOUNT.match(text.rstrip(".")):
            amount = int(m.group(1).replace(".", ""))
            if amount != fee.amount_vnd:  # else the text only restates the expired rate
                shown = amount
                lead = _money(shown, lang)
        else:
            lead = text.rstrip(".")
    for change in state.changes:
        follows = _rule_amount(change.rule, base) if change.rule else base
        if follows is not None and follows != shown:
            qualifiers.append(words["from"].format(date=_date(change.on), value=_money(follows, lang)))
    if not qualifiers and shown is not None:
        return Fee(amount_vnd=shown, text=drop_expired(fee.text, fee.rules, today), rules=fee.rules)
    parts = [lead] if lead else []
    if qualifiers:
        parts.append(f"({'; '.join(qualifiers)})" if shown is not None else "; ".join(qualifiers))
    if not parts:
        return Fee(amount_vnd=None, text="", rules=fee.rules)
    return Fee(amount_vnd=None, text=normalise(" ".join(parts) if shown is not None else "; ".join(parts)), rules=fee.rules)


def duration_today(duration: Duration, today: dt.date | None = None) -> Duration:
    """`duration` with clauses that no longer (or do not yet) apply left out of its text."""
    if not duration.rules or duration.value is not None:
        return duration
    text = drop_expired(duration.text, duration.rules, today or today_in_vietnam())
    return duration.model_copy(update={"text": text})
