"""Text normalisation shared by documents and queries.

Steps, each documented in `indexer/data/lexicon.yaml`:
1. Unicode NFC, lowercase, collapse white space, drop control characters.
2. Teencode (ko → không, j → gì, dc → được) and abbreviations (cccd → căn cước công dân) are
   replaced; everyday names (sổ đỏ, cà vẹt) keep their words and gain the official term beside them;
   English terms gain their Vietnamese equivalent.
3. Diacritic restoration for syllables typed without marks, from the catalogue's own vocabulary
   plus a list of everyday words: the longest known folded n-gram (up to 3 syllables) picks its most
   frequent accented form. The dense model reads the restored text; lexical search reads folded text.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

from indexer.word_senses import without_aspect_words
from knowledge.safe_read import parse_bundled_yaml
from knowledge.text import fold, nfc

_TOKEN = re.compile(r"[\w]+(?:[./-][\w]+)*", re.UNICODE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_CHARS = 2000


@dataclass(frozen=True)
class Lexicon:
    """Replacement tables, keys folded so that accented and unaccented input both match."""

    teencode: dict[str, str]
    abbreviations: dict[str, str]
    everyday: dict[str, str]
    english: dict[str, str]
    max_phrase: int
    situations: dict[str, str] = field(default_factory=dict)  # what happened to a paper -> the action it needs
    spelled: dict[str, str] = field(default_factory=dict)  # folded everyday key -> as written (accented)
    written: dict[str, frozenset[str]] = field(default_factory=dict)  # folded key -> its marked spellings

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Lexicon:
        def key(raw: Any) -> str:
            # split as messages are ("driver's license" reads "driver s license", "e-visa" "e visa"):
            # a key kept whole never met a message's words
            return " ".join(fold(w) for w in tokens(clean(str(raw))))

        def table(name: str) -> dict[str, str]:
            raw = data.get(name) or {}
            return {key(k): nfc(str(v)).lower() for k, v in raw.items() if k is not None and v}

        tables = {name: table(name) for name in ("teencode", "abbreviations", "everyday", "english", "situations")}
        longest = max((len(k.split()) for t in tables.values() for k in t), default=1)
        spelled = {key(k): nfc(str(k)).lower() for k in (data.get("everyday") or {}) if k is not None}
        written: dict[str, set[str]] = {}
        for name in ("everyday", "situations"):
            for k in data.get(name) or {}:
                if k is not None:
                    written.setdefault(key(k), set()).add(" ".join(tokens(clean(str(k)))))
        return cls(**tables, max_phrase=longest, spelled=spelled,
                   written={k: frozenset(v) for k, v in written.items()})

    def marks_agree(self, key: str, typed: list[str]) -> bool:
        """Do the marks the citizen typed agree with a spelling of the key? Keys match folded, so
        that "so do" finds "sổ đỏ"; but a syllable typed with marks says which word it is: "bảo
        từ năm nay" (has said since this year) is not "báo tử" (report a death). A syllable typed
        bare agrees with any marks."""
        spellings = self.written.get(key)
        if not spellings:
            return True
        return any(all(typed_agrees(t, s) for t, s in zip(typed, spelling.split(), strict=False))
                   for spelling in spellings)


@lru_cache(maxsize=1)
def bundled_lexicon() -> Lexicon:
    text = (resources.files("indexer") / "data" / "lexicon.yaml").read_text(encoding="utf-8")
    return Lexicon.from_mapping(parse_bundled_yaml(text) or {})


@lru_cache(maxsize=1)
def bundled_places() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Place names (indexer/data/places.txt) as word tuples, by their first word folded, longest first."""
    text = (resources.files("indexer") / "data" / "places.txt").read_text(encoding="utf-8")
    names = {tuple(tokens(clean(line))) for line in text.splitlines() if line.strip() and not line.startswith("#")}
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for name in sorted(names, key=len, reverse=True):
        by_first.setdefault(fold(name[0]), []).append(name)
    return {first: tuple(group) for first, group in by_first.items()}


