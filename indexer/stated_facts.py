"""Facts a question states that a procedure is written for: an age, a business's legal form,
whether the person it is about is one of the police's or the armed forces' own people, and whether
it already has the paper a procedure re-issues, exchanges or extends.

Retrieval reads a question as a whole, so a stated fact that contradicts a name is outweighed by
the words the two share: "con tôi mới 10 tuổi" against "… từ đủ 14 tuổi trở lên", a question
about closing a hộ kinh doanh against "Giải thể doanh nghiệp". After fusion each group's score is
scaled by whether its name agrees with what the question states; a question that states nothing changes nothing.
Read from the names alone, so it holds for any imported catalogue. The one fact read elsewhere is
a sector's own people: the police's "Cấp thẻ bảo hiểm y tế" has a name as plain as anyone's, and
only its applicants and first step ("Sĩ quan, hạ sĩ quan, chiến sĩ …") say who it serves; it steps
back when the question names no such person. Who files a procedure is read from its applicants as
well: one that only organisations, agencies or their officials file steps back when the question
says no organisation asks. The last is read from a name's leading action:
"Cấp lại", "Gia hạn" or "Xóa đăng ký" presuppose a paper or a registration, and such names step
back a little when the question says nothing of one it has or of what happened to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from knowledge.naming import plain_name
from knowledge.safe_read import read_bundled_yaml
from knowledge.text import alternation, fold, nfc

_AGE_UNDER = re.compile(r"\bduoi (\d{1,3}) tuoi\b")
_AGE_FROM = re.compile(r"\b(?:tu du|tu|du) (\d{1,3}) tuoi(?: tro len)?\b")
_QUERY_AGE = re.compile(r"\b(\d{1,3}) tuoi\b")
AGE_MATCH, AGE_MISMATCH = 1.15, 0.6
# A name written only for other legal forms than the one the question states: as strong as a
# wrong age (national dev top-1 0.664 → 0.668; validation 0.702 → 0.706; catalogue-wide 0.741 →
# 0.744; overlay dev 0.855 → 0.860; sample 0.916 → 0.921; 0.85 changed less: docs/retrieval.md).
FORM_MISMATCH = 0.6
# A procedure for the police's or the armed forces' own people, asked about by a question that names
# none of them: as strong as the other stated facts.
STAFF_UNCUED = 0.6
# A name that presupposes a paper the question does not mention having: a tenth, like a name for
# foreigners the question does not cue (indexer.variants). Chosen on dev (national top-1 0.687 →
# 0.692 at 0.9 and 0.95, 0.687 at 0.85; docs/retrieval.md).
EXISTING_UNCUED = 0.9
# A procedure no private person files ("Tổ chức (không bao gồm doanh nghiệp, HTX)"; a court's
# officials), asked about by a question that names no organisation, agency or official. Chosen on
# dev (docs/retrieval.md).
NO_PERSON_UNCUED = 0.8
ACTING_CHARS = 300  # the start of the first step says who acts ("Bước 1: Sĩ quan, hạ sĩ quan, …")


def age_range(folded_title: str) -> tuple[int, int] | None:
    """Age bounds a procedure's name states ("dưới 14 tuổi", "từ đủ 14 tuổi trở lên"), [low, high)."""
    if m := _AGE_UNDER.search(folded_title):
        return 0, int(m.group(1))
    if m := _AGE_FROM.search(folded_title):
        return int(m.group(1)), 200
    return None


def stated_age(folded_query: str) -> int | None:
    """The age a citizen states ("con tôi mới 10 tuổi"), if exactly one is stated."""
    ages = {int(a) for a in _QUERY_AGE.findall(folded_query)}
    return ages.pop() if len(ages) == 1 else None


@dataclass(frozen=True)
class LegalForm:
    key: str
    name: re.Pattern[str]  # any of the words that write a name for this form, folded, whole words
    cues: re.Pattern[str]  # any of the words by which a question states it


