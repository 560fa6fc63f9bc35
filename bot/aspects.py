"""What a question asks about a procedure: documents, fee, time, place, online, steps, eligibility.

Cue phrases are matched on folded text, so "bao lâu", "bao lau" and "mất mấy ngày" all mean time.
When several aspects are cued, the earliest cue in the message wins unless a stronger one follows
("làm online được không, mất phí không" asks both; we lead with the first and still show the rest).
"""

from __future__ import annotations

import re

from knowledge.text import fold

ASPECTS = ("documents", "fee", "time", "place", "online", "steps", "eligibility", "general")

_CUES: dict[str, tuple[str, ...]] = {
    "documents": (
        "giay to gi", "giay to nao", "ho so gom", "ho so can", "can giay", "can nhung giay", "can nhung gi",
        "can mang", "mang theo", "mang gi", "thanh phan ho so", "chuan bi gi", "chuan bi nhung", "giay to can",
        "can nhung", "can gi", "nop nhung gi", "nop gi", "to khai", "mau don", "mau to khai", "documents",
        "what papers", "which papers", "paperwork", "what do i need", "need to bring", "giay to", "ban sao nao",
        "hồ sơ gồm", "ho so nhu the nao", "ho so gi", "can ho so", "can nhung ho so", "can bo ho so",
    ),
    "fee": (
        "le phi", "bao nhieu tien", "mat phi", "mat tien", "ton phi", "ton bao nhieu", "chi phi", "phi bao nhieu",
        "het bao nhieu", "mien phi", "co mat phi", "tien phi", "phi la", "phi lam", "fee", "cost", "how much",
        "tốn", "nop phi", "bao nhieu phi", "gia bao nhieu", "thu phi", "phi ", "muc phi", "mức thu", "muc thu",
    ),
    "time": (
        "bao lau", "may ngay", "bao nhieu ngay", "thoi gian", "thoi han", "khi nao co", "bao gio co", "may hom",
        "lau khong", "lau ko", "how long", "how many days", "mat bao lau", "trong bao lau", "bao gio lay",
        "khi nao lay", "may tuan", "bao nhieu lau", "lau k", "bao lau thi", "nhanh khong", "bao nhieu thoi gian",
    ),
    "place": (
        "o dau", "noi nao", "cho nao", "co quan nao", "den dau", "nop o", "lam o", "len dau", "di dau", "where",
        "o cho nao", "tai dau", "phuong hay", "xa hay", "tinh hay", "cap nao", "noi lam", "noi nop", "gui o dau",
        "nop tai", "lam tai", "len phuong", "len xa", "ra phuong", "o phuong", "co quan gi",
    ),
    "online": (
        "online", "truc tuyen", "tren mang", "qua mang", "dich vu cong", "vneid", "tren app", "qua app",
        "khong can den", "khong phai den", "tai nha", "o nha", "toan trinh", "mot phan", "internet", "qua mạng",
        "buu dien", "buu chinh", "nop qua", "dvc", "cong dich vu", "tren dien thoai", "online duoc",
    ),
    "steps": (
        "thu tuc the nao", "thu tuc nhu the nao", "lam the nao", "lam nhu the nao", "cac buoc", "quy trinh",
        "trinh tu", "cach lam", "lam sao", "how to", "how do i", "procedure for", "buoc nao", "phai lam gi",
        "lam nhu nao", "the nao", "ntn", "ra sao", "lam gi", "phai lam nhung gi", "steps", "co phai", "di cung",
        "dan theo", "co can mang", "co can den",
    ),
    "eligibility": (
        "duoc khong", "co duoc", "dieu kien", "ai duoc", "doi tuong", "co the", "co phai", "du dieu kien",
        "truong hop nao", "eligible", "can I", "am i allowed", "co bi", "duoc phep", "co quyen", "bao nhieu tuoi",
        "may tuoi", "du tuoi", "co can", "phai khong",
    ),
}

# When two aspects are cued, the more specific one wins over these general ones.
_WEAK = {"steps": 1, "eligibility": 1, "online": 2, "place": 3, "documents": 3, "fee": 4, "time": 4}

_COMPILED = {
    aspect: [re.compile(r"(?<!\w)" + re.escape(fold(cue)) + (r"(?!\w)" if not cue.endswith(" ") else "")) for cue in cues]
    for aspect, cues in _CUES.items()
}


def detect_aspect(text: str) -> tuple[str, bool]:
    """Return (aspect, cued): cued is False when nothing in the text pointed to an aspect."""
    folded = fold(text)
    found: list[tuple[int, int, str]] = []
    for aspect, patterns in _COMPILED.items():
        for pattern in patterns:
            if m := pattern.search(folded):
                found.append((_WEAK[aspect], m.start(), aspect))
                break
    if not found:
        return "general", False
    # strongest specificity first; among equals the earliest cue
    found.sort(key=lambda f: (-f[0], f[1]))
    return found[0][2], True