_PLACE_PREFIXES = (("thành", "phố"), ("tỉnh",), ("tp",), ("thủ", "đô"))


def without_places(restored: str) -> str:
    """The text without the provinces and cities it names (and "tỉnh" / "thành phố" before them).

    Where a citizen lives or works does not choose a procedure, but BM25 weighs a place's rare
    syllables high: a story told from Saigon ranked a complaint procedure of the army's
    command there first for a question about a marital-status certificate. Matched on the
    restored text with its marks ("năm định cư" is not "Nam Định"; a syllable left bare agrees with
    any marks); the dense model still reads the whole question (stripping places there measured
    worse)."""
    words = tokens(restored.lower())
    places = bundled_places()
    out: list[str] = []
    i = 0
    while i < len(words):
        place = next((p for p in places.get(fold(words[i]), ()) if len(p) <= len(words) - i
                      and all(typed_agrees(a, b) for a, b in zip(words[i:i + len(p)], p, strict=True))), None)
        if place is None:
            out.append(words[i])
            i += 1
            continue
        for prefix in _PLACE_PREFIXES:
            if tuple(out[-len(prefix):]) == prefix:
                del out[-len(prefix):]
                break
        i += len(place)
    return " ".join(out)


def bundled_vocabulary() -> list[str]:
    path = resources.files("indexer") / "data" / "vocabulary.txt"
    if not path.is_file():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]


def clean(text: str) -> str:
    """NFC, no control characters, lowercase, single spaces, bounded length."""
    return as_typed(text).lower()


def as_typed(text: str) -> str:
    """`clean` without lowercasing: where capitals tell "VAT" from "vat"."""
    return " ".join(_CONTROL.sub(" ", nfc(str(text))[:MAX_QUERY_CHARS]).split())


def tokens(text: str) -> list[str]:
    return _WORD.findall(text)


def same_marks(a: str, b: str) -> bool:
    """One syllable with the same letters and the same marks, wherever the tone sits ("hoà" and
    "hòa" agree; "bảo" and "báo" do not)."""
    def marks(word: str) -> tuple[str, str, bool]:
        decomposed = unicodedata.normalize("NFD", word)
        return fold(word), "".join(sorted(c for c in decomposed if unicodedata.combining(c))), "đ" in word
    return marks(a) == marks(b)


def typed_agrees(typed: str, written: str) -> bool:
    """Can the syllable as typed be the written one? Typed bare, it agrees with any marks on the
    same letters; typed with marks, they must be the written marks (`same_marks`)."""
    return fold(typed) == fold(written) if fold(typed) == typed else same_marks(typed, written)


class DiacriticRestorer:
    """Restores marks on syllables typed without them, using n-gram statistics of known text."""

    def __init__(self, texts: Iterable[str], max_n: int = 3):
        self.max_n = max_n
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for text in texts:
            words = tokens(clean(text))
            folded = [fold(w) for w in words]
            for n in range(1, max_n + 1):
                for i in range(len(words) - n + 1):
                    counts[" ".join(folded[i:i + n])][" ".join(words[i:i + n])] += 1
        self.table = {key: variants.most_common(1)[0][0] for key, variants in counts.items()}

    def restore(self, text: str, typed: str | None = None) -> str:
        """Give marks to unmarked syllables; syllables the user already marked are kept as typed.

        A citizen who types marks leaves a syllable bare on purpose ("ly hôn được hai năm",
        "Đài Loan"): in such text a lone unmarked syllable keeps its form, and only a run of two
        or more unmarked syllables, where the n-gram context decides, is restored. Restoring "hai"
        to the catalogue's commoner "hải" turned right questions into wrong ones."""
        words = tokens(text)
        singles = is_mostly_unaccented(text if typed is None else typed)  # `typed`: before lexicon additions
        out: list[str] = []
        i = 0
        while i < len(words):
            for n in range(min(self.max_n, len(words) - i), 0, -1):
                window = words[i:i + n]
                if n > 1 and any(fold(w) != w for w in window):
                    continue  # only restore runs the user typed entirely without marks
                key = " ".join(fold(w) for w in window)
                if key in self.table and (n > 1 or (singles and fold(window[0]) == window[0])):
                    restored = self.table[key].split()
                    if len(restored) == n:
                        out.extend(restored)
                        i += n
                        break
            else:
                out.append(words[i])
                i += 1
        return " ".join(out)


