"""The kind of action a question asks for, against the action a candidate's name begins with.

The catalogue names one object once per action: "Thủ tục yêu cầu trợ giúp pháp lý" and "Thủ tục
rút yêu cầu trợ giúp pháp lý …", "Cấp Giấy phép vận chuyển hàng hóa nguy hiểm …" and "Điều chỉnh
thông tin trên Giấy phép vận chuyển …". Retrieval matches the object the names share, and the
plain name, shorter, usually wins. A citizen names the action in their own words ("hủy" for
"rút", "sửa" for "điều chỉnh", "bán" for "chuyển nhượng"), which `indexer.variants`'s action
siblings cannot read: they need the name's own action word and exactly the same object.

One rule, from the names' structure and a shared list of action kinds (`data/action_kinds.yaml`),
no per-procedure data: when the question asks for a kind of action that the first candidate's
name does not name near its start, and one of the next candidates begins with that kind and
shares most of its object with the first, the two exchange places (scores are exchanged, not
invented, as the near-variant rules do).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from indexer.variants import VARIANT_BEHIND  # the yielding group lands just behind, as for near-variants
from knowledge.naming import plain_name
from knowledge.safe_read import read_bundled_yaml
from knowledge.text import alternation, fold, nfc

CANDIDATES_CHECKED = 3  # the first candidate and the two behind it: a clarifying question's choices
HEAD_WORDS = 5  # an action named this early in the first candidate's name is its action
# the share of a candidate's object words (after its action) the first candidate's name must hold:
# "Điều chỉnh thông tin trên Giấy phép vận chuyển hàng hóa nguy hiểm" against "Cấp Giấy phép vận
# chuyển hàng hóa nguy hiểm", not "Thay đổi, cải chính … thông tin hộ tịch" against anything with "thông tin"
SHARED_OBJECT = 0.35
_BEFALLEN = ("bị", "được")  # "bị thu hồi chứng chỉ": what happened to the asker, not what they ask


def _marked(text: str) -> str:
    return " ".join(nfc(text).lower().split())


@dataclass(frozen=True)
class ActionKind:
    name: str
    starts: re.Pattern[str]  # matched at the start of a name, with marks
    anywhere: re.Pattern[str]  # the same phrases as whole words anywhere (the first candidate's head)
    asked: re.Pattern[str]  # whole words of a question, with marks, not right after `_BEFALLEN`


def _kind(name: str, spec: Mapping[str, list[str]]) -> ActionKind:
    names = {_marked(p) for p in spec.get("names") or [] if p.strip()}  # `alternation` puts the longest first
    asked = {_marked(p) for p in spec.get("asked") or [] if p.strip()}
    if not names or not asked:  # an empty alternation would match every text
        raise ValueError(f"indexer/data/action_kinds.yaml: {name} needs both names and asked words")
    befallen = "".join(rf"(?<!{re.escape(word)} )" for word in _BEFALLEN)
    return ActionKind(name, re.compile(rf"(?:{alternation(names)})(?!\w)"),
                      re.compile(rf"(?<!\w)(?:{alternation(names)})(?!\w)"),
                      re.compile(rf"(?<!\w){befallen}(?:{alternation(asked)})(?!\w)"))


@lru_cache(maxsize=1)
def bundled_action_kinds() -> tuple[ActionKind, ...]:
    return tuple(_kind(name, spec) for name, spec in read_bundled_yaml("indexer", "action_kinds.yaml").items())


@dataclass(frozen=True)
class _Named:
    kind: str | None  # the kind the name begins with
    head: str  # its first HEAD_WORDS words, with marks
    words: frozenset[str]  # its folded words
    object_words: frozenset[str]  # its folded words after the leading action


class AskedActions:
    """The action kinds of one catalogue's names, read once when an index is loaded."""

    def __init__(self, titles: Mapping[str, str], kinds: tuple[ActionKind, ...] | None = None):
        self.kinds = bundled_action_kinds() if kinds is None else kinds
        self.names = {group: self._read(title) for group, title in titles.items()}

    def _read(self, title: str) -> _Named:
        marked = _marked(plain_name(title))
        kind, rest = None, marked
        for action in self.kinds:
            if m := action.starts.match(marked):
                kind, rest = action.name, marked[m.end():]
                break
        return _Named(kind, " ".join(marked.split()[:HEAD_WORDS]), frozenset(_words(marked)), frozenset(_words(rest)))

    def asked(self, restored_question: str) -> frozenset[str]:
        """The kinds of action the question asks for, read on its restored text (marks restored,
        and the official terms the lexicon appends: "sang tên sổ đỏ" brings its "chuyển nhượng")."""
        marked = _marked(restored_question)
        return frozenset(k.name for k in self.kinds if k.asked.search(marked))

    def first(self, fused: dict[str, float], restored_question: str) -> None:
        """Put the candidate whose name begins with the asked action in the first one's place."""
        asked = self.asked(restored_question)
        if not asked or not fused:
            return
        order = heapq.nlargest(CANDIDATES_CHECKED, fused, key=fused.__getitem__)
        top = self.names.get(order[0])
        if top is None or any(k.anywhere.search(top.head) for k in self.kinds if k.name in asked):
            return
        for group in order[1:]:
            named = self.names.get(group)
            if named is None or named.kind not in asked or not named.object_words:
                continue
            if len(named.object_words & top.words) / len(named.object_words) >= SHARED_OBJECT:
                fused[group], fused[order[0]] = fused[order[0]], fused[order[0]] * VARIANT_BEHIND
                return


def _words(marked: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", fold(marked))
