"""Helpers for the vulnerability tests: the shared snapshots and a product-filtered database.

The full database takes about a minute to build (that is measured in benchmarks/vulns_bench.py).
The tests use a database built from the *same* snapshot files through the same importers, with
the NVD 1.1 feeds narrowed to the CVEs that name a product the tests look at (the hand-checked
products and every corpus component). It is built once per test run and shared by all pytest-xdist
workers (file lock).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import ijson

from corpus import VULNDATA, corpus_images, truth_of
from iotvet.inventory import identity
from iotvet.vulns import cpe as cpemod
from iotvet.vulns import db
from iotvet.vulns.sources import import_paths

#: Products of the hand-checked matching cases (NVD vendor:product).
CASE_PAIRS = {
    ("openssl", "openssl"),
    ("busybox", "busybox"),
    ("dropbear_ssh_project", "dropbear_ssh"),
    ("thekelleys", "dnsmasq"),
    ("haxx", "curl"),
    ("haxx", "libcurl"),
    ("zlib", "zlib"),
    ("linux", "linux_kernel"),
}


def require(path: Path) -> Path:
    assert path.exists(), f"missing shared data {path}: the tests need ../shared beside the project"
    return path


def truth_components() -> list[dict[str, str]]:
    """Distinct (name, upstream version, purl) of every corpus image's components."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for image in corpus_images():
        for comp in truth_of(image)["components"]:
            seen.setdefault((comp["name"], comp["upstream_version"]), comp)
    return list(seen.values())


def wanted_pairs() -> set[tuple[str, str]]:
    pairs = set(CASE_PAIRS)
    for comp in truth_components():
        ident = identity.lookup(comp["name"])
        if ident is not None:
            pairs.update((vendor, product) for _part, vendor, product in ident.cpe)
    return pairs


def filtered_nvd(out: Path, pairs: set[tuple[str, str]]) -> list[Path]:
    """NVD 1.1 feed files reduced to the items naming one of ``pairs`` (same format)."""
    files = sorted(require(VULNDATA / "nvd-1.1").glob("nvdcve-1.1-*.json.gz"))
    written = []
    for path in files:
        with gzip.open(path) as handle:
            head = handle.read(4096).decode()
        stamp = head.split('"CVE_data_timestamp"', 1)[1].split('"')[1]
        items = []
        with gzip.open(path) as handle:
            for item in ijson.items(handle, "CVE_Items.item", use_float=True):
                text = json.dumps(item["configurations"])
                if any(f":{v}:{p}:" in text for v, p in pairs) and _names_pair(item, pairs):
                    items.append(item)
        target = out / path.name.removesuffix(".gz")
        target.write_text(json.dumps({"CVE_data_timestamp": stamp, "CVE_Items": items}))
        written.append(target)
    return written


def nvd11_matches(item: dict[str, Any]) -> list[dict[str, Any]]:
    """Every ``cpe_match`` of an NVD 1.1 item, through the whole configuration tree."""
    out, stack = [], list(item["configurations"]["nodes"])
    while stack:
        node = stack.pop()
        stack.extend(node.get("children") or [])
        out += node.get("cpe_match") or []
    return out


def nvd11_feed(
    cve_id: str, cpe: str, description: str, modified: str = "2099-01-01T00:00Z", **bounds: str
) -> dict[str, Any]:
    """A one-item NVD 1.1 feed in the published shape, for records written by hand in a test;
    ``bounds`` are the criterion's versionStart/End… keys."""
    item = {
        "cve": {
            "CVE_data_meta": {"ID": cve_id},
            "description": {"description_data": [{"lang": "en", "value": description}]},
        },
        "configurations": {
            "nodes": [
                {
                    "operator": "OR",
                    "children": [],
                    "cpe_match": [{"vulnerable": True, "cpe23Uri": cpe, **bounds}],
                }
            ]
        },
        "publishedDate": "2099-01-01T00:00Z",
        "lastModifiedDate": modified,
    }
    return {"CVE_data_timestamp": modified, "CVE_Items": [item]}


def build(target: Path, *paths: Path, fresh: bool = False) -> db.DbWriter:
    """Import ``paths`` into the database at ``target`` (from scratch with ``fresh``)."""
    with db.build(target, fresh=fresh) as writer:
        import_paths(list(paths), writer)
    return writer


def _names_pair(item: dict[str, Any], pairs: set[tuple[str, str]]) -> bool:
    for match in nvd11_matches(item):
        parsed = cpemod.parse(match["cpe23Uri"])
        if parsed and (parsed.vendor, parsed.product) in pairs:
            return True
    return False


def build_filtered_db(target: Path, work: Path) -> None:
    """Build the product-filtered database from every shared snapshot (see module docstring)."""
    work.mkdir(exist_ok=True)
    paths = filtered_nvd(work, wanted_pairs())
    paths += [
        require(VULNDATA / "nvd-2.0-overrides.zip"),
        require(VULNDATA / "cve5-records.zip"),
        require(VULNDATA / "osv-oss-fuzz.zip"),
        require(VULNDATA / "kev"),
        require(VULNDATA / "epss"),
    ]
    build(target, *paths, fresh=True)