@dataclass(frozen=True)
class NormalizedQuery:
    original: str
    expanded: str  # lowercase NFC with teencode/abbreviations replaced and official terms added
    restored: str  # `expanded` with diacritics restored: what the dense model reads
    folded: str  # `expanded` folded: what lexical and fuzzy matching read

    @cached_property  # read by BM25, its vocabulary coverage and the names ranking: split once
    def terms(self) -> tuple[str, ...]:
        """`lexical_terms` of the folded text, without the places it names (`without_places`)."""
        return tuple(lexical_terms(fold(without_places(self.restored))))


class Normalizer:
    """One normaliser for documents and queries, so both sides meet in the same form."""

    def __init__(self, lexicon: Lexicon | None = None, restorer: DiacriticRestorer | None = None):
        self.lexicon = lexicon or bundled_lexicon()
        self.restorer = restorer
        self._reverse_table: dict[str, tuple[str, ...]] | None = None

    def expand(self, text: str) -> str:
        """Replace teencode and abbreviations; add official terms after everyday and English names."""
        own, additions = self._expand(text)
        return " ".join([own, *additions])

    def _expand(self, text: str) -> tuple[str, list[str]]:
        """The message's own words (teencode and abbreviations replaced) and the official terms added."""
        words = tokens(clean(text))
        folded = [fold(w) for w in words]
        cased = tokens(as_typed(text))
        if len(cased) != len(words):  # lowercasing changed a word's length (rare letters): no capitals then
            cased = words
        out: list[str] = []
        additions: list[str] = []
        i = 0
        lex = self.lexicon
        while i < len(words):
            matched = False
            for n in range(min(lex.max_phrase, len(words) - i), 0, -1):
                key = " ".join(folded[i:i + n])
                if n == 1 and key in lex.teencode and len(words[i]) <= 6:
                    out.append(lex.teencode[key])
                elif key in lex.abbreviations and self._also_a_word(key, cased[i]):
                    out.append(words[i])  # "vật", or "vat" that may be either: the word stays
                    if words[i] == key:  # typed without marks: the abbreviation is added, not put in
                        additions.append(lex.abbreviations[key])
                elif key in lex.abbreviations:
                    out.append(lex.abbreviations[key])
                elif key in lex.everyday and lex.marks_agree(key, words[i:i + n]):
                    out.extend(words[i:i + n])
                    additions.append(lex.everyday[key])
                elif key in lex.english:
                    out.extend(words[i:i + n])
                    additions.append(lex.english[key])
                elif key in lex.situations and lex.marks_agree(key, words[i:i + n]):
                    out.extend(words[i:i + n])
                    additions.append(lex.situations[key])
                else:
                    continue
                i += n
                matched = True
                break
            if not matched:
                out.append(words[i])
                i += 1
        return " ".join(out), list(dict.fromkeys(additions))

    def _also_a_word(self, key: str, typed: str) -> bool:
        """Is this one-word abbreviation, as typed, also a syllable of the catalogue? "VAT" is the
        tax; "vật" is a word; "vat" may be either ("hoan thue vat", "do vat bi mat"), so the word
        stays for diacritic restoration and the abbreviation's meaning is added after it. Read
        from the restorer's table, so it holds for any catalogue."""
        if self.restorer is None or " " in key or typed.isupper():
            return False
        restored = self.restorer.table.get(key, key)
        return restored != key and restored.replace("đ", "d") != key  # a marked syllable: "vật"

    def everyday_terms(self, text: str) -> list[str]:
        """Everyday names of the official terms `text` uses (the lexicon read backwards).

        Applied to catalogue text at index time, so every procedure whose own wording uses an
        official term ("giấy chứng nhận quyền sử dụng đất") also carries what citizens call it
        ("sổ đỏ"), without anyone writing aliases for it. Only what a text does is read, not what
        it is for (`without_purpose`)."""
        padded = f" {' '.join(_plain_numbers(tokens(fold(clean(without_purpose(text))))))} "
        matched = [official for official in self._reverse() if f" {official} " in padded]
        # "xóa đăng ký thường trú" holds "đăng ký thường trú": only the longest official term speaks
        longest = [t for t in matched if not any(t != other and t in other for other in matched)]
        return list(dict.fromkeys(everyday for official in longest for everyday in self._reverse()[official]))

    def _reverse(self) -> dict[str, tuple[str, ...]]:
        if self._reverse_table is None:
            table: dict[str, list[str]] = {}
            for everyday, official in self.lexicon.everyday.items():
                for term in official.split(";"):
                    term = " ".join(_plain_numbers(tokens(fold(term))))
                    if len(term.split()) >= 2 and term != everyday:  # one word is too vague to imply a name
                        table.setdefault(term, []).append(self.lexicon.spelled.get(everyday, everyday))
            self._reverse_table = {k: tuple(v) for k, v in table.items()}
        return self._reverse_table

    def query(self, text: str) -> NormalizedQuery:
        own, additions = self._expand(text)
        expanded = " ".join([own, *additions])
        # the lexicon's additions are official terms, already marked: only the citizen's words are
        # restored ("thu nhập", added for "income tax", became "thủ nhập")
        own_restored = self.restorer.restore(own, typed=text) if self.restorer else own
        # "mất bao lâu" asks how long, and "mất" must not search for lost papers (indexer/word_senses.py)
        own_restored = without_aspect_words(own_restored, unmarked=is_mostly_unaccented(text))
        restored = " ".join([own_restored, *additions])
        return NormalizedQuery(original=text, expanded=expanded, restored=restored, folded=fold(restored))

    def document(self, text: str) -> str:
        """Folded form of catalogue text for lexical matching."""
        return fold(self.expand(text))


