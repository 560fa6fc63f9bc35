"""Near-variants: procedures whose names differ from a plainer sibling only by a qualifier.

The catalogue lists "Đăng ký kết hôn" beside "… có yếu tố nước ngoài", "… lưu động", "Đăng ký khai
sinh kết hợp đăng ký nhận cha, mẹ, con" and "Đăng ký khai sinh cho người đã có hồ sơ, giấy tờ cá
nhân". A question matches what such names share, so retrieval alone ranks them by noise. One rule,
read from the names' structure only (no per-procedure data): the plain sibling comes first unless
the question carries a cue of the qualifier; with the cue, the qualified one comes first.

Two kinds of qualifier are recognised:
- a known kind (knowledge.naming.QUALIFIER_KINDS: abroad, foreign, mobile, combined, linked, age) whose
  phrase removed from the name leaves a sibling's name; cues are the kind's cue words;
- an extension: the name is a sibling's name followed by a scoping clause ("cho …", "đối với …",
  "trong trường hợp …"); cues are the clause's own distinctive word pairs (rare among names).

A name only for foreigners or people abroad with no plain sibling still steps back a little when
the question says nothing foreign (`uncued_narrowing_behind`). Action siblings ("Cấp", "Cấp lại",
"Đổi" one paper) are ordered by the action the question names (`named_action_first`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from knowledge.naming import plain_words, qualifier_kinds, variant_key
from knowledge.text import fold

VARIANT_BEHIND = 0.999  # the yielding group's new score: just behind the one given its place
_EXTENSION_START = ("cho", "doi voi", "trong truong hop", "truong hop", "tai", "theo", "khi")
GENERIC_PAIR_SHARE = 0.01  # a word pair in more than 1% of names says nothing distinctive
EXTENSION_CUES_NEEDED = 2  # distinctive pairs of the clause a question must contain (all, when it has fewer)
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
        return len(pairs & self.cue_pairs) >= min(EXTENSION_CUES_NEEDED, len(self.cue_pairs))


def _pairs(text: str) -> set[str]:
    words = text.split()
    return {f"{a} {b}" for a, b in zip(words, words[1:])}


def near_variants(titles: dict[str, str]) -> dict[str, tuple[NearVariant, ...]]:
    """Per group whose name is a qualified form of other groups' names: how, and of which. A name
    can qualify two plainer ones at once: "Đăng ký khai sinh có yếu tố nước ngoài cho người đã có
    hồ sơ, giấy tờ cá nhân" is the foreign form of "Đăng ký khai sinh cho người đã có hồ sơ…" and
    an extension of "Đăng ký khai sinh có yếu tố nước ngoài"; it yields to each unless cued."""
    keys = {group: plain_words(title) for group, title in titles.items()}  # "… ở trong nước" is a plain name
    by_key: dict[str, list[str]] = {}
    for group, key in keys.items():
        by_key.setdefault(key, []).append(group)
    pair_counts = Counter(p for key in set(keys.values()) for p in _pairs(key))
    generic = {p for p, n in pair_counts.items() if n > max(2, GENERIC_PAIR_SHARE * len(by_key))}
    kinds_of = {group: qualifier_kinds(title) for group, title in titles.items()}
    out: dict[str, tuple[NearVariant, ...]] = {}
    for group, title in titles.items():
        relations: list[NearVariant] = []
        kinds = kinds_of[group]
        if kinds:
            plain_keys = {variant_key(title)}
            if "combined" in kinds:  # "A kết hợp B": both A and B are plainer
                plain_keys.update(part.strip() for part in keys[group].split(" ket hop "))
            siblings = tuple(g for k in plain_keys for g in by_key.get(k, ()) if g != group and not kinds_of[g] & kinds)
            if siblings:
                relations.append(NearVariant(kinds, frozenset(), tuple(dict.fromkeys(siblings))))
        words = keys[group].split()
        for cut in range(len(words) - 2, 1, -1):  # the longest plainer name this one extends
            base, rest = " ".join(words[:cut]), " ".join(words[cut:])
            if base in by_key and any(rest.startswith(start + " ") for start in _EXTENSION_START):
                cues = frozenset(_pairs(rest) - _pairs(base) - generic)
                if cues:
                    relations.append(NearVariant(frozenset(), cues, tuple(by_key[base])))
                break
        if relations:
            out[group] = tuple(relations)
    return out


def plain_variants_first(fused: dict[str, float], variants: dict[str, tuple[NearVariant, ...]], cued_kinds: frozenset[str],
                         folded_question: str) -> None:
    """Reorder each candidate near-variant against its best plain sibling among the candidates:
    without a cue of its qualifier it yields its place to the sibling and ranks just behind it;
    with the cue it takes the sibling's place. Scores are exchanged, not invented."""
    for group, relations in variants.items():
        if group not in fused:
            continue
        for variant in relations:
            present = [s for s in variant.siblings if s in fused]
            if not present:
                continue
            plain = max(present, key=fused.__getitem__)
            cued = variant.cued(cued_kinds, folded_question)
            if cued and "age" in variant.kinds:
                continue  # a stated age already decides between age variants (indexer.stated_facts)
            first, second = (group, plain) if cued else (plain, group)
            if fused[second] >= fused[first]:
                fused[first], fused[second] = fused[second], fused[second] * VARIANT_BEHIND


