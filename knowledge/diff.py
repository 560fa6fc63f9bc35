"""What an import would change in a catalogue: added, changed (which fields), removed."""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.schema import Procedure

COMPARED_FIELDS = ("name", "group", "aliases", "summary", "field", "levels", "agency", "applicants", "documents",
                   "steps", "channels", "online", "legal_basis", "result", "conditions", "source_url")


@dataclass
class CatalogueDiff:
    added: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # code → changed field names
    removed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def diff_catalogues(old: dict[str, Procedure], new: dict[str, Procedure], replace: bool) -> CatalogueDiff:
    """`replace`: the new set is the whole catalogue, so codes missing from it are removed."""
    result = CatalogueDiff()
    for code, proc in sorted(new.items()):
        before = old.get(code)
        if before is None:
            result.added.append(code)
            continue
        fields = [name for name in COMPARED_FIELDS if getattr(before, name) != getattr(proc, name)]
        if fields:
            result.changed[code] = fields
    if replace:
        result.removed = sorted(set(old) - set(new))
    return result