_PURPOSE = re.compile(r"\s(?:để|nhằm|phục vụ)\s", re.IGNORECASE)
_PARTS = re.compile(r"\s\.\s")


def without_purpose(text: str) -> str:
    """Each part of `text` (parts joined by " . ", as a name and its result are) up to its purpose
    clause ("để …", "nhằm …", "phục vụ …").

    "Xác nhận về điều kiện diện tích bình quân nhà ở để đăng ký thường trú …" is a certificate
    used in a permanent-residence registration, not the registration: read whole, it gained every
    everyday name of "đăng ký thường trú" (nhập hộ khẩu, chuyển khẩu …) and drew questions about
    moving one's household registration away from the procedure that does it."""
    return " . ".join(_PURPOSE.split(part, maxsplit=1)[0] for part in _PARTS.split(text))


NUMBER_WORDS = {"mot": "1", "hai": "2"}  # folded; "ba" (bà, trước bạ) and "nam" (năm = year) mostly mean other things


def _plain_numbers(words: list[str]) -> list[str]:
    """Numbers without leading zeros: the catalogue writes "mức độ 02", the lexicon "mức độ 2"."""
    return [w.lstrip("0") or "0" if w.isdigit() else w for w in words]


def lexical_terms(folded: str) -> list[str]:
    """Folded syllables plus adjacent-syllable bigrams: "so do" keeps its meaning as one term.

    Numbers lose leading zeros: the catalogue writes "mức độ 02" and "09 số", citizens "mức 2"
    and "9 số". "một" and "hai" become digits: names say "công ty một thành viên", citizens "cty 1
    thành viên" (both sides go through here, so folded homographs such as "hại" stay consistent)."""
    words = [NUMBER_WORDS.get(w, w) for w in _plain_numbers(tokens(folded))]
    return words + [f"{a}_{b}" for a, b in zip(words, words[1:])]


def is_mostly_unaccented(text: str) -> bool:
    words = [w for w in tokens(nfc(text)) if not w.isdigit()]
    if not words:
        return False
    marked = sum(1 for w in words if unicodedata.normalize("NFD", w) != w or "đ" in w)
    return marked / len(words) < 0.15
