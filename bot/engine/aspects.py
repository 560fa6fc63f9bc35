"""What a question asks about a procedure: documents, fee, time, place, online, steps, eligibility.

Each aspect has weighted cue phrases. Cues are matched on word boundaries, on the accented text
when the message has diacritics ("mặt tiền" is a façade, "mất tiền" a cost) and on folded text when
it was typed without them. The aspect with the highest total weight wins; on a tie, the cue that
comes first in the message. No cue means "general".
"""

from __future__ import annotations

import re

from knowledge.text import fold

# (phrase, weight): 2 = says the aspect on its own, 1 = a hint that can lose to a stronger cue.
_CUES: dict[str, tuple[tuple[str, int], ...]] = {
    "documents": (
        ("giấy tờ gì", 3), ("giấy tờ nào", 3), ("những giấy tờ", 3), ("hồ sơ gồm", 3), ("gồm những gì", 3),
        ("gồm những giấy", 3), ("cần chuẩn bị", 2), ("chuẩn bị gì", 3), ("chuẩn bị những", 3), ("mang theo", 2),
        ("mang gì", 3), ("mang những gì", 3), ("cần mang", 2), ("bản chính", 2), ("bản sao", 1), ("thành phần hồ sơ", 3),
        ("tờ khai", 1), ("mẫu đơn", 2), ("hồ sơ cần", 2), ("hồ sơ có khác", 2), ("hồ sơ", 1), ("giấy tờ", 1),
        ("cần những gì", 2), ("cần gì", 2), ("documents", 3), ("papers", 2), ("paperwork", 3), ("what do i need", 2),
        ("need to bring", 3), ("đòi thêm giấy", 2), ("thêm giấy", 2),
    ),
    "fee": (
        ("lệ phí", 3), ("phí", 2), ("mất bao nhiêu", 3), ("mất nhiêu", 3), ("bao nhiêu tiền", 3), ("mất tiền", 3), ("mất phí", 3), ("tốn phí", 3),
        ("tốn bao nhiêu", 3), ("hết bao nhiêu", 3), ("chi phí", 3), ("miễn phí", 2), ("tiền", 1), ("đóng thuế", 3),
        ("nộp thuế", 3), ("fee", 3), ("fees", 3), ("cost", 3), ("how much", 3), ("giá", 1),
        ("mức thu", 3), ("thu bao nhiêu", 3), ("hết nhiêu", 3), ("bao nhiêu %", 3), ("phần trăm", 2),
    ),
    "time": (
        ("bao lâu", 2), ("mấy ngày", 3), ("bao nhiêu ngày", 3), ("thời gian", 2), ("thời hạn", 2), ("khi nào có", 3),
        ("bao giờ có", 3), ("mấy hôm", 3), ("lâu không", 2), ("how long", 3), ("how many days", 3),
        ("trong bao lâu", 3), ("bao giờ lấy", 3), ("khi nào lấy", 3), ("mấy tuần", 3), ("lấy được", 1),
        ("hạn chót", 3), ("mất bao lâu", 3), ("mất mấy ngày", 3), ("mất mấy hôm", 3), ("ngày nào", 2), ("deadline", 3), ("thì xong", 2), ("bao lâu thì", 3), ("thì có", 1),
    ),
    "place": (
        ("ở đâu", 4), ("nơi nào", 3), ("chỗ nào", 3), ("cơ quan nào", 3), ("nộp ở", 3), ("làm ở", 1), ("lên đâu", 3),
        ("đi đâu", 3), ("where", 3), ("tại đâu", 3), ("cấp nào", 2), ("nộp cho", 2), ("nộp tại", 3), ("làm tại", 2),
        ("nộp hồ sơ ở", 3), ("hay tự lên", 3), ("ở phường", 1), ("ở xã", 1), ("tỉnh khác", 1), ("lên phường", 1),
        ("ra phường", 1), ("phường được", 2), ("xã được", 2), ("which office", 3),
    ),
    "online": (
        ("online", 3), ("trực tuyến", 3), ("trên mạng", 3), ("qua mạng", 3), ("dịch vụ công", 2), ("vneid", 3),
        ("trên app", 3), ("qua app", 3), ("vssid", 3), ("etax", 3), ("không cần đến", 2), ("không phải đến", 2),
        ("tại nhà", 1), ("toàn trình", 3), ("một phần", 2), ("internet", 3), ("bưu điện", 2), ("bưu chính", 2),
        ("trên điện thoại", 3), ("qua điện thoại", 2), ("dvc", 3), ("cổng dịch vụ", 2),
    ),
    "steps": (
        ("thủ tục thế nào", 3), ("thủ tục như thế nào", 3), ("làm thế nào", 3), ("làm như thế nào", 3), ("các bước", 3),
        ("quy trình", 3), ("trình tự", 3), ("cách làm", 3), ("làm sao", 2), ("how to", 3), ("how do i", 3),
        ("how can i", 3), ("bước nào", 3), ("phải làm gì", 3), ("làm gì trước", 3), ("làm như nào", 3), ("thế nào", 2),
        ("ntn", 2), ("ra sao", 2), ("làm thủ tục gì", 3), ("thủ tục gì", 2), ("thủ tục", 1), ("cho hỏi thủ tục", 3),
        ("khai kiểu gì", 3), ("kiểu gì", 2), ("dẫn theo", 3), ("đi cùng", 3), ("dẫn cháu", 2), ("dẫn con", 2),
        ("bế bé", 2), ("có mặt", 2), ("steps", 3), ("sang tên thế nào", 3), ("mở lại", 1),
    ),
    "eligibility": (
        ("điều kiện", 3), ("ai được", 3), ("đối tượng", 3), ("đủ điều kiện", 3), ("trường hợp nào", 3),
        ("có được", 2), ("được không", 1), ("có phải", 2), ("có cần", 1), ("có bắt buộc", 3), ("bắt buộc", 2),
        ("được phép", 3), ("có quyền", 3), ("bao nhiêu tuổi", 3), ("mấy tuổi", 3), ("đủ tuổi", 3), ("mới được", 3),
        ("được hưởng", 3), ("được nhận", 3), ("eligible", 3), ("am i allowed", 3), ("do i have to", 3),
        ("được chưa", 2), ("có được không", 2), ("phải không", 1), ("được rút", 2),
    ),
}