def _any_of(terms: list[str], where: str, form: Callable[[str], str] = fold, anywhere: bool = True) -> re.Pattern[str]:
    """Whole-word pattern of `terms` as `form` writes them (folded unless said), found anywhere in a
    text, or at its start only (`anywhere=False`, used with `match`)."""
    words = {form(t).strip() for t in terms if t.strip()}
    if not words:  # an empty alternation would match every text
        raise ValueError(f"indexer/data/{where} lists no words")
    return re.compile((r"(?<!\w)" if anywhere else "") + f"(?:{alternation(words)})" + r"(?!\w)")


@lru_cache(maxsize=1)
def bundled_legal_forms() -> tuple[LegalForm, ...]:
    """The forms of `indexer/data/legal_forms.yaml`."""
    data = read_bundled_yaml("indexer", "legal_forms.yaml")
    return tuple(LegalForm(key, _any_of(spec.get("name") or [], f"legal_forms.yaml: {key}.name"),
                           _any_of(spec.get("cues") or [], f"legal_forms.yaml: {key}.cues"))
                 for key, spec in data.items())


def named_forms(folded_title: str, forms: tuple[LegalForm, ...]) -> frozenset[str]:
    """The legal forms a procedure's name is written for (none for most names)."""
    return frozenset(f.key for f in forms if f.name.search(folded_title))


def stated_forms(folded_query: str, forms: tuple[LegalForm, ...]) -> frozenset[str]:
    """The legal forms a question states."""
    return frozenset(f.key for f in forms if f.cues.search(folded_query))


@dataclass(frozen=True)
class OwnStaff:
    acting: re.Pattern[str]  # a procedure's applicant is one of a sector's own people
    cues: re.Pattern[str]  # a question names such a person


@lru_cache(maxsize=1)
def bundled_own_staff() -> OwnStaff:
    """The words of `indexer/data/own_staff.yaml`."""
    data = read_bundled_yaml("indexer", "own_staff.yaml")
    return OwnStaff(_any_of(data.get("acting") or [], "own_staff.yaml: acting"),
                    _any_of(data.get("cues") or [], "own_staff.yaml: cues"))


def serves_own_staff(applicants: str, first_step: str, staff: OwnStaff | None = None) -> bool:
    """Is the one who acts in this procedure a member of the police or the armed forces? Read from
    its applicants and the start of its first step, so an imported catalogue gets it with no hand work."""
    staff = bundled_own_staff() if staff is None else staff
    return staff.acting.search(fold(f"{applicants} {first_step[:ACTING_CHARS]}")) is not None


@dataclass(frozen=True)
class Filers:
    persons: re.Pattern[str]  # an applicants list names a private person, folded
    cues: re.Pattern[str]  # a question says an organisation, an agency or an official asks, with marks


@lru_cache(maxsize=1)
def bundled_filers() -> Filers:
    """The words of `indexer/data/filers.yaml`."""
    data = read_bundled_yaml("indexer", "filers.yaml")
    return Filers(_any_of(data.get("persons") or [], "filers.yaml: persons"),
                  _any_of(data.get("cues") or [], "filers.yaml: cues", _marked))


def filed_by_no_person(applicants: str, filers: Filers | None = None) -> bool:
    """Do this procedure's applicants name only organisations, agencies or their officials? An
    empty list says nothing (the sample's and a province's own records may leave it out)."""
    filers = bundled_filers() if filers is None else filers
    return bool(applicants.strip()) and filers.persons.search(fold(applicants)) is None


def groups_no_person_files(flags: Iterable[tuple[str, bool]]) -> frozenset[str]:
    """Groups every procedure of which no private person files (`flags`: group, `filed_by_no_person`
    per procedure): a group with one level a person files stays a person's."""
    by_group: dict[str, bool] = {}
    for group, no_person in flags:
        by_group[group] = by_group.get(group, True) and no_person
    return frozenset(group for group, all_organisational in by_group.items() if all_organisational)


