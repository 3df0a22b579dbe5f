"""Seeded benchmark data in querylang's interchange format (README, "Interchange format").

Four classes cover every field type: ``User``; ``Post`` (String, Number, Boolean, Date, Array,
Object, Pointer → User, GeoPoint); ``Comment`` (``Owner`` Pointer → Post); ``Group`` (Relation
``posts`` → Post). Every optional field is missing on some records and an explicit null on
others. Vectorised with numpy, so scale L (1.1M records, 1M edges) generates in seconds.

    python -m benchmarks.generate --scale S --out /tmp/s.json
    python -m benchmarks.generate --scale XL            # a directory: benchmarks/data/XL-seed42-v1/
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

GENERATOR_VERSION = 1  # bump when the data changes, so caches in benchmarks/data/ are rebuilt
DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Scale:
    name: str
    users: int
    posts: int
    comments: int
    groups: int
    edges: int


SCALES = {
    "T": Scale("T", users=50, posts=200, comments=2_000, groups=20, edges=2_000),
    "S": Scale("S", users=1_000, posts=10_000, comments=100_000, groups=1_000, edges=100_000),
    "M": Scale("M", users=3_000, posts=30_000, comments=300_000, groups=3_000, edges=300_000),
    "L": Scale("L", users=10_000, posts=100_000, comments=1_000_000, groups=10_000, edges=1_000_000),
    # Written as a directory (README, "Interchange format"), never held as one document.
    "XL": Scale("XL", users=100_000, posts=1_000_000, comments=10_000_000, groups=100_000, edges=10_000_000),
}
DIRECTORY_SCALES = {"XL"}

WORDS = (
    "noodl parse query duck index relation pointer record filter script sort limit skip count "
    "array object date number string boolean geo point group post comment user cloud data node "
    "table column join plan cache arrow bulk load fast slow warm cold"
).split()
TAGS = [f"tag{i:02d}" for i in range(50)]
CATEGORIES = ["news", "howto", "review", "question", "announcement", "misc"]
LANGS = ["en", "fr", "de", "es", None]
FIRST = ["Ada", "Grace", "Linus", "Émile", "Zoë", "bob", "Ken", "Barbara", "Edsger", "Margaret"]

T0 = np.datetime64("2023-01-01T00:00:00.000", "ms")
SPAN_MS = 3 * 365 * 24 * 3600 * 1000  # three years


def post_id(i: int) -> str:
    return f"P{i:07d}"


def comment_id(i: int) -> str:
    return f"C{i:08d}"


def group_id(i: int) -> str:
    return f"G{i:06d}"


def user_id(i: int) -> str:
    return f"U{i:06d}"


SCHEMA: dict[str, Any] = {
    "User": {"fields": {"name": {"type": "String"}, "email": {"type": "String"}, "age": {"type": "Number"}}},
    "Post": {
        "fields": {
            "title": {"type": "String"},
            "category": {"type": "String"},
            "likes": {"type": "Number"},
            "rating": {"type": "Number"},
            "published": {"type": "Boolean"},
            "publishedAt": {"type": "Date"},
            "tags": {"type": "Array"},
            "meta": {"type": "Object"},
            "author": {"type": "Pointer", "targetClass": "User"},
            "location": {"type": "GeoPoint"},
        }
    },
    "Comment": {
        "fields": {
            "text": {"type": "String"},
            "likes": {"type": "Number"},
            "flagged": {"type": "Boolean"},
            "Owner": {"type": "Pointer", "targetClass": "Post"},
            "author": {"type": "Pointer", "targetClass": "User"},
        }
    },
    "Group": {
        "fields": {
            "name": {"type": "String"},
            "kind": {"type": "String"},
            "posts": {"type": "Relation", "targetClass": "Post"},
        }
    },
}


def _iso(ms: np.ndarray) -> list[str]:
    """Millisecond offsets from T0 → ISO-8601 strings with ``Z`` (vectorised)."""
    return [s + "Z" for s in np.datetime_as_string(T0 + ms.astype("timedelta64[ms]"), unit="ms").tolist()]


def _absence(rng: np.random.Generator, n: int, missing: float, null: float) -> np.ndarray:
    """Per record: 0 present, 1 explicit null, 2 missing."""
    u = rng.random(n)
    return np.where(u < missing, 2, np.where(u < missing + null, 1, 0)).astype(np.int8)


def _apply_absence(records: list[dict[str, Any]], name: str, state: np.ndarray) -> None:
    for i in np.flatnonzero(state == 1).tolist():
        records[i][name] = None
    for i in np.flatnonzero(state == 2).tolist():
        del records[i][name]


def _titles(rng: np.random.Generator, n: int, k: int) -> list[str]:
    words = np.array(WORDS, dtype=object)
    picks = words[rng.integers(len(WORDS), size=(n, k))]
    caps = rng.random(n) < 0.3  # some titles start with a capital: exercises the i flag
    out = [" ".join(row) for row in picks.tolist()]
    return [t.capitalize() if c else t for t, c in zip(out, caps.tolist(), strict=True)]


def _users(rng: np.random.Generator, start: int, nu: int) -> list[dict[str, Any]]:
    first = np.array(FIRST, dtype=object)[rng.integers(len(FIRST), size=nu)].tolist()
    ages = rng.integers(16, 90, size=nu).tolist()
    ucreated = _iso(rng.integers(0, SPAN_MS, size=nu))
    users = [
        {"objectId": user_id(start + i), "createdAt": ucreated[i], "name": first[i], "email": f"{first[i].lower()}{start + i}@example.org", "age": ages[i]}
        for i in range(nu)
    ]
    _apply_absence(users, "age", _absence(rng, nu, 0.1, 0.05))
    return users


def _posts(rng: np.random.Generator, start: int, npo: int, nu: int) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Posts start..start+npo-1 and their creation times (ms from T0)."""
    created_ms = rng.integers(0, SPAN_MS, size=npo)
    created = _iso(created_ms)
    published_at = _iso(created_ms + rng.integers(0, 30 * 86_400_000, size=npo))
    titles = _titles(rng, npo, 4)
    cats = np.array(CATEGORIES, dtype=object)[rng.integers(len(CATEGORIES), size=npo)].tolist()
    likes = np.minimum(rng.zipf(1.6, size=npo) - 1, 100_000).tolist()
    rating = np.round(rng.random(npo) * 5, 2).tolist()
    published = (rng.random(npo) < 0.7).tolist()
    authors = rng.integers(nu, size=npo).tolist()
    ntags = rng.integers(0, 5, size=npo)
    tag_idx = rng.integers(len(TAGS), size=(npo, 4)).tolist()
    views = rng.integers(0, 10_000, size=npo).tolist()
    langs = [LANGS[i] for i in rng.integers(len(LANGS), size=npo).tolist()]
    lat = np.round(rng.uniform(-80, 80, size=npo), 4).tolist()
    lng = np.round(rng.uniform(-170, 170, size=npo), 4).tolist()
    posts = []
    for i, nt in enumerate(ntags.tolist()):
        tags = list(dict.fromkeys(TAGS[t] for t in tag_idx[i][:nt]))
        meta: dict[str, Any] = {"views": views[i]}
        if langs[i] is not None:
            meta["lang"] = langs[i]
        posts.append(
            {
                "objectId": post_id(start + i),
                "createdAt": created[i],
                "title": titles[i],
                "category": cats[i],
                "likes": likes[i],
                "rating": rating[i],
                "published": published[i],
                "publishedAt": published_at[i],
                "tags": tags,
                "meta": meta,
                "author": user_id(authors[i]),
                "location": {"latitude": lat[i], "longitude": lng[i]},
            }
        )
    for name, missing, null in (
        ("title", 0.02, 0.01),
        ("category", 0.05, 0.02),
        ("likes", 0.05, 0.02),
        ("rating", 0.2, 0.05),
        ("published", 0.05, 0.02),
        ("publishedAt", 0.3, 0.05),
        ("tags", 0.1, 0.03),
        ("meta", 0.1, 0.03),
        ("author", 0.03, 0.01),
        ("location", 0.2, 0.05),
    ):
        _apply_absence(posts, name, _absence(rng, npo, missing, null))
    return posts, created_ms


