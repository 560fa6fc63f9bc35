"""Short procedure names: the thing a citizen wants done, without the catalogue's boilerplate.

Official names carry the level ("(thực hiện tại cấp tỉnh)"), the channel ("thực hiện bằng dịch vụ
công một phần"), a leading "Thủ tục" and long scoping clauses ("đối với trường hợp …", "trong
trường hợp …", "(trừ …)"). A citizen never types those; they dilute what the search sees and make
names hard to read in a list. `short_name` splits a name into the core and the qualifier, purely
from the name's own structure, so it works for any imported catalogue. `qualifier_cues` names the
qualifier kinds that tell near-variants apart (có yếu tố nước ngoài, lưu động, …).
"""

from __future__ import annotations

import re

from knowledge.text import fold

# level and channel phrases: dropped (levels are a field; the channel is in `channels`)
_LEVEL = re.compile(
    r"\(?\s*(?:được\s+)?(?:thực hiện|giải quyết)?\s*(?:tại|ở)?\s*cấp\s+"
    r"(?:xã|tỉnh|huyện|bộ|trung ương|tw|cơ sở)(?:\s*,\s*cấp\s+(?:xã|tỉnh|huyện|bộ|trung ương))*"
    r"(?:\s*(?:,|và|hoặc)\s*cấp\s+(?:xã|tỉnh|huyện|bộ|trung ương))*\s*\)?",
    re.IGNORECASE,
)
_CHANNEL = re.compile(
    r"\s*(?:thực hiện\s+)?(?:bằng|qua)\s+dịch vụ công(?:\s+trực tuyến)?(?:\s+(?:toàn trình|một phần))?"
    r"(?:\s+hoặc\s+trực tiếp)?",
    re.IGNORECASE,
)
# "Thủ tục hải quan …" and "Thủ tục điện tử …" name a kind of procedure: there the words stay
_LEADING = re.compile(r"^\s*(?:thủ tục|tthc)\s+(?!hải quan|điện tử|hành chính)", re.IGNORECASE)
# clauses that narrow a procedure to a case: the core name ends where the first one starts
_QUALIFIER_START = re.compile(
    r"\s*[,;:(–-]?\s*\b(?:đối với|trong trường hợp|trường hợp|áp dụng (?:cho|đối với)|dành cho|"
    r"thuộc (?:thẩm quyền|phạm vi|diện)|theo (?:quy định|nghị định|thông tư|đề nghị)|trừ)\b",
    re.IGNORECASE,
)
_PAREN = re.compile(r"\s*\(([^()]*)\)")
_SPACES = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s.;:,–-]+$")
MIN_CORE_WORDS = 3  # a core shorter than this keeps the qualifier: "Cấp đối với …" says nothing

# a partner or parent of another nationality is the usual cue for "có yếu tố nước ngoài"
_NATIONALITIES = tuple(f"{prefix} {country}" for prefix in ("nguoi", "quoc tich", "chong", "vo") for country in (
    "han", "han quoc", "nhat", "nhat ban", "trung quoc", "dai loan", "my", "hoa ky", "uc", "phap", "duc", "anh",
    "nga", "lao", "campuchia", "thai", "thai lan", "singapore", "malaysia", "philippines", "an do", "canada",
    "ca na da", "y", "tay ban nha", "ha lan", "bi", "thuy dien", "na uy", "nuoc khac")) + (
    "han quoc", "nhat ban", "trung quoc", "dai loan", "hoa ky", "campuchia", "thai lan",
    "korean", "japanese", "chinese", "taiwanese", "american", "us citizen", "australian", "french", "german",
    "british", "canadian", "russian", "thai", "laotian", "cambodian", "singaporean", "indian", "citizen of")

# near-variant qualifiers: a name carrying one of these differs from its plain sibling only by
# a case the citizen has to mention; (kind, folded phrase in the name, folded cues in a question)
# "ở nước ngoài" in a name says where the applicant lives (the embassy does it: "Nhập quốc tịch Việt
# Nam ở nước ngoài"), not that a foreigner is involved; its sibling says "ở trong nước", which is
# the plain case for a citizen writing to a ward's bot. Kinds are read in this order, and a kind's
# phrases are taken out of the name before the next kind is read.
# A mobile registration is asked for by someone who cannot come ("đến nhà", "không đi lại được");
# "tại nhà", "tại bệnh viện" say where a birth or a death happened, which every story tells.
QUALIFIER_KINDS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("abroad", ("dinh cu o nuoc ngoai", "o nuoc ngoai"),
     ("dinh cu", "o nuoc ngoai", "tai nuoc ngoai", "sang nuoc ngoai", "xuat canh", "abroad", "overseas",
      "dai su quan", "lanh su quan", "co quan dai dien")),
    ("foreign", ("co yeu to nuoc ngoai", "nguoi nuoc ngoai", "tai nuoc ngoai", "nuoc ngoai"),
     ("nuoc ngoai", "ngoai quoc", "viet kieu", "dinh cu", "quoc tich", "foreign", "foreigner",
      "abroad", "overseas", *_NATIONALITIES)),
    ("mobile", ("luu dong",), ("luu dong", "den nha", "tan nha", "khong di lai",
                               "om nang", "liet giuong")),
    ("combined", ("ket hop",), ("ket hop", "cung luc", "dong thoi", "ca hai", "luon")),
    ("linked", ("lien thong",), ("lien thong", "cung luc", "dong thoi", "mot lan")),
    ("age", ("duoi 14 tuoi", "tu du 14 tuoi", "tuoi"), ("tuoi",)),
)