class _Cue:
    def __init__(self, phrase: str, weight: int):
        self.weight = weight
        self.accented = re.compile(r"(?<!\w)" + re.escape(phrase.lower()) + r"(?!\w)")
        self.folded = re.compile(r"(?<!\w)" + re.escape(fold(phrase)) + r"(?!\w)")


_COMPILED = {aspect: [_Cue(p, w) for p, w in cues] for aspect, cues in _CUES.items()}
# longest phrase first, so "mất bao lâu" goes whole before "bao lâu" could leave a stray "mất"
# ("mất giấy": a lost paper, a different procedure)
_LONGEST_FIRST = sorted((_Cue(p, w) for cues in _CUES.values() for p, w in cues), key=lambda c: -len(c.folded.pattern))


STRONG = 2  # total cue weight from which an aspect is stated rather than hinted


def detect_aspect(text: str) -> tuple[str, bool]:
    """Return (aspect, cued): cued is False when nothing in the text clearly states an aspect.

    A lone weak hint (weight 1, e.g. "thì có") still picks the aspect of a fresh question, but is
    reported as not cued, so in a follow-up the conversation's aspect carries over instead.
    """
    lowered = " ".join(text.lower().split())
    folded = fold(lowered)
    unaccented = folded == lowered
    scores: dict[str, tuple[int, int]] = {}
    for aspect, cues in _COMPILED.items():
        total, first = 0, len(folded) + 1
        for cue in cues:
            match = (cue.folded.search(folded) if unaccented else cue.accented.search(lowered))
            if match:
                total += cue.weight
                first = min(first, match.start())
        if total:
            scores[aspect] = (total, first)
    if not scores:
        return "general", False
    best = max(scores.items(), key=lambda kv: (kv[1][0], -kv[1][1]))
    return best[0], best[1][0] >= STRONG


def strip_aspect_cues(text: str) -> str:
    """The message without its aspect phrases: what is left names the thing asked about.

    "nộp qua vneid có được không" says how, not what; searching it alone would drift to the
    VNeID procedures. Stripped, it is empty of content and the conversation keeps its topic.
    """
    lowered = " ".join(text.lower().split())
    folded = fold(lowered)
    unaccented = folded == lowered
    target = folded if unaccented else lowered
    for cue in _LONGEST_FIRST:
        target = (cue.folded if unaccented else cue.accented).sub(" ", target)
    return " ".join(target.split())


# Particles and pronouns that never name a procedure: what remains of "có mất phí không" once its
# aspect phrase is gone ("có … không") says nothing about the topic.
_FUNCTION_WORDS = frozenset(fold(w) for w in (
    "có", "không", "ko", "k", "hông", "thì", "là", "mà", "và", "vậy", "thế", "nhỉ", "ạ", "à", "ơi", "nhé", "nha",
    "hả", "hở", "đó", "này", "kia", "rồi", "nữa", "cũng", "đã", "sẽ", "đang", "chưa", "bị", "được", "cần", "phải",
    "mình", "tôi", "tui", "em", "anh", "chị", "bạn", "cho", "hỏi", "với", "của", "ở", "nào", "gì", "sao", "ai",
    "đc", "dc", "đk", "dk", "vs", "z", "j", "làm", "lấy", "xin", "đi", "trên", "lên", "ra", "vào", "bao", "nhiêu",
    "the", "a", "an", "is", "it", "do", "i", "to", "of", "and", "or",
))


def content_words(content: str) -> list[str]:
    """The words that can name a topic in a message already stripped of its aspect phrases
    (`strip_aspect_cues`): particles and generic verbs removed."""
    return [w for w in content.split() if fold(w).strip("?.!,") not in _FUNCTION_WORDS and re.search(r"\w", w)]