@dataclass(frozen=True)
class ExistingPaper:
    actions: re.Pattern[str]  # how a name done to a paper one has begins ("cấp lại"), with marks
    cues: re.Pattern[str]  # words by which a question says it has one, on its restored text


def _marked(text: str) -> str:
    return nfc(text).lower()


@lru_cache(maxsize=1)
def bundled_existing_paper() -> ExistingPaper:
    """The words of `indexer/data/existing_paper.yaml`. Both keep their marks: folded, "đổi" would
    begin every "Thủ tục đối với …", "lại" be the "lái" of every driving licence and "cũ" the "cư" of
    every residence question."""
    return existing_paper_from(read_bundled_yaml("indexer", "existing_paper.yaml"))


def existing_paper_from(data: Mapping[str, list[str]]) -> ExistingPaper:
    """Checked words of an `existing_paper.yaml`: either list empty would change every question."""
    return ExistingPaper(_any_of(data.get("actions") or [], "existing_paper.yaml: actions", _marked, anywhere=False),
                         _any_of(data.get("cues") or [], "existing_paper.yaml: cues", _marked))


def presupposes_paper(title: str, existing: ExistingPaper) -> bool:
    """Does this name begin with an action done to a paper someone already has ("Cấp lại …")?"""
    return existing.actions.match(_marked(plain_name(title))) is not None


class StatedFacts:
    """What the procedure names of one catalogue state, read once when an index is loaded."""

    def __init__(self, titles: Mapping[str, str], forms: tuple[LegalForm, ...] | None = None,
                 own_staff: frozenset[str] = frozenset(), staff: OwnStaff | None = None,
                 existing: ExistingPaper | None = None, no_person: frozenset[str] = frozenset(),
                 filers: Filers | None = None):
        """`titles`: each procedure group's name; `own_staff`: the groups serving a sector's own people;
        `no_person`: the groups no private person files."""
        self.own_staff, self.staff = own_staff, (bundled_own_staff() if staff is None else staff)
        self.no_person, self.filers = no_person, (bundled_filers() if filers is None else filers)
        self.existing = bundled_existing_paper() if existing is None else existing
        self.presupposing = frozenset(g for g, title in titles.items() if presupposes_paper(title, self.existing))
        self.forms = bundled_legal_forms() if forms is None else forms
        folded = {group: fold(title) for group, title in titles.items()}
        self.ages = {g: bounds for g, t in folded.items() if (bounds := age_range(t)) is not None}
        self.group_forms = {g: named for g, t in folded.items() if (named := named_forms(t, self.forms))}

    def weigh(self, fused: dict[str, float], folded_query: str, restored_query: str | None = None) -> None:
        """Scale fused scores in place by whether each group's name agrees with the question.

        An age decides between names that differ only by age, up or down; a legal form only
        demotes a name written for other forms alone ("… doanh nghiệp, hợp tác xã, hộ kinh
        doanh" agrees with each of them). A paper the question has is read from its restored
        text (`restored_query`, with marks), and only when that is given; so is an organisation asking."""
        if (age := stated_age(folded_query)) is not None:
            for group in fused:
                if (bounds := self.ages.get(group)) is not None:
                    fused[group] *= AGE_MATCH if bounds[0] <= age < bounds[1] else AGE_MISMATCH
        if stated := stated_forms(folded_query, self.forms):
            for group in fused:
                if (named := self.group_forms.get(group)) and not named & stated:
                    fused[group] *= FORM_MISMATCH
        if self.own_staff and not self.staff.cues.search(folded_query):
            for group in self.own_staff & fused.keys():
                fused[group] *= STAFF_UNCUED
        if restored_query is None:
            return
        marked = _marked(restored_query)
        if not self.existing.cues.search(marked):
            for group in self.presupposing & fused.keys():
                fused[group] *= EXISTING_UNCUED
        if self.no_person and not self.filers.cues.search(marked):
            for group in self.no_person & fused.keys():
                fused[group] *= NO_PERSON_UNCUED