def _tidy(text: str) -> str:
    text = _SPACES.sub(" ", text).strip()
    return _TRAILING.sub("", text).strip()


def without_own_code(name: str, code: str) -> str:
    """The name without the procedure's own code in brackets, which some national records append
    ("Cấp giấy phép môi trường (cấp Tỉnh) ( 1.010727 )"). The code is shown on its own; left in the
    name it kept the level variants of one procedure apart (each name carried a different code)
    and stood in a list of choices as if it were a qualifier."""
    if not code:
        return name
    stripped, found = re.subn(rf"\(\s*{re.escape(code)}\s*\)", " ", name)
    return _tidy(stripped) if found else name  # a name without its code stays exactly as written


def without_channel(name: str) -> str:
    """The name without its channel phrase ("thực hiện bằng dịch vụ công trực tuyến toàn trình")."""
    return _tidy(_CHANNEL.sub(" ", name))


def plain_name(name: str) -> str:
    """The name without a leading "Thủ tục", level and channel phrases; its qualifiers are kept."""
    text = _LEADING.sub("", name.strip())
    return _tidy(_CHANNEL.sub(" ", _LEVEL.sub(" ", text)))


# what a plain sibling may say of itself: "Thôi quốc tịch Việt Nam ở trong nước"
PLAIN_MARKERS = ("o trong nuoc",)


def plain_words(name: str) -> str:
    """The folded words of the plain name (`plain_name`), without what a plain sibling says of
    itself (`PLAIN_MARKERS`)."""
    padded = f" {' '.join(re.findall(r'[a-z0-9]+', fold(plain_name(name))))} "
    for marker in PLAIN_MARKERS:
        padded = padded.replace(f" {marker} ", " ")
    return " ".join(padded.split())


def variant_key(name: str) -> str:
    """What near-variants share: the folded plain name with near-variant qualifier phrases removed
    ("Đăng ký khai sinh có yếu tố nước ngoài" and "… lưu động" both give "dang ky khai sinh")."""
    padded = f" {plain_words(name)} "
    for _kind, phrases, _cues in QUALIFIER_KINDS:
        for phrase in sorted(phrases, key=len, reverse=True):
            padded = padded.replace(f" {phrase} ", " ")
    words = padded.split()
    while words and words[-1] in _DANGLING:
        words.pop()
    return " ".join(words)


_DANGLING = {"cho", "cua", "voi", "tai", "o", "doi", "nguoi", "co", "va"}


def short_name(name: str) -> tuple[str, str]:
    """(short name, qualifier) of an official procedure name.

    The short name has no leading "Thủ tục", no level or channel phrase, and stops before the
    first scoping clause ("đối với …", "trong trường hợp …", "(trừ …)"); the qualifier is that
    clause and any other parenthesised remark, so nothing of the name is lost for display."""
    text = _LEADING.sub("", name.strip())
    text = _LEVEL.sub(" ", text)
    text = _CHANNEL.sub(" ", text)
    qualifiers: list[str] = []
    if (m := _QUALIFIER_START.search(text)) and len(text[: m.start()].split()) >= MIN_CORE_WORDS:
        qualifiers.append(_tidy(text[m.start():].lstrip(" ,;:(–-")).rstrip(")"))
        text = text[: m.start()]
    core_parens = [p for p in _PAREN.findall(text)]
    core = _tidy(_PAREN.sub(" ", text))
    if len(core.split()) < MIN_CORE_WORDS:  # the parentheses were the substance: keep them
        core = _tidy(text.replace("(", " ").replace(")", " "))
        core_parens = []
    qualifiers = [*(p.strip() for p in core_parens if p.strip()), *qualifiers]
    core = core[:1].upper() + core[1:] if core else _tidy(name)
    return core, "; ".join(q for q in qualifiers if q)


def qualifier_kinds(name: str) -> frozenset[str]:
    """Kinds of near-variant qualifier a procedure name carries ("foreign", "mobile", …)."""
    folded = f" {' '.join(re.findall(r'[a-z0-9]+', fold(name)))} "
    kinds = []
    for kind, phrases, _cues in QUALIFIER_KINDS:
        if any(f" {p} " in folded for p in phrases):
            kinds.append(kind)
            for phrase in phrases:
                folded = folded.replace(f" {phrase} ", " ")
    return frozenset(kinds)


def cued_kinds(folded_question: str) -> frozenset[str]:
    """Qualifier kinds a question gives a cue for (it mentions abroad, home visits, an age …)."""
    padded = f" {folded_question} "
    return frozenset(kind for kind, _phrases, cues in QUALIFIER_KINDS if any(f" {c} " in padded for c in cues))
