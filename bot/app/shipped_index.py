"""The bundled sample's index, shipped built so a fresh install answers without embedding anything.

`tthc index ship` builds it with the project's own build command (plus the intent model's weights)
into `bot/data/sample-index/`. It is used only when it is exactly what a build would produce now:
same catalogue content, same embedder, same index-building code (a hash of `indexer/` and the
text folding it relies on). Otherwise the index is built into the cache as for any catalogue, and
tests/test_shipped_index.py fails in CI until someone ships it again.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

from indexer.build import builder_fingerprint

SHIP_FILE = "ship.json"


def shipped_dir() -> Path:
    return Path(str(resources.files("bot"))) / "data" / "sample-index"


def sample_files_fingerprint() -> str:
    """Hash of the bundled sample's files as they lie on disk: cheap to compute at every start, so a
    fresh shipped index is used without parsing the catalogue (~0.8 s of YAML) first."""
    from knowledge.loaders import bundled_sample_path

    root = bundled_sample_path()
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _shipped_if(embedder_name: str, **expected: str) -> Path | None:
    """The shipped index when it was built with this embedder and the current code, and its records
    (manifest and ship record) hold the `expected` values."""
    root = shipped_dir()
    try:
        records = {**json.loads((root / "manifest.json").read_text()), **json.loads((root / SHIP_FILE).read_text())}
    except (OSError, ValueError):
        return None
    wanted = {"embedder": embedder_name, "builder": builder_fingerprint(), **expected}
    return root if all(records.get(key) == value for key, value in wanted.items()) else None


def shipped_for_bundled_sample(embedder_name: str) -> Path | None:
    """The shipped index when the bundled sample's files and the code are those it was built from."""
    return _shipped_if(embedder_name, sample_files=sample_files_fingerprint())


def shipped_for(catalogue_hash: str, embedder_name: str) -> Path | None:
    """The shipped index directory if it was built from this catalogue, embedder and code."""
    return _shipped_if(embedder_name, catalogue_hash=catalogue_hash)


def write_ship_record(root: Path) -> None:
    (root / SHIP_FILE).write_text(json.dumps({"builder": builder_fingerprint(), "sample_files": sample_files_fingerprint()},
                                             indent=1) + "\n")
