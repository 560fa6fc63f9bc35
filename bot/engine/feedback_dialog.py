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
from typing import Any, Protocol

from bot.engine.cues import WholeMessageCue
from bot.engine.types import ConversationState, Option
from knowledge.text import fold
from knowledge.textfit import shorten

PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.-]?\d){9,10}(?!\d)")
AGENCY = re.compile(
    r"((?:UBND|Ủy ban nhân dân|Công an|Trung tâm Phục vụ hành chính công|Bộ phận Một cửa)\s+"
    r"(?:(?:xã|phường|thị trấn|tỉnh|thành phố|đặc khu)\s+)?[A-ZĐÀ-Ỹ][\wÀ-ỹ]*(?:\s+[A-ZĐÀ-Ỹ][\wÀ-ỹ]*){0,3})"
)
_CANCEL = WholeMessageCue.named("feedback_cancel")
_NO = WholeMessageCue.named("feedback_no")
_YES = WholeMessageCue.named("feedback_yes")
_EDIT = WholeMessageCue.named("feedback_edit")
_ASK = WholeMessageCue.named("feedback_ask")
_CONTINUE = WholeMessageCue.named("feedback_continue")
# Telegram buttons send these payloads; the same choices typed as numbers work on every channel
SEND, EDIT, CANCEL, ASK, CONTINUE = "fb:send", "fb:edit", "fb:cancel", "fb:ask", "fb:continue"
MAX_STORY = 12_000  # characters of one report (feedback.service.MAX_STORY); Telegram splits a text at 4,096
CONTINUATION_CHARS = 200  # a message this long that does not answer the contact/confirm step continues the story
QUESTION_MAX_CHARS = 300  # longer messages at the story step are story, never asked "a question or feedback?"
MAX_FILES = 10
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
    return text == CANCEL or _CANCEL.matches(text)


def is_no(text: str) -> bool:
    return _NO.matches(text)


def is_yes(text: str) -> bool:
    return _YES.matches(text)


def continues_story(text: str) -> bool:
    """A message after the story that answers nothing and reads as more of it: long, or a sentence
    rather than a name (a name is at most six words). It is added to the story, never dropped."""
    return len(text.strip()) >= CONTINUATION_CHARS or len(text.split()) > 6


def _number(text: str) -> str:
    return " ".join(fold(text).strip(" .!?,;:…").split())


def keep_story(kept: str, more: str) -> tuple[str, int]:
    """`kept` with `more` appended on a new line, at most MAX_STORY characters (cut at a word), and
    how many characters did not fit (0: the whole story is kept). Why: the citizen must be told
    exactly what was kept; nothing is dropped without the count and the last words kept."""
    more = more.strip()
    joined = f"{kept}\n{more}" if kept and more else (kept or more)
    if len(joined) <= MAX_STORY:
        return joined, 0
    cut = joined.rfind(" ", 0, MAX_STORY)
    cut = cut if cut > MAX_STORY - 200 else MAX_STORY
    return joined[:cut].rstrip(), len(joined[cut:].strip())


def _count(n: int | float, language: str) -> str:
    return f"{n:,}".replace(",", "." if language == "vi" else ",")