def _comments(rng: np.random.Generator, start: int, nc: int, nu: int, post_created_ms: np.ndarray) -> list[dict[str, Any]]:
    npo = len(post_created_ms)
    owner = rng.integers(npo, size=nc)
    # a comment is written after its post
    c_ms = np.minimum(post_created_ms[owner] + rng.integers(0, 60 * 86_400_000, size=nc), SPAN_MS + 90 * 86_400_000)
    ccreated = _iso(c_ms)
    ctext = _titles(rng, nc, 3)
    clikes = np.minimum(rng.zipf(1.8, size=nc) - 1, 10_000).tolist()
    flagged = (rng.random(nc) < 0.05).tolist()
    cauthor = rng.integers(nu, size=nc).tolist()
    owner_l = owner.tolist()
    comments = [
        {
            "objectId": comment_id(start + i),
            "createdAt": ccreated[i],
            "text": ctext[i],
            "likes": clikes[i],
            "flagged": flagged[i],
            "Owner": post_id(owner_l[i]),
            "author": user_id(cauthor[i]),
        }
        for i in range(nc)
    ]
    for name, missing, null in (("likes", 0.05, 0.02), ("flagged", 0.1, 0.02), ("author", 0.02, 0.01), ("Owner", 0.005, 0.002)):
        _apply_absence(comments, name, _absence(rng, nc, missing, null))
    return comments


