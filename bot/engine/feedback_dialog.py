"""Capturing feedback (phản ánh, kiến nghị, khen) in a few short turns.

    start (feedback intent, or /phananh) → [content] → contact (optional, with consent) → confirm → saved

The citizen's first message is the content when it already tells the story. What it concerns is
suggested from retrieval (the procedure) and from the text (a commune or agency). Contact details
are asked for only after saying why, and only kept if the citizen gives them. A khiếu nại or tố
cáo is not a PAKN (Nghị định 20/2008/NĐ-CP): the bot explains and points to the right procedure
instead of filing it. Storage is behind `FeedbackPort`, so this module has no database code.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Protocol

from knowledge.text import fold
from knowledge.textfit import shorten

PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.-]?\d){9,10}(?!\d)")
AGENCY = re.compile(
    r"((?:UBND|Ủy ban nhân dân|Công an|Trung tâm Phục vụ hành chính công|Bộ phận Một cửa)\s+"
    r"(?:(?:xã|phường|thị trấn|tỉnh|thành phố|đặc khu)\s+)?[A-ZĐÀ-Ỹ][\wÀ-ỹ]*(?:\s+[A-ZĐÀ-Ỹ][\wÀ-ỹ]*){0,3})"
)
_CANCEL = {"huy", "thoi", "dung", "cancel", "khong gui", "bo qua phan anh"}
_NO = {"khong", "ko", "k", "khong can", "bo qua", "no", "thoi khong"}
_YES = {"1", "gui", "dong y", "ok", "co", "yes", "xac nhan", "dung roi", "gui di"}
_LEGAL = {
    "khieu_nai": ("khieu nai", "de nghi huy quyet dinh", "xem xet lai quyet dinh", "complaint against the decision"),
    "to_cao": ("to cao", "tham nhung", "nhan hoi lo", "denounce"),
}
KIND_OF = {"complaint": "phan_anh", "suggestion": "kien_nghi", "praise": "khen"}


@dataclass(frozen=True)
class Submitted:
    reference: str
    due_date: str  # dd/mm/yyyy


@dataclass(frozen=True)
class StatusView:
    reference: str
    status_label: str
    due_date: str
    replies: tuple[str, ...]


class FeedbackPort(Protocol):
    """Where captured feedback goes and where its status comes from (feedback/ implements it)."""

    def submit(self, draft: dict) -> Submitted: ...

    def lookup(self, reference: str, channel: str, user_id: str) -> StatusView | None: ...

    def rate(self, channel: str, user_id: str, score: int, reason: str) -> str | None:
        """Attach a 1–5 rating to the user's latest answered record; its reference, or None."""

    def mine(self, channel: str, user_id: str, limit: int = 5) -> tuple[StatusView, ...]:
        """The user's own records on this channel, newest first: "phản ánh của tôi đến đâu rồi"
        without a code is answered from these instead of asking for a code the citizen lost."""


def legal_kind(text: str) -> str | None:
    folded = fold(text)
    for kind, cues in _LEGAL.items():
        if any(cue in folded for cue in cues):
            return kind
    return None


def extract_agency(text: str) -> str:
    match = AGENCY.search(text)
    return match.group(1).strip() if match else ""


def parse_contact(text: str) -> tuple[str | None, str | None]:
    """(name, phone) from a reply such as "Nguyễn Văn An 0912 345 678"."""
    match = PHONE.search(text)
    phone = re.sub(r"\D", "", match.group(0)) if match else None
    name = PHONE.sub(" ", text) if match else text
    # drop labels people type around the values ("Tên:", "sđt", "số điện thoại")
    name = re.sub(r"(?i)\b(?:họ tên|tên|ten|sđt|sdt|số điện thoại|so dien thoai|điện thoại|dt|phone)\b\s*:?", " ", name)
    name = " ".join(name.replace(",", " ").split()).strip(" .-:")
    return (name[:120] or None), phone


def is_cancel(text: str) -> bool:
    return fold(text).strip(" .!") in _CANCEL


def is_no(text: str) -> bool:
    return fold(text).strip(" .!") in _NO


def is_yes(text: str) -> bool:
    return fold(text).strip(" .!") in _YES


