"""Intent of a message: procedure, faq, feedback, status, chitchat or out_of_scope.

Two layers:
1. A linear softmax classifier over the query embedding, trained at start-up on our own labelled
   examples: `bot/data/intents.yaml` (chitchat, out of scope, feedback, status) plus the catalogue's
   everyday names (procedure) and FAQ phrasings (faq). Class-balanced, L2-regularised; training
   takes well under a second on a few thousand examples, and the example embeddings are cached.
2. High-precision surface cues that the embedding cannot see: reference codes (PA-2026-…,
   H12.34-250610-0012) with "đến đâu rồi"-style phrasing mean status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import numpy as np
import yaml

from knowledge.schema import Catalogue
from knowledge.text import fold

class CueList:
    """Phrases matched on word boundaries: on the accented text when the message has diacritics
    (so "chờ" does not match "cho"), on folded text when it was typed without them."""

    def __init__(self, phrases: tuple[str, ...]):
        self.accented = [re.compile(r"(?<!\w)" + re.escape(p.lower().strip()) + r"(?!\w)") for p in phrases]
        self.folded = [re.compile(r"(?<!\w)" + re.escape(fold(p)) + r"(?!\w)") for p in phrases]

    def search(self, text: str) -> bool:
        lowered = text.lower()
        patterns = self.folded if fold(lowered) == " ".join(lowered.split()) else self.accented
        target = fold(lowered) if patterns is self.folded else lowered
        return any(p.search(target) for p in patterns)



_REFERENCE = re.compile(r"\b(?:PA|KN|PAKN)-\d{4}-[A-Z0-9]{4,8}\b|\b[A-Z]\d{2}(?:\.\d{1,3}){1,4}-\d{6}-\d{3,5}\b", re.IGNORECASE)
_STATUS_CUES = CueList((
    "đến đâu rồi", "tới đâu rồi", "đến đâu r", "tới đâu r", "đã xử lý chưa", "xử lý chưa", "duyệt chưa",
    "có kết quả chưa", "đã có kết quả chưa", "xong chưa", "giải quyết đến đâu", "sao chưa có", "sao vẫn chưa",
    "chưa thấy phản hồi", "chưa có phản hồi", "any update", "status of my", "kiểm tra giúp", "đã làm xong chưa",
    "tình trạng hồ sơ của tôi", "hồ sơ của tôi", "có ai xử lý", "có ai duyệt", "đã được giải quyết",
))


def reference_code(text: str) -> str | None:
    match = _REFERENCE.search(text or "")
    return match.group(0).upper() if match else None


# Weaker signs of a citizen's own pending case: enough to confirm the classifier, not alone.
_OWN_CASE = CueList((
    "đã nộp", "nộp từ", "nộp hôm", "nộp tuần", "nộp tháng", "nộp lâu", "chưa có kết quả", "chưa nhận được",
    "chưa thấy", "bước nào", "giấy hẹn", "hẹn trả", "im re", "chưa ai", "của tôi", "của em",
    "của mình", "nhà em", "my application", "my feedback", "i sent", "i submitted",
))


def status_cued(text: str) -> bool:
    """Strong status phrasing ("đến đâu rồi"), or a reference code in a short message."""
    return _STATUS_CUES.search(text) or (reference_code(text) is not None and len(text.split()) <= 12)


def own_case_cued(text: str) -> bool:
    return reference_code(text) is not None or _OWN_CASE.search(text)


# Surface cues the embedding blurs: is it a question, does it report, propose or praise.
_CUE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("?", " gi", " nao", " dau", "bao lau", "bao nhieu", "the nao", "lam sao", "duoc khong", "ko", " khong",
     "ra sao", "how", "what", "where", "can i", "co phai", "hay khong", "nhu nao", "ntn"),
    ("phan anh", "kien nghi", "gop y", "de nghi", "de xuat", "toi muon bao", "report"),
    ("cham", "tre hen", "qua han", "thai do", "hach dich", "nhung nhieu", "bo duong", "phong bi", "loi he thong",
     "bi loi", "khong ai", "hen toi hen lui", "di lai nhieu lan", "buc xuc", "buc minh", "khong co bien lai", "vo ly"),
    ("cam on", "hai long", "tan tinh", "nhanh gon", "chu dao", "khen", "thank", "great"),
    ("nen ", "mong ", "hy vong", "sao khong", "should", "suggest"),
    ("toi da nop", "minh da nop", "da nop", "hom truoc", "tuan truoc", "thang truoc", "hom qua", "sang nay"),
)


# Information-seeking phrasing. Rhetorical complaint questions ("sao không nói một lần cho xong?")
# use other words, so these stay few and specific.
_QUESTION = CueList((
    "xin hỏi", "cho hỏi", "cho tôi hỏi", "cho mình hỏi", "cho em hỏi", "hỏi chút", "thế nào", "như thế nào",
    "như nào", "bao lâu", "bao nhiêu", "ở đâu", "chỗ nào", "nơi nào", "được không", "được ko", "đc không", "đc ko",
    "dc ko", "đc k ", "có được", "có phải", "có cần", "có bắt buộc", "phải làm gì", "làm gì", "cần gì",
    "cần những gì", "gồm những gì", "giấy tờ gì", "thủ tục gì", "làm sao để", "làm sao", "thì sao", "ra sao",
    "ntn", "how ", "what ", "where ", "can i ", "do i ", "am i ", "is it ", "which ", "mấy ngày", "khi nào",
    "hay không", "không vậy", "không ạ", "ko ạ", "k ạ", "chưa vậy", "được chưa",
))
_FEEDBACK_VERBS = CueList(("phản ánh", "kiến nghị", "góp ý", "đề xuất", "feedback", "complain"))


# Words of a lived experience judged good or bad, or of a proposal: what makes a message feedback
# rather than a question. A general sentiment lexicon, not tied to any procedure.
_SENTIMENT = CueList((
    "chậm", "lâu quá", "mãi", "chờ", "đợi", "trễ", "chờ đợi", "ngồi chờ", "chờ mãi", "quá hạn", "quá hẹn", "hẹn tới hẹn lui", "hẹn lần", "hẹn 3 lần",
    "lỗi", "không ai", "không trả lời", "không phản hồi", "không nghe máy", "gắt", "quát", "thái độ", "khó chịu",
    "bực", "làm khó", "đòi thêm", "bắt nộp", "bắt phải", "thu thêm", "không có biên lai", "tiền ngoài", "bồi dưỡng",
    "nhũng nhiễu", "vô lý", "tệ", "quá tệ", "kém", "phiền", "mất thời gian", "không thấy", "không tìm thấy", "kiểu gì",
    "trừ tiền", "đi lại nhiều lần", "chạy đi chạy lại", "không hướng dẫn", "rườm rà", "cảm ơn", "hài lòng",
    "tận tình", "nhiệt tình", "chu đáo", "nhanh gọn", "nhanh hơn", "khen", "tuyệt", "rất tốt", "nên", "mong",
    "hy vọng", "đề nghị", "kiến nghị", "góp ý", "phản ánh", "đề xuất", "please add", "should", "suggest",
    "thank", "terrible", "slow", "rude", "keeps", "error", "great", "quay vòng", "treo", "không được giải quyết",
))


def has_sentiment(text: str) -> bool:
    return _SENTIMENT.search(text)


# Vietnamese yes/no questions end with a particle: "… có cái đó không", "… được chưa", "… ko".
_FINAL_PARTICLE = re.compile(r"(?<!\w)(?:khong|ko|k|hong|hok|chua|chưa|không|hông|a|ạ|nhi|nhỉ|vay|vậy|ha|hả)\s*[?.!…]*\s*$")


def asks_question(text: str) -> bool:
    stripped = text.strip().lower()
    return "?" in text or _QUESTION.search(text) or bool(_FINAL_PARTICLE.search(fold(stripped)))


# An explicit request to file feedback: decisive on its own.
_FILE_FEEDBACK = CueList((
    "cho tôi phản ánh", "tôi muốn phản ánh", "tôi xin phản ánh", "tôi phản ánh", "muốn phản ánh việc", "cho mình phản ánh",
    "cho em phản ánh", "tôi muốn góp ý", "cho tôi góp ý", "cho mình góp ý", "xin góp ý", "tôi kiến nghị", "tôi xin kiến nghị",
    "tôi đề xuất", "i want to complain", "i want to report", "i would like to complain",
))


def files_feedback(text: str) -> bool:
    return _FILE_FEEDBACK.search(text)


def names_feedback(text: str) -> bool:
    return _FEEDBACK_VERBS.search(text)


def cue_features(text: str) -> np.ndarray:
    folded = " " + fold(text) + " "
    return np.array([float(any(cue in folded for cue in group)) for group in _CUE_GROUPS], dtype=np.float32)


CUE_SCALE = 0.5


def classifier_input(vector: np.ndarray, text: str) -> np.ndarray:
    return np.concatenate([vector.astype(np.float32), CUE_SCALE * cue_features(text)])


def examples_text() -> str:
    return (resources.files("bot") / "data" / "intents.yaml").read_text(encoding="utf-8")


def load_examples() -> dict[str, list[str]]:
    """Labelled examples per intent (and per feedback kind as "feedback:<kind>")."""
    data = yaml.safe_load(examples_text()) or {}
    examples: dict[str, list[str]] = {}
    for intent in ("chitchat", "out_of_scope", "feedback", "status"):
        value = data.get(intent) or []
        if isinstance(value, dict):
            for sub, texts in value.items():
                key = f"feedback:{sub}" if intent == "feedback" else intent
                examples.setdefault(key, []).extend(str(t) for t in texts or [])
        else:
            examples.setdefault(intent, []).extend(str(t) for t in value)
    return examples


# Question shapes citizens wrap around a procedure's name. Aliases are noun phrases ("mất căn
# cước"), while real messages are questions; without these the classifier would learn "a long
# sentence is feedback". Mixed registers, with and without diacritics, a few in English.
QUESTION_TEMPLATES = (
    "{x}", "{x} cần giấy tờ gì", "làm {x} ở đâu", "{x} mất bao lâu", "{x} hết bao nhiêu tiền",
    "cho tôi hỏi thủ tục {x}", "{x} làm online được không", "{x} thì làm thế nào", "muốn {x} thì phải làm sao",
    "xin hỏi {x} cần những điều kiện gì", "ad ơi {x} thì làm sao v", "mình muốn {x}, hồ sơ gồm những gì ạ",
    "tôi cần {x}, nộp chỗ nào, bao lâu thì có kết quả", "{x} lệ phí bao nhiêu", "hướng dẫn giúp tôi {x}",
    "How do I apply for {x}?",
    "Gia đình tôi đang có việc cần {x}, tôi đã hỏi nhiều nơi nhưng chưa rõ. Xin hỏi cần chuẩn bị gì và nộp ở đâu?",
    "Năm nay tôi ngoài 40 tuổi, giờ mới cần {x}. Cho tôi hỏi thủ tục có phức tạp không, mất bao lâu?",
    "nhà em ở quê, bố mẹ già rồi, em muốn {x} thì có làm online được không hay phải về tận nơi ạ",
    "Tôi đi làm xa, vợ tôi ở nhà muốn {x}. Vợ tôi đi một mình có được không, cần mang những gì?",
    "mấy hôm nay mình tìm hiểu về {x} mà đọc trên mạng mỗi chỗ nói một kiểu, ad cho hỏi chính xác là thế nào",
    "Tôi vừa chuyển đến phường mới, nay cần {x}. Xin hỏi lệ phí bao nhiêu, giải quyết trong bao lâu?",
)


def catalogue_examples(catalogue: Catalogue, per_group: int = 10) -> dict[str, list[str]]:
    """Procedure examples: names and aliases wrapped in question templates; FAQ phrasings as they are."""
    procedures: list[str] = []
    seen_groups: dict[str, int] = {}
    for proc in sorted(catalogue.procedures, key=lambda p: p.code):
        count = seen_groups.get(proc.group, 0)
        if count >= per_group:
            continue
        phrases = [proc.name, *proc.aliases][: per_group - count]
        seen_groups[proc.group] = count + len(phrases)
        for i, phrase in enumerate(phrases):
            template = QUESTION_TEMPLATES[(len(procedures) + i * 7) % len(QUESTION_TEMPLATES)]
            text = template.format(x=phrase[:1].lower() + phrase[1:] if not phrase[:2].isupper() else phrase)
            procedures.append(fold(text) if (len(procedures) % 4 == 3) else text)
    faq = [q for entry in catalogue.faq for q in (entry.title, *entry.questions)]
    learned = [q for proc in sorted(catalogue.procedures, key=lambda p: p.code) for q in proc.learned]
    # procedure and FAQ questions are one intent for the classifier ("info"): which of the two a
    # question is, retrieval decides, since it sees the catalogue and the FAQ side by side; staff-
    # taught questions (knowledge/learned.py) are real citizens' wording, of either intent
    return {"info": procedures + faq + learned, "out_of_scope": list(catalogue.out_of_scope)}


@dataclass(frozen=True)
class IntentGuess:
    intent: str
    probability: float
    probabilities: dict[str, float]
    feedback_kind: str | None


def collapse(probabilities: dict[str, float]) -> tuple[dict[str, float], str | None]:
    """Sum feedback sub-kinds into "feedback" and name the most likely kind."""
    merged: dict[str, float] = {}
    kinds: dict[str, float] = {}
    for label, p in probabilities.items():
        if label.startswith("feedback:"):
            kinds[label.split(":", 1)[1]] = p
            merged["feedback"] = merged.get("feedback", 0.0) + p
        else:
            merged[label] = merged.get(label, 0.0) + p
    kind = max(kinds, key=kinds.get) if kinds else None
    return merged, kind