def _groups(rng: np.random.Generator, start: int, ng: int) -> list[dict[str, Any]]:
    gcreated = _iso(rng.integers(0, SPAN_MS, size=ng))
    gnames = _titles(rng, ng, 2)
    kinds = np.array(["public", "private", "secret"], dtype=object)[rng.integers(3, size=ng)].tolist()
    groups = [{"objectId": group_id(start + i), "createdAt": gcreated[i], "name": gnames[i], "kind": kinds[i]} for i in range(ng)]
    _apply_absence(groups, "kind", _absence(rng, ng, 0.1, 0.05))
    return groups


def _edge_pairs(rng: np.random.Generator, sc: Scale) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (group, post) index pairs, shuffled."""
    ng, npo = sc.groups, sc.posts
    pairs = np.empty(0, dtype=np.int64)
    while len(pairs) < sc.edges:
        want = (sc.edges - len(pairs)) * 11 // 10 + 16
        fresh = rng.integers(ng, size=want, dtype=np.int64) * npo + rng.integers(npo, size=want, dtype=np.int64)
        pairs = np.unique(np.concatenate([pairs, fresh]))
    pairs = rng.permutation(pairs)[: sc.edges]
    return np.divmod(pairs, npo)


def _edges(g_of: np.ndarray, p_of: np.ndarray) -> list[dict[str, Any]]:
    return [
        {"class": "Group", "objectId": group_id(g), "key": "posts", "targetId": post_id(p)}
        for g, p in zip(g_of.tolist(), p_of.tolist(), strict=True)
    ]


def generate(scale: str | Scale, seed: int = 42) -> dict[str, Any]:
    """The whole interchange document for one scale; same seed, same document."""
    sc = SCALES[scale] if isinstance(scale, str) else scale
    rng = np.random.default_rng(seed)
    users = _users(rng, 0, sc.users)
    posts, created_ms = _posts(rng, 0, sc.posts, sc.users)
    comments = _comments(rng, 0, sc.comments, sc.users, created_ms)
    groups = _groups(rng, 0, sc.groups)
    relations = _edges(*_edge_pairs(rng, sc))
    return {
        "classes": SCHEMA,
        "records": {"User": users, "Post": posts, "Comment": comments, "Group": groups},
        "relations": relations,
    }


DIR_CHUNK = 500_000  # records generated and written at a time


def write_directory(scale: str | Scale, out: Path, seed: int = 42) -> dict[str, int]:
    """The scale's data as an interchange directory (schema.json, <Class>.ndjson,
    relations.ndjson), generated and written a chunk at a time: memory stays bounded whatever
    the scale. Seeded like :func:`generate`, though not the same records (chunks draw in turn)."""
    import orjson

    sc = SCALES[scale] if isinstance(scale, str) else scale
    rng = np.random.default_rng(seed)
    tmp = out.with_name(out.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "schema.json").write_text(json.dumps({"classes": SCHEMA}, indent=1) + "\n", encoding="utf-8")
    counts: dict[str, int] = {}

    def write(name: str, chunks: Any) -> None:
        n = 0
        with (tmp / f"{name}.ndjson").open("wb") as fh:
            for recs in chunks:
                fh.write(b"\n".join(map(orjson.dumps, recs)) + b"\n")
                n += len(recs)
        counts[name] = n

    def parts(total: int) -> list[tuple[int, int]]:
        return [(s, min(DIR_CHUNK, total - s)) for s in range(0, total, DIR_CHUNK)]

    write("User", (_users(rng, s, k) for s, k in parts(sc.users)))
    created_parts: list[np.ndarray] = []

    def posts() -> Any:
        for s, k in parts(sc.posts):
            recs, created = _posts(rng, s, k, sc.users)
            created_parts.append(created)
            yield recs

    write("Post", posts())
    created_ms = np.concatenate(created_parts)
    write("Comment", (_comments(rng, s, k, sc.users, created_ms) for s, k in parts(sc.comments)))
    write("Group", (_groups(rng, s, k) for s, k in parts(sc.groups)))
    g_of, p_of = _edge_pairs(rng, sc)
    write("relations", (_edges(g_of[s : s + k], p_of[s : s + k]) for s, k in parts(sc.edges)))
    if out.exists():
        import shutil

        shutil.rmtree(out)
    tmp.replace(out)
    return counts


def record_count(doc: dict[str, Any]) -> int:
    return sum(len(v) for v in doc["records"].values())


def cache_path(scale: str, seed: int) -> Path:
    if scale in DIRECTORY_SCALES:
        return DATA_DIR / f"{scale}-seed{seed}-v{GENERATOR_VERSION}"
    return DATA_DIR / f"{scale}-seed{seed}-v{GENERATOR_VERSION}.json"


def directory_or_generate(scale: str, seed: int = 42) -> Path:
    """The interchange directory of a directory scale (XL), written once to benchmarks/data/."""
    path = cache_path(scale, seed)
    if not (path / "schema.json").exists():
        write_directory(scale, path, seed)
    return path


def load_or_generate(scale: str, seed: int = 42, *, cache: bool = True) -> dict[str, Any]:
    """The document for ``scale``: read from benchmarks/data/ when cached, else generated (and cached)."""
    path = cache_path(scale, seed)
    if cache and path.exists():
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    doc = generate(scale, seed)
    if cache and scale != "T":
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(doc, fh, ensure_ascii=False, separators=(",", ":"))
        tmp.replace(path)
    return doc


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=sorted(SCALES), default="S")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, help="write the document here (default: benchmarks/data/ cache)")
    ap.add_argument("--directory", action="store_true", help="write an interchange directory (always for XL)")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    if args.directory or args.scale in DIRECTORY_SCALES:
        out = args.out or cache_path(args.scale, args.seed)
        if out.suffix == ".json":
            out = out.with_suffix("")
        counts = write_directory(args.scale, out, args.seed)
        print(f"{args.scale}: {counts} in {time.perf_counter() - t:.1f} s -> {out}/")
        return
    doc = generate(args.scale, args.seed)
    took = time.perf_counter() - t
    out = args.out or cache_path(args.scale, args.seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, separators=(",", ":"))
    print(f"{args.scale}: {record_count(doc):,} records, {len(doc['relations']):,} edges in {took:.1f} s -> {out}")


if __name__ == "__main__":
    main()
