"""Leave-curation-out folds: the curated overlay with one fold of groups stripped of hand work.

Shared by the fold benchmark (`benchmarks.folds`, which measures) and the confidence fit
(`bot.tools.calibrate`, which learns from the dev questions answered this way): both must see a
curated procedure exactly as an import alone would know it, or the fit would learn from aliases
that a province importing thousands of procedures will never write.
"""

from __future__ import annotations

from knowledge.schema import Procedure

HAND_WRITTEN = {"aliases": (), "summary": "", "name_en": ""}


def fold_of_groups(groups: list[str], folds: int) -> dict[str, int]:
    """Group slug -> fold number: sorted slugs dealt round-robin, so folds are stable and even."""
    return {group: i % folds for i, group in enumerate(sorted(groups))}


def stripped(proc: Procedure, imported: Procedure | None) -> Procedure:
    """What an import alone knows of a curated procedure: the importer's record, else the curated
    record without its hand-written fields. The curated group is kept: groups are how `targets.json`
    names what a citizen wants, not something a citizen's question can match."""
    if imported is not None:
        return imported.model_copy(update={"group": proc.group})
    return proc.model_copy(update=HAND_WRITTEN)


def fold_overlay(curated: list[Procedure], national: dict[str, Procedure], left_out: set[str]) -> list[Procedure]:
    """The curated overlay with the procedures of `left_out` groups stripped of hand work."""
    return [stripped(p, national.get(p.code)) if p.group in left_out else p for p in curated]