# A name for foreigners or for Vietnamese living abroad ("… cho người nước ngoài", "… ở nước
# ngoài") serves a case the citizen would say. With a plain sibling it yields to it (above); without
# one it still steps back a little when the question says nothing foreign, so a foreigner's
# residence declaration does not answer every story about someone staying somewhere.
# Other kinds (mobile, combined) only qualify a sibling and stay as they are. Dev, national: top-1
# 0.645 → 0.650, top-3 0.780 → 0.785; sample and overlay unchanged. At 0.8 the sample gained one
# question and national intent lost one; at 0.7 national top-1 fell back to 0.640.
NARROWING_KINDS = frozenset({"foreign", "abroad"})
UNCUED_NARROWING = 0.9
# a name that lists citizens or Vietnamese papers too ("… cho công dân Việt Nam, người nước ngoài …",
# "… hộ gia đình, cá nhân, người Việt Nam định cư ở nước ngoài", "giấy tờ do cơ quan … của Việt Nam;
# … của nước ngoài") serves everyone it lists
_DOMESTIC = re.compile(r"\b(?:cong dan viet nam|ho gia dinh|ca nhan|trong nuoc|cua viet nam|nguoi viet nam(?! dinh cu))\b")


def narrowing_kinds(titles: dict[str, str]) -> dict[str, frozenset[str]]:
    """Per group whose name serves only foreigners or people abroad: which of those kinds it names."""
    return {group: kinds for group, title in titles.items()
            if (kinds := qualifier_kinds(title) & NARROWING_KINDS) and not _DOMESTIC.search(fold(title))}


def uncued_narrowing_behind(fused: dict[str, float], narrowing: Mapping[str, frozenset[str]], cued_kinds: frozenset[str]) -> None:
    """Groups named for a case the question does not mention lose a tenth of their score."""
    for group, kinds in narrowing.items():
        if group in fused and not kinds & cued_kinds:
            fused[group] *= UNCUED_NARROWING


def cued_variants_of(variants: Mapping[str, tuple[NearVariant, ...]], group: str, cued_kinds: frozenset[str],
                     folded_message: str) -> frozenset[str]:
    """The near-variants of `group` whose qualifier the message itself cues: "vợ tôi là người Hàn"
    after a question about registering a marriage names the marriage with a foreign element."""
    return frozenset(g for g, relations in variants.items()
                     if any(group in v.siblings and v.cued(cued_kinds, folded_message) for v in relations))


REISSUE = "cap lai"  # folded "cấp lại": what a lost or spoilt paper asks for (indexer/data/lexicon.yaml)
_AGAIN = " lai"  # the folded "lại" that ends an action done again: "đăng ký lại", "cấp lại"
ACTION_WORDS_MAX = 3  # "cấp", "cấp lại", "đăng ký lại", "chấm dứt hoạt động": a name's leading action
OBJECT_WORDS_MIN = 2  # what the action applies to must say something ("giấy phép lái xe", not "xe")


