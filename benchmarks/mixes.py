"""What the load generator says: pools of questions and the two loads of the throughput benchmark.

(a) all-distinct: every message is a new question in a new chat, never seen before (no cache can
    help; the query embedding sets the ceiling).
(b) realistic mix, per conversation (weights of sessions, not of messages):
    35 %  popular question → follow-up ("thế còn lệ phí?") → 👍/👎 button
    20 %  popular question → 👍/👎 button
    20 %  new question → follow-up
    10 %  popular question → pick a numbered choice (a follow-up when none was offered)
    15 %  feedback: "tôi muốn phản ánh" → the story → "không" (no contact) → "1" (send)
    Popular questions are 40 real citizen questions drawn with Zipf weights (s = 1.1), a third of
    them typed without diacritics, as people do. The measured share of each kind is printed.
"""

from __future__ import annotations

import json
import random
from collections import deque
from pathlib import Path

from benchmarks.loadgen import Step
from knowledge.text import fold

FOLLOW_UPS = ["thế còn lệ phí?", "làm online được không", "cần giấy tờ gì", "mất bao lâu", "nộp ở đâu",
              "le phi bao nhieu", "co lam qua buu dien duoc khong"]
TEMPLATES = ["{}", "thủ tục {} cần giấy tờ gì", "{} ở đâu", "{} mất bao lâu", "lệ phí {} bao nhiêu",
             "cho hỏi {} làm thế nào", "{} online được không", "muốn {} thì làm sao"]
FEEDBACK_STORIES = [
    "Tôi nộp hồ sơ ở bộ phận một cửa xã từ tháng trước, đã quá hẹn mà chưa có kết quả, gọi điện không ai nghe.",
    "Cán bộ tiếp nhận hướng dẫn mỗi lần một kiểu, tôi phải đi lại ba lần mới nộp được hồ sơ.",
    "Đề nghị xã bố trí thêm người trực một cửa buổi sáng thứ bảy để người đi làm có thể nộp hồ sơ.",
    "Trang dịch vụ công báo lỗi khi thanh toán lệ phí, tôi đã bị trừ tiền mà hồ sơ vẫn chưa thanh toán.",
]


def question_pool(shared: Path | None, catalogue) -> list[str]:
    """Distinct citizen-like questions: real ones and catalogue everyday names in question templates,
    de-duplicated on folded text (accent twins count once) and shuffled, so the ceiling sample and
    every load draw from the same mixture of short and long questions."""
    real: list[str] = []
    if shared is not None:
        for path in (shared / "eval" / "dev.jsonl", *sorted((shared / "data" / "portal-questions").glob("*.jsonl"))):
            if path.exists():
                real += [json.loads(line).get("question", "") for line in path.open(encoding="utf-8") if line.strip()]
    rng = random.Random(7)
    names = [name for proc in catalogue.procedures for name in (proc.name, *proc.aliases)]
    rng.shuffle(names)
    made = [rng.choice(TEMPLATES).format(name[0].lower() + name[1:]) for name in names if name]
    seen: set[str] = set()
    pool: list[str] = []
    for text in [q for q in real if 8 <= len(q) <= 300] + made:
        key = " ".join(fold(text).split())
        if key not in seen:
            seen.add(key)
            pool.append(text)
    rng.shuffle(pool)
    return pool


class Mix:
    def __init__(self, pool: list[str], seed: int = 11):
        self.rng = random.Random(seed)
        self.pool = deque(pool)
        self.popular = [self.pool.popleft() for _ in range(40)]
        weights = [1 / (rank + 1) ** 1.1 for rank in range(len(self.popular))]
        self.popular_weights = weights

    def distinct(self) -> str:
        if not self.pool:
            raise RuntimeError("the question pool ran out; use fewer seconds or a larger catalogue")
        return self.pool.popleft()

    def popular_question(self) -> str:
        text = self.rng.choices(self.popular, self.popular_weights)[0]
        return fold(text) if self.rng.random() < 1 / 3 else text

    def all_distinct(self, _chat_id: int) -> deque[Step]:
        return deque([Step("distinct", self.distinct())])

    def realistic(self, _chat_id: int) -> deque[Step]:
        roll = self.rng.random()
        follow_up = Step("follow_up", self.rng.choice(FOLLOW_UPS))
        if roll < 0.35:
            return deque([Step("popular", self.popular_question()), follow_up, Step("button", callback="helpful")])
        if roll < 0.55:
            return deque([Step("popular", self.popular_question()), Step("button", callback="helpful")])
        if roll < 0.75:
            return deque([Step("distinct", self.distinct()), follow_up])
        if roll < 0.85:
            return deque([Step("popular", self.popular_question()), Step("button", callback="choice")])
        return deque([Step("feedback", "tôi muốn phản ánh"), Step("feedback", self.rng.choice(FEEDBACK_STORIES)),
                      Step("feedback", "không"), Step("feedback", "1")])