class FeedbackDialog:
    """The capture steps. `describe(code)` gives a procedure's name for the summary; `legal_procedures`
    names the khiếu nại / tố cáo procedures in the catalogue for the triage answer.

    Steps: content → contact → confirm, and `ask_or_continue` while the citizen chooses between a
    procedure question typed mid-flow and the report (the engine answers the question itself)."""

    def __init__(self, port: FeedbackPort | None, describe, legal_procedures):
        self.port = port
        self.describe = describe
        self.legal_procedures = legal_procedures

    # each step returns (text, new state fields); the engine wraps them into a Reply
    def start(self, text: str, kind: str | None, procedure_code: str | None, language: str, t) -> tuple[str, dict]:
        if (legal := legal_kind(text)) is not None:
            return t(language, f"fb_{legal}", procedures=self.legal_procedures(legal)), {"flow": None, "step": None, "draft": {}}
        draft: dict[str, Any] = {"kind": KIND_OF.get(kind or "", "phan_anh")}
        if len(text.split()) >= 6:
            content, dropped = keep_story("", text)
            draft.update(content=content, procedure_code=procedure_code, agency=extract_agency(text))
            message = t(language, "fb_ask_contact")
            if dropped:
                message = self._cut_note(content, dropped, language, t) + "\n" + message
            return message, {"flow": "feedback", "step": "contact", "draft": draft}
        return t(language, "fb_ask_content"), {"flow": "feedback", "step": "content", "draft": draft}

    @staticmethod
    def answers_step(text: str, step: str | None) -> bool:
        """Is this message an answer to the step's question (rather than the citizen moving on)?
        A long message at the contact or confirm step is the rest of a story split in parts."""
        if is_cancel(text) or step in ("content", "ask_or_continue"):
            return True
        if step == "contact":
            return is_no(text) or PHONE.search(text) is not None or len(text.strip()) >= CONTINUATION_CHARS
        if step == "confirm":
            return FeedbackDialog.confirm_choice(text) is not None or len(text.strip()) >= CONTINUATION_CHARS
        return False

    @staticmethod
    def may_be_question(text: str, step: str | None) -> bool:
        """Worth asking the engine whether this is a procedure question rather than a step's answer."""
        if step not in ("content", "contact", "confirm") or is_cancel(text) or len(text.strip()) >= QUESTION_MAX_CHARS:
            return False
        return step == "content" or not FeedbackDialog.answers_step(text, step)

    @staticmethod
    def confirm_choice(text: str) -> str | None:
        number = _number(text)
        if text == SEND or number == "1" or is_yes(text):
            return SEND
        if text == EDIT or number == "2" or _EDIT.matches(text):
            return EDIT
        if text == CANCEL or number == "3" or is_cancel(text) or is_no(text):
            return CANCEL
        return None

    @staticmethod
    def ask_choice(text: str) -> str | None:
        number = _number(text)
        if text == ASK or number == "1" or _ASK.matches(text):
            return ASK
        if text == CONTINUE or number == "2" or _CONTINUE.matches(text):
            return CONTINUE
        return None

    def ask_or_continue(self, question: str, state: ConversationState, t) -> tuple[str, dict]:
        """Hold the message and ask: a question about the procedure, or part of the report?"""
        draft = {**state.draft, "pending_question": question, "resume_step": state.step}
        return t(state.language, "fb_question_or_feedback"), {"step": "ask_or_continue", "draft": draft}

    def prompt(self, state: ConversationState, t) -> str:
        """The question of the step the flow is waiting on (asked again after a file or a detour)."""
        if state.step == "confirm":
            return self._summary(dict(state.draft), state.language, t)
        key = {"contact": "fb_ask_contact", "ask_or_continue": "fb_question_or_feedback"}.get(state.step or "", "fb_ask_content")
        return t(state.language, key)

    def options(self, state: ConversationState, t) -> tuple[Option, ...]:
        """Buttons for the step (Telegram shows them; Zalo's numbered text says the same)."""
        if state.flow != "feedback":
            return ()
        choices = {"confirm": ((SEND, "fb_choice_send"), (EDIT, "fb_choice_edit"), (CANCEL, "fb_choice_cancel")),
                   "ask_or_continue": ((ASK, "fb_choice_ask"), (CONTINUE, "fb_choice_continue"))}.get(state.step or "", ())
        return tuple(Option(label=t(state.language, key), payload=payload) for payload, key in choices)

    def step(self, text: str, state, channel: str, user_id: str, suggest, t) -> tuple[str, dict]:
        """`text` is the whole message (a story is read in full, not the part the engine searches)."""
        language = state.language
        draft = dict(state.draft)
        if is_cancel(text) and state.step != "confirm":
            return t(language, "fb_cancelled"), {"flow": None, "step": None, "draft": {}}
        if state.step == "ask_or_continue":
            if self.ask_choice(text) != CONTINUE:
                return t(language, "fb_question_or_feedback"), {}
            pending, resume = str(draft.pop("pending_question", "")), str(draft.pop("resume_step", "content"))
            resumed = state.evolve(step=resume, draft=draft)
            if resume == "content":  # what looked like a question is the story itself
                message, changes = self.step(pending, resumed, channel, user_id, suggest, t)
                return message, {"step": resume, "draft": draft, **changes}
            return self.prompt(resumed, t), {"step": resume, "draft": draft}
        if state.step == "content":
            if (legal := legal_kind(text)) is not None:
                return t(language, f"fb_{legal}", procedures=self.legal_procedures(legal)), {"flow": None, "step": None, "draft": {}}
            if len(text.strip()) < 10:
                return t(language, "fb_ask_content"), {}
            content, dropped = keep_story("", text)
            draft.update(content=content, procedure_code=suggest(text[:1500]), agency=extract_agency(text))
            note = self._cut_note(content, dropped, language, t) + "\n" if dropped else ""
            if draft.get("contact_asked"):
                return note + self._summary(draft, language, t), {"step": "confirm", "draft": draft}
            return note + t(language, "fb_ask_contact"), {"step": "contact", "draft": draft}
        if state.step == "contact":
            if not is_no(text) and PHONE.search(text) is None and continues_story(text):
                note = self._more_story(text, draft, language, t)
                return note + "\n" + t(language, "fb_ask_contact"), {"draft": draft}
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
            choice = self.confirm_choice(text)
            if choice is None and continues_story(text):
                note = self._more_story(text, draft, language, t)
                return note + "\n" + self._summary(draft, language, t), {"draft": draft}
            if choice == EDIT:
                return t(language, "fb_ask_content"), {"step": "content", "draft": draft}
            if choice == CANCEL:
                return t(language, "fb_cancelled"), {"flow": None, "step": None, "draft": {}}
            if choice is None:
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

    def take_attachments(self, files: tuple[dict, ...], draft: dict, language: str, t) -> tuple[str, dict]:
        """Files sent during the flow join the draft by channel file id (fetched after filing); a
        refused one (type or size, judged from what the channel says) is named in the reply."""
        kept = list(draft.get("attachments") or [])
        notes: list[str] = []
        added = 0
        for file in files:
            name = str(file.get("name") or t(language, "fb_attachment_default_name"))
            if file.get("refused") == "type":
                notes.append(t(language, "fb_attachment_type", name=name))
            elif file.get("refused") == "size":
                size = f"{int(file.get('size') or 0) / 2**20:.1f}".replace(".", "," if language == "vi" else ".")
                notes.append(t(language, "fb_attachment_size", name=name, size=size, limit=file.get("limit_mb", 10)))
            elif any(k.get("file_id") == file.get("file_id") for k in kept):
                continue  # the same file sent twice is attached once
            elif len(kept) >= MAX_FILES:
                notes.append(t(language, "fb_attachment_many", limit=MAX_FILES, name=name))
            else:
                kept.append({k: file[k] for k in ("channel", "kind", "file_id", "name", "mime", "size", "url") if file.get(k)})
                added += 1
        if added:
            notes.insert(0, t(language, "fb_attached", count=added, total=len(kept)))
        return "\n".join(notes), {**draft, "attachments": kept}

    def _more_story(self, text: str, draft: dict, language: str, t) -> str:
        content, dropped = keep_story(str(draft.get("content", "")), text)
        draft["content"] = content
        if dropped:
            return self._cut_note(content, dropped, language, t)
        return t(language, "fb_story_more", chars=_count(len(content), language))

    @staticmethod
    def _cut_note(content: str, dropped: int, language: str, t) -> str:
        return t(language, "fb_story_cut", limit=_count(MAX_STORY, language), kept=_count(len(content), language),
                 tail=content[-60:].lstrip(), dropped=_count(dropped, language))

    def _summary(self, draft: dict, language: str, t) -> str:
        # the draft gets its idempotency key when it is first shown for confirmation
        draft.setdefault("key", uuid.uuid4().hex)
        subject = " · ".join(x for x in (self.describe(draft.get("procedure_code")), draft.get("agency")) if x)
        contact = t(language, "fb_with_contact") if draft.get("contact_consent") else t(language, "fb_no_contact")
        content = str(draft.get("content", ""))
        summary = t(language, "fb_summary", kind=_kind_label(draft.get("kind"), language),
                    content=shorten(content, 300) + " " + t(language, "fb_content_length", chars=_count(len(content), language)),
                    subject=subject or t(language, "fb_subject_unknown"), contact=contact)
        if files := draft.get("attachments"):
            summary += "\n" + t(language, "fb_attachments_line", count=len(files))
        return summary + "\n" + t(language, "fb_confirm")

def _kind_label(kind: str | None, language: str) -> str:
    labels = {"vi": {"phan_anh": "phản ánh", "kien_nghi": "kiến nghị", "khen": "lời khen"},
              "en": {"phan_anh": "complaint", "kien_nghi": "suggestion", "khen": "praise"}}
    return labels.get(language, labels["vi"]).get(kind or "phan_anh", "phản ánh")