@dataclass(frozen=True)
class ActionSiblings:
    """Procedures that do different things to the same object: "Cấp", "Cấp lại", "Đổi" giấy phép
    lái xe. Retrieval matches the object they share and ranks them by noise; the action the
    question names ("cấp lại", or "bị mất", which the lexicon reads as "cấp lại") decides."""

    actions: tuple[tuple[str, str], ...]  # (folded action phrase, group), longest phrase first

    @cached_property  # a frozen dataclass keeps its __dict__, where this is stored once
    def bases(self) -> frozenset[str]:
        """Actions that another action of the family starts with ("cấp" of "cấp lại")."""
        phrases = {a for a, _ in self.actions}
        return frozenset(a for a in phrases if any(b != a and b.startswith(a + " ") for b in phrases))

    def named(self, named_actions: frozenset[str]) -> str | None:
        """The group whose action the question names (`named_actions`); the longest named action
        wins ("cấp lại" over "cấp"), and a tie between different groups decides nothing. A base
        action that a sibling's action extends ("cấp", "đăng ký") never wins: a story names it in
        passing ("we registered our marriage long ago, the certificate is lost"), and retrieval
        already prefers the plain name when nothing more is said."""
        named = [(len(a.split()), g) for a, g in self.actions if a in named_actions and a not in self.bases]
        if not named and REISSUE in named_actions:
            # "cấp lại" (or a loss, which the lexicon reads as it) where this family's doing-again is
            # another verb: "giấy kết hôn bị mất" asks for "đăng ký lại kết hôn"
            named = [(len(a.split()), g) for a, g in self.actions if a.endswith(_AGAIN)]
        if not named:
            return None
        longest = max(n for n, _ in named)
        winners = {g for n, g in named if n == longest}
        return winners.pop() if len(winners) == 1 else None


def action_siblings(titles: dict[str, str]) -> dict[str, ActionSiblings]:
    """Per group: the set of groups whose names are another leading action on the same object."""
    by_object: dict[str, list[tuple[str, str]]] = {}
    for group, title in titles.items():
        words = plain_words(title).split()
        for cut in range(1, ACTION_WORDS_MAX + 1):
            if len(words) - cut >= OBJECT_WORDS_MIN:
                by_object.setdefault(" ".join(words[cut:]), []).append((" ".join(words[:cut]), group))
    out: dict[str, ActionSiblings] = {}
    for pairs in by_object.values():
        groups = {g for _, g in pairs}
        actions = {a for a, _ in pairs}
        if len(groups) < 2 or len(actions) < 2:
            continue
        siblings = ActionSiblings(tuple(sorted(set(pairs), key=lambda p: (-len(p[0].split()), p))))
        for group in groups:
            previous = out.get(group)
            if previous is None or len(siblings.actions) > len(previous.actions):
                out[group] = siblings
    return out


def named_actions(folded_question: str, vocabulary: frozenset[str]) -> frozenset[str]:
    """Actions the question names, read longest first: in "… cấp lại" the action is "cấp lại",
    not "cấp" as well."""
    words = _WORDS.findall(folded_question)
    found: set[str] = set()
    i = 0
    while i < len(words):
        for n in range(min(ACTION_WORDS_MAX, len(words) - i), 0, -1):
            phrase = " ".join(words[i:i + n])
            if phrase in vocabulary:
                found.add(phrase)
                i += n
                break
        else:
            i += 1
    return frozenset(found)


def action_vocabulary(siblings: dict[str, ActionSiblings]) -> frozenset[str]:
    return frozenset(a for family in siblings.values() for a, _ in family.actions)


def named_action_first(fused: dict[str, float], siblings: dict[str, ActionSiblings], folded_question: str,
                       vocabulary: frozenset[str] | None = None) -> None:
    """Among candidate action siblings, the one whose action the question names takes the best
    sibling's place; the others keep their order behind it. Scores are exchanged, not invented."""
    named_in_question = named_actions(folded_question, vocabulary if vocabulary is not None else action_vocabulary(siblings))
    done: set[int] = set()
    for group in sorted(fused, key=fused.__getitem__, reverse=True)[:CANDIDATES_CHECKED]:
        family = siblings.get(group)
        if family is None or id(family) in done:
            continue
        done.add(id(family))
        winner = family.named(named_in_question)
        if winner is None or winner not in fused:
            continue
        present = [g for _, g in family.actions if g in fused and g != winner]
        if not present:
            continue
        best = max(present, key=fused.__getitem__)
        if fused[best] > fused[winner]:
            fused[winner], fused[best] = fused[best], fused[best] * VARIANT_BEHIND


CANDIDATES_CHECKED = 10  # families among the top fused groups; beyond them the order does not reach a reply