class FeedbackDialog:
    """The capture steps. `describe(code)` gives a procedure's name for the summary; `legal_procedures`
    names the khiếu nại / tố cáo procedures in the catalogue for the triage answer."""

    def __init__(self, port: FeedbackPort | None, describe, legal_procedures):
        self.port = port
        self.describe = describe
        self.legal_procedures = legal_procedures

    # each step returns (text, new state fields); the engine wraps them into a Reply
    def start(self, text: str, kind: str | None, procedure_code: str | None, language: str, t) -> tuple[str, dict]:
        if (legal := legal_kind(text)) is not None:
            return t(language, f"fb_{legal}", procedures=self.legal_procedures(legal)), {"flow": None, "step": None, "draft": {}}
        draft = {"kind": KIND_OF.get(kind or "", "phan_anh")}
        if len(text.split()) >= 6:
            draft.update(content=text.strip()[:5000], procedure_code=procedure_code, agency=extract_agency(text))
            return t(language, "fb_ask_contact"), {"flow": "feedback", "step": "contact", "draft": draft}
        return t(language, "fb_ask_content"), {"flow": "feedback", "step": "content", "draft": draft}

    @staticmethod
    def answers_step(text: str, step: str | None) -> bool:
        """Is this message an answer to the step's question (rather than the citizen moving on)?"""
        if is_cancel(text) or step == "content":
            return True
        if step == "contact":
            return is_no(text) or PHONE.search(text) is not None
        if step == "confirm":
            return is_yes(text) or is_no(text) or fold(text).strip(" .!") in ("2", "3", "sua", "sua noi dung", "edit")
        return False

    def step(self, text: str, state, channel: str, user_id: str, suggest, t) -> tuple[str, dict]:
        language = state.language
        draft = dict(state.draft)
        if is_cancel(text):
            return t(language, "fb_cancelled"), {"flow": None, "step": None, "draft": {}}
        if state.step == "content":
            if (legal := legal_kind(text)) is not None:
                return t(language, f"fb_{legal}", procedures=self.legal_procedures(legal)), {"flow": None, "step": None, "draft": {}}
            if len(text.strip()) < 10:
                return t(language, "fb_ask_content"), {}
            draft.update(content=text.strip()[:5000], procedure_code=suggest(text), agency=extract_agency(text))
            if draft.get("contact_asked"):
                return self._summary(draft, language, t), {"step": "confirm", "draft": draft}
            return t(language, "fb_ask_contact"), {"step": "contact", "draft": draft}
        if state.step == "contact":
            draft["contact_asked"] = True
            if is_no(text):
                draft.update(contact_consent=False, contact_name=None, contact_phone=None)
            else:
                name, phone = parse_contact(text)
                if phone is None:
                    return t(language, "fb_ask_contact"), {"draft": draft}
                draft.update(contact_consent=True, contact_name=name, contact_phone=phone)
            return self._summary(draft, language, t), {"step": "confirm", "draft": draft}
        if state.step == "confirm":
            choice = fold(text).strip(" .!")
            if choice in ("2", "sua", "sua noi dung", "edit"):
                return t(language, "fb_ask_content"), {"step": "content", "draft": draft}
            if choice in ("3",) or is_cancel(text) or is_no(text):
                return t(language, "fb_cancelled"), {"flow": None, "step": None, "draft": {}}
            if not is_yes(text):
                return self._summary(draft, language, t), {}
            if self.port is None:
                return t(language, "fb_unavailable"), {"flow": None, "step": None, "draft": {}}
            try:
                saved = self.port.submit({**draft, "channel": channel, "chat_id": user_id})
            except ValueError as exc:
                return t(language, "fb_not_saved", error=str(exc)), {"step": "content", "draft": draft}
            key = "fb_saved_praise" if draft.get("kind") == "khen" else "fb_saved"
            return (t(language, key, kind=_kind_label(draft.get("kind"), language), reference=saved.reference, due=saved.due_date),
                    {"flow": None, "step": None, "draft": {}})
        return t(language, "fb_ask_content"), {"flow": "feedback", "step": "content", "draft": draft}

    def _summary(self, draft: dict, language: str, t) -> str:
        # the draft gets its idempotency key when it is first shown for confirmation
        draft.setdefault("key", uuid.uuid4().hex)
        subject = " · ".join(x for x in (self.describe(draft.get("procedure_code")), draft.get("agency")) if x)
        contact = t(language, "fb_with_contact") if draft.get("contact_consent") else t(language, "fb_no_contact")
        content = draft.get("content", "")
        summary = t(language, "fb_summary", kind=_kind_label(draft.get("kind"), language),
                    content=shorten(content, 300),
                    subject=subject or t(language, "fb_subject_unknown"), contact=contact)
        return summary + "\n" + t(language, "fb_confirm")


def _kind_label(kind: str | None, language: str) -> str:
    labels = {"vi": {"phan_anh": "phản ánh", "kien_nghi": "kiến nghị", "khen": "lời khen"},
              "en": {"phan_anh": "complaint", "kien_nghi": "suggestion", "khen": "praise"}}
    return labels.get(language, labels["vi"]).get(kind or "phan_anh", "phản ánh")
