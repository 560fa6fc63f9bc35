"""Training pairs for the topic-change model, generated from the catalogue and our own wording.

Why generated: a follow-up ("còn lệ phí thì sao") and a new question differ in what they carry
(an object of their own or not), not in the procedure they are about, so pairs can be built from
any catalogue. Each pair is (previous question, next message, label): label 1 = the next message
continues the previous topic, 0 = it stands on its own (another procedure, or off-topic). Fully
deterministic (no random generator): the stored model records a hash of the pairs, and a test
regenerates them to prove the stored weights still belong to this code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

from bot.engine.cues import cues
# the cue file's question shapes only: the intent classifier's written templates (many short
# aspect questions) are that model's data, and changing them would change these pairs as well
from bot.engine.intents import CUE_TEMPLATES
from knowledge.safe_read import parse_bundled_yaml
from knowledge.schema import Catalogue
from knowledge.text import fold


@dataclass(frozen=True)
class Pair:
    previous: str
    message: str
    label: int  # 1 follow-up, 0 a message of its own
    kind: str  # "aspect", "fact", "new", "off_topic": for inspection only


def training_text() -> str:
    return (resources.files("bot") / "data" / "topic_training.yaml").read_text(encoding="utf-8")


def _phrase(proc_name: str) -> str:
    return proc_name[:1].lower() + proc_name[1:] if not proc_name[:2].isupper() else proc_name


def _aspect_cues() -> list[str]:
    """Aspect phrases that state an aspect on their own (weight ≥ 3), in file order."""
    return [str(p) for weighted in cues()["aspects"].values() for p, w in weighted.items() if int(w) >= 3]


def generate_pairs(catalogue: Catalogue, every: int = 2) -> list[Pair]:
    """For every `every`-th procedure group, after one question about it: an aspect follow-up, a
    fact follow-up, two new questions about other groups and one off-topic message. (Every
    second group gives ~270 pairs: plenty for thirteen inputs, and each pair costs three searches.)"""
    material = parse_bundled_yaml(training_text())
    frames, facts, off_topic = material["follow_up_frames"], material["follow_up_facts"], material["off_topic"]
    aspects = _aspect_cues()
    groups: dict[str, list[str]] = {}
    for proc in sorted(catalogue.procedures, key=lambda p: p.code):
        groups.setdefault(proc.group, []).extend([proc.name, *proc.aliases])
    names = sorted(groups)
    pairs: list[Pair] = []
    for n, group in enumerate(names, start=1):
        if (n - 1) % every:
            continue
        phrases = groups[group]
        previous = CUE_TEMPLATES[(n * 5) % len(CUE_TEMPLATES)].format(x=_phrase(phrases[n % len(phrases)]))
        previous = fold(previous) if n % 4 == 0 else previous
        aspect = frames[(n * 3) % len(frames)].format(cue=aspects[(n * 7) % len(aspects)])
        pairs.append(Pair(previous, fold(aspect) if n % 3 == 0 else aspect, 1, "aspect"))
        fact = facts[n % len(facts)]
        pairs.append(Pair(previous, fold(fact) if n % 3 == 1 else fact, 1, "fact"))
        for k in (1, 2):
            other = names[(n + k * 17 + (n * 13) % max(1, len(names) - 1)) % len(names)] if len(names) > 1 else group
            other_phrase = _phrase(groups[other][(n + k) % len(groups[other])])
            new = CUE_TEMPLATES[(n * 11 + k * 3) % len(CUE_TEMPLATES)].format(x=other_phrase)
            pairs.append(Pair(previous, fold(new) if (n + k) % 4 == 1 else new, 0 if other != group else 1, "new"))
        pairs.append(Pair(previous, off_topic[n % len(off_topic)], 0, "off_topic"))
    return pairs


def pairs_digest(pairs: list[Pair]) -> str:
    """What the stored model was fitted on, in one short string."""
    joined = "\n".join(f"{p.label}\x1f{p.previous}\x1f{p.message}" for p in pairs)
    return hashlib.sha256(joined.encode()).hexdigest()[:16]
