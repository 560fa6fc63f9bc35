"""Near-variants: procedures whose names differ from a plainer sibling only by a qualifier.

The catalogue lists "Đăng ký kết hôn" beside "… có yếu tố nước ngoài", "… lưu động", "Đăng ký khai
sinh kết hợp đăng ký nhận cha, mẹ, con" and "Đăng ký khai sinh cho người đã có hồ sơ, giấy tờ cá
nhân". A question matches what such names share, so retrieval alone ranks them by noise. One rule,
read from the names' structure only (no per-procedure data): the plain sibling comes first unless
the question carries a cue of the qualifier; with the cue, the qualified one comes first.

Two kinds of qualifier are recognised:
- a known kind (knowledge.naming.QUALIFIER_KINDS: foreign, mobile, combined, linked, age) whose
  phrase removed from the name leaves a sibling's name; cues are the kind's cue words;
- an extension: the name is a sibling's name followed by a scoping clause ("cho …", "đối với …",
  "trong trường hợp …"); cues are the clause's own distinctive word pairs (rare among names).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from knowledge.naming import plain_name, qualifier_kinds, variant_key
from knowledge.text import fold

VARIANT_BEHIND = 0.999  # the yielding group's new score: just behind the one given its place
_EXTENSION_START = ("cho", "doi voi", "trong truong hop", "truong hop", "tai", "theo", "khi")
GENERIC_PAIR_SHARE = 0.01  # a word pair in more than 1% of names says nothing distinctive
EXTENSION_CUES_NEEDED = 2  # distinctive pairs of the clause a question must contain
_WORDS = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class NearVariant:
    kinds: frozenset[str]  # known qualifier kinds; empty for an extension
    cue_pairs: frozenset[str]  # for an extension: its distinctive word pairs ("a b")
    siblings: tuple[str, ...]  # plain sibling groups

    def cued(self, cued_kinds: frozenset[str], folded_question: str) -> bool:
        if self.kinds:
            return self.kinds <= cued_kinds
        words = _WORDS.findall(folded_question)
        pairs = {f"{a} {b}" for a, b in zip(words, words[1:])}
        return len(pairs & self.cue_pairs) >= EXTENSION_CUES_NEEDED


def _key(title: str) -> str:
    return " ".join(_WORDS.findall(fold(plain_name(title))))


def _pairs(text: str) -> set[str]:
    words = text.split()
    return {f"{a} {b}" for a, b in zip(words, words[1:])}


def near_variants(titles: dict[str, str]) -> dict[str, NearVariant]:
    """Per group whose name is a qualified form of another group's name: how, and of which."""
    keys = {group: _key(title) for group, title in titles.items()}
    by_key: dict[str, list[str]] = {}
    for group, key in keys.items():
        by_key.setdefault(key, []).append(group)
    pair_counts = Counter(p for key in set(keys.values()) for p in _pairs(key))
    generic = {p for p, n in pair_counts.items() if n > max(2, GENERIC_PAIR_SHARE * len(by_key))}
    kinds_of = {group: qualifier_kinds(title) for group, title in titles.items()}
    out: dict[str, NearVariant] = {}
    for group, title in titles.items():
        kinds = kinds_of[group]
        if kinds:
            plain_keys = {variant_key(title)}
            if "combined" in kinds:  # "A kết hợp B": both A and B are plainer
                plain_keys.update(part.strip() for part in keys[group].split(" ket hop "))
            siblings = tuple(g for k in plain_keys for g in by_key.get(k, ()) if g != group and not kinds_of[g] & kinds)
            if siblings:
                out[group] = NearVariant(kinds, frozenset(), tuple(dict.fromkeys(siblings)))
                continue
        words = keys[group].split()
        for cut in range(len(words) - 2, 1, -1):  # the longest plainer name this one extends
            base, rest = " ".join(words[:cut]), " ".join(words[cut:])
            if base in by_key and any(rest.startswith(start + " ") for start in _EXTENSION_START):
                cues = frozenset(_pairs(rest) - _pairs(base) - generic)
                if cues:
                    out[group] = NearVariant(frozenset(), cues, tuple(by_key[base]))
                break
    return out


def plain_variants_first(fused: dict[str, float], variants: dict[str, NearVariant], cued_kinds: frozenset[str],
                         folded_question: str) -> None:
    """Reorder each candidate near-variant against its best plain sibling among the candidates:
    without a cue of its qualifier it yields its place to the sibling and ranks just behind it;
    with the cue it takes the sibling's place. Scores are exchanged, not invented."""
    for group, variant in variants.items():
        if group not in fused:
            continue
        present = [s for s in variant.siblings if s in fused]
        if not present:
            continue
        plain = max(present, key=fused.__getitem__)
        cued = variant.cued(cued_kinds, folded_question)
        if cued and "age" in variant.kinds:
            continue  # a stated age already decides between age variants (indexer.search)
        first, second = (group, plain) if cued else (plain, group)
        if fused[second] >= fused[first]:
            fused[first], fused[second] = fused[second], fused[second] * VARIANT_BEHIND
