"""Group the level variants of one procedure (xã / tỉnh / bộ) under one slug.

The national database lists "Cấp lại thẻ căn cước" once per implementing level, with different
codes and names such as "… (thực hiện tại cấp tỉnh)". A citizen wants one answer and then picks the
level, so such records share a group: the name with level phrases removed, slugified.
"""

from __future__ import annotations

import re

from knowledge.text import fold, slugify

_LEVEL_PHRASES = re.compile(
    r"\(?\s*(?:thuc hien|thực hiện|giai quyet|giải quyết)?\s*(?:tai|tại|o|ở)?\s*"
    r"(?:cap|cấp)\s+(?:xa|xã|tinh|tỉnh|huyen|huyện|bo|bộ|trung uong|trung ương|tw|co so|cơ sở)\b\s*\)?",
    re.IGNORECASE,
)
_LEADING_THU_TUC = re.compile(r"^\s*thu tuc\s+")
_TRAILING_PUNCT = re.compile(r"[\s.;:,-]+$")


def group_key(name: str) -> str:
    """Slug shared by the level variants of a procedure name."""
    folded = fold(name)
    folded = _LEVEL_PHRASES.sub(" ", folded)
    folded = _LEADING_THU_TUC.sub("", folded)
    folded = _TRAILING_PUNCT.sub("", folded)
    return slugify(folded, max_length=160)
