"""Vulnerability DB benchmark: build from the shared snapshot, match 1 000 components, peak RSS.

Run:  .venv/bin/python benchmarks/vulns_bench.py [--db PATH] [--skip-build]

1. builds a fresh DB from every file in ../shared/vulndata (NVD 1.1 yearly + modified + recent,
   NVD 2.0 overrides, CVE 5 records, OSV, KEV, EPSS) in a child process, and reports wall time,
   file size and the child's peak RSS;
2. matches two sets of 1 000 components, each cold (new DB connection, empty caches), and
   reports wall and CPU time (CPU time is the steadier number on a shared machine):
   * ``fleet`` — a PSIRT re-matching a product line: every component of the four corpus images
     (../shared/corpus/images/*.truth.json, name + upstream version) at its own version and at
     the neighbouring versions that occur in the DB, until 1 000 components;
   * ``worst`` — every project of data/components.yaml that has CPE pairs, at versions taken
     from the DB's exact criteria (old, heavily affected releases: tens of vulnerabilities per
     component), round-robin;
3. prints the numbers (and JSON with --json).
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VULNDATA = ROOT.parent / "shared" / "vulndata"


def snapshot_paths() -> list[Path]:
    """Every shared snapshot, NVD yearly feeds first, then modified and recent (update order)."""
    nvd = VULNDATA / "nvd-1.1"
    return [
        *sorted(nvd.glob("nvdcve-1.1-[0-9]*.json.gz")),
        nvd / "nvdcve-1.1-modified.json.gz",
        nvd / "nvdcve-1.1-recent.json.gz",
        VULNDATA / "nvd-2.0-overrides.zip",
        VULNDATA / "cve5-records.zip",
        VULNDATA / "osv-oss-fuzz.zip",
        VULNDATA / "kev",
        VULNDATA / "epss",
    ]


def build_child(db_path: Path) -> None:
    """Runs in a child process so that its peak RSS is the build's alone."""
    from iotvet.vulns import db
    from iotvet.vulns.sources import import_paths

    started = time.perf_counter()
    with db.build(db_path, fresh=True) as writer:
        added = import_paths(snapshot_paths(), writer)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": time.perf_counter() - started, "rss": rss, "added": added}))


def build(db_path: Path) -> dict[str, object]:
    out = json.loads(
        subprocess.run(
            [sys.executable, __file__, "--build-child", "--db", str(db_path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    return {
        "build_s": round(out["seconds"], 1),
        "build_peak_rss_mb": round(out["rss"], 1),
        "db_size_mb": round(db_path.stat().st_size / 1e6, 1),
        "records": out["added"],
    }


def components(db_path: Path, count: int = 1000) -> list[object]:
    from iotvet.inventory import identity
    from iotvet.model import Component

    conn = sqlite3.connect(db_path)
    pools: list[tuple[str, list[str]]] = []
    for ident in identity.load().components.values():
        versions: list[str] = []
        for _part, vendor, product in ident.cpe:
            versions += [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT version FROM cpe_match WHERE vendor=? AND product=?"
                    " AND vkey != '' AND update_ IN ('*', '-') LIMIT 40",
                    (vendor, product),
                )
            ]
        if versions:
            pools.append((ident.name, versions))
    conn.close()
    out: list[object] = []
    round_ = 0
    while len(out) < count:
        for name, versions in pools:
            if round_ < len(versions) and len(out) < count:
                out.append(Component(name=name, version=versions[round_]))
        round_ += 1
    return out


def fleet(db_path: Path, count: int = 1000) -> list[object]:
    from iotvet.inventory import identity
    from iotvet.model import Component
    from iotvet.vulns.versions import version_key

    truth: dict[str, str] = {}
    for path in sorted((ROOT.parent / "shared" / "corpus" / "images").glob("*.truth.json")):
        for comp in json.loads(path.read_text())["components"]:
            truth.setdefault(comp["name"], comp["upstream_version"])
    conn = sqlite3.connect(db_path)
    pools: list[list[str]] = []
    for name, version in sorted(truth.items()):
        ident = identity.lookup(name)
        seen = {version}
        for _part, vendor, product in ident.cpe if ident else ():
            seen.update(
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT version FROM cpe_match WHERE vendor=? AND product=?"
                    " AND vkey != '' AND update_ IN ('*', '-')",
                    (vendor, product),
                )
            )
        ordered = sorted(seen, key=version_key)
        at = ordered.index(version)
        # the corpus version first, then its neighbours outwards (older and newer releases)
        around = [version]
        for step in range(1, len(ordered)):
            around += [ordered[i] for i in (at - step, at + step) if 0 <= i < len(ordered)]
        pools.append([f"{name}\0{v}" for v in around])
    conn.close()
    out: list[object] = []
    round_ = 0
    while len(out) < count:
        for pool in pools:
            if len(out) < count:
                name, version = pool[round_ % len(pool)].split("\0")
                out.append(Component(name=name, version=version))
        round_ += 1
    return out


def timed(comps: list[object], db_path: Path, label: str) -> dict[str, object]:
    from iotvet.vulns import match_components

    wall, cpu = time.perf_counter(), time.process_time()
    vulns, _meta = match_components(comps, db_path)  # type: ignore[arg-type]
    return {
        f"{label}_match_1000_wall_s": round(time.perf_counter() - wall, 3),
        f"{label}_match_1000_cpu_s": round(time.process_time() - cpu, 3),
        f"{label}_vulnerabilities": len(vulns),
        f"{label}_distinct_projects": len({c.name for c in comps}),  # type: ignore[attr-defined]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="DB path (default: a temporary file)")
    parser.add_argument("--skip-build", action="store_true", help="reuse an existing --db")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--build-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_child:
        build_child(args.db)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db_path = args.db or Path(tmp) / "vulndb.sqlite"
        numbers: dict[str, object] = {}
        if not args.skip_build:
            numbers.update(build(db_path))
        numbers.update(timed(fleet(db_path), db_path, "fleet"))
        numbers.update(timed(components(db_path), db_path, "worst"))
        numbers["match_peak_rss_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        )
        if args.json:
            print(json.dumps(numbers, indent=2))
        else:
            for key, value in numbers.items():
                print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
