"""Importers on the shared snapshots (small subsets), malformed input, atomic updates."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from vdb_support import build, nvd11_feed, nvd11_matches, require

from corpus import VULNDATA
from iotvet.model import Component
from iotvet.vulns import db, match_components
from iotvet.vulns.sources import import_paths


def count(path: Path, sql: str, *args: object) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(sql, args).fetchone()[0])


def extract(archive: Path, names: list[str], dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zf:
        for name in names:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_bytes(zf.read(name))
    return dest


def test_nvd11_feed_round_trip(tmp_path: Path) -> None:
    feed = require(VULNDATA / "nvd-1.1" / "nvdcve-1.1-recent.json.gz")
    with gzip.open(feed) as handle:
        raw = json.loads(handle.read())
    target = tmp_path / "v.sqlite"
    build(target, feed)
    assert count(target, "SELECT count(*) FROM advisory WHERE source='nvd'") == len(
        raw["CVE_Items"]
    )
    item = next(i for i in raw["CVE_Items"] if i["configurations"]["nodes"])
    cve = item["cve"]["CVE_data_meta"]["ID"]
    vulnerable = [m for m in nvd11_matches(item) if m["vulnerable"]]
    stored = count(
        target,
        "SELECT count(*) FROM cpe_match m JOIN advisory a ON a.id=m.adv WHERE a.vuln_id=?",
        cve,
    )
    assert stored == len(vulnerable)
    with db.VulnDB(target) as vdb:
        meta = {m["source"]: m for m in vdb.meta()}
        record = vdb.advisories([cve])[cve][0]
    assert meta["nvd"]["data_date"] == "2024-01-02T13:00:00"  # CVE_data_timestamp of the feed
    assert meta["nvd"]["records"] == len(raw["CVE_Items"])
    assert record["description"] == item["cve"]["description"]["description_data"][0]["value"]


def test_nvd20_override_records(tmp_path: Path) -> None:
    archive = require(VULNDATA / "nvd-2.0-overrides.zip")
    names = ["data/2011/CVE-2011-2716.json", "data/2024/CVE-2024-58251.json"]
    folder = extract(archive, names, tmp_path / "ovr")
    target = tmp_path / "v.sqlite"
    build(target, folder)
    with db.VulnDB(target) as vdb:
        records = vdb.advisories(["CVE-2011-2716", "CVE-2024-58251"])
    for cve in ("CVE-2011-2716", "CVE-2024-58251"):
        (record,) = records[cve]
        assert record["source"] == "nvd-override"
        assert record["products"] == {"busybox:busybox"}
    assert "udhcpc" in records["CVE-2011-2716"][0]["description"]


DNSMASQ_ANY = "cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*"


def test_nvd_api20_response(tmp_path: Path) -> None:
    response = {
        "resultsPerPage": 1,
        "startIndex": 0,
        "totalResults": 1,
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": "2026-01-02T03:04:05.000",
        "vulnerabilities": [
            {
                "cve": {
                    "id": "CVE-2099-0001",
                    "published": "2099-01-01T00:00:00.000",
                    "lastModified": "2099-01-02T00:00:00.000",
                    "vulnStatus": "Analyzed",
                    "descriptions": [{"lang": "en", "value": "test"}],
                    "metrics": {
                        "cvssMetricV31": [
                            {
                                "source": "nvd@nist.gov",
                                "type": "Primary",
                                "cvssData": {
                                    "version": "3.1",
                                    "baseScore": 9.8,
                                    "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                                },
                            }
                        ]
                    },
                    "weaknesses": [
                        {
                            "source": "nvd@nist.gov",
                            "type": "Primary",
                            "description": [{"lang": "en", "value": "CWE-787"}],
                        }
                    ],
                    "configurations": [
                        {
                            "nodes": [
                                {
                                    "operator": "OR",
                                    "negate": False,
                                    "cpeMatch": [
                                        {
                                            "vulnerable": True,
                                            "criteria": DNSMASQ_ANY,
                                            "versionEndExcluding": "2.91",
                                        }
                                    ],
                                }
                            ]
                        }
                    ],
                    "references": [{"url": "https://example.invalid/a"}],
                }
            }
        ],
    }
    path = tmp_path / "page.json"
    path.write_text(json.dumps(response))
    target = tmp_path / "v.sqlite"
    build(target, path)
    vulns, _meta = match_components([Component(name="dnsmasq", version="2.90")], target)
    (vuln,) = vulns
    assert vuln.id == "CVE-2099-0001" and vuln.status == "affected"
    assert vuln.cvss is not None and vuln.cvss.score == 9.8 and vuln.severity == "critical"
    assert vuln.cwes == ["CWE-787"] and vuln.fixed_in == ["2.91"]


def test_cve5_records_and_openssl_merge(tmp_path: Path) -> None:
    archive = require(VULNDATA / "cve5-records.zip")
    folder = extract(
        archive,
        ["openssl/secjson/CVE-2021-23841.json", "vulnrichment/2021/23xxx/CVE-2021-23841.json"],
        tmp_path / "cve5",
    )
    target = tmp_path / "v.sqlite"
    build(target, folder)
    with db.VulnDB(target) as vdb:
        sources = {r["source"] for r in vdb.advisories(["CVE-2021-23841"])["CVE-2021-23841"]}
    assert sources == {"cve5-cna"}  # the ADP containers carry only SSVC and references here
    # OpenSSL's own record (no modification date) and the cve.org copy were merged: the exact
    # branch ranges of the OpenSSL file are kept next to the free-text versions of the other
    vulns, _ = match_components([Component(name="openssl", version="1.1.1i")], target)
    assert [(v.id, v.status, v.fixed_in) for v in vulns] == [
        ("CVE-2021-23841", "affected", ["1.1.1j"])
    ]
    vulns, _ = match_components([Component(name="openssl", version="1.1.1j")], target)
    assert vulns == []


def test_osv_records(tmp_path: Path) -> None:
    archive = require(VULNDATA / "osv-oss-fuzz.zip")
    with zipfile.ZipFile(archive) as zf:
        names = [n for n in zf.namelist() if n.startswith("curl/") and n.endswith(".json")]
        raws = [json.loads(zf.read(n)) for n in names]
    folder = extract(archive, names, tmp_path / "osv")
    target = tmp_path / "v.sqlite"
    build(target, folder)
    assert count(target, "SELECT count(*) FROM advisory WHERE source='osv'") == len(raws)
    without_versions = sum(1 for r in raws if not any(a.get("versions") for a in r["affected"]))
    with db.VulnDB(target) as vdb:
        detail = json.loads(next(m for m in vdb.meta() if m["source"] == "osv")["detail"])
    assert detail["git_only_records"] == without_versions  # reported, not hidden


def test_kev_and_epss(tmp_path: Path) -> None:
    kev_file = require(VULNDATA / "kev" / "known_exploited_vulnerabilities.json")
    catalog = json.loads(kev_file.read_text())
    epss_file = next(require(VULNDATA / "epss").glob("*.csv.gz"))
    with gzip.open(epss_file, "rt") as handle:
        lines = [next(handle) for _ in range(2002)]
    subset = tmp_path / "epss_scores-subset.csv.gz"
    with gzip.open(subset, "wt") as handle:
        handle.writelines(lines)
    target = tmp_path / "v.sqlite"
    build(target, kev_file, subset)
    assert count(target, "SELECT count(*) FROM kev") == len(catalog["vulnerabilities"])
    assert count(target, "SELECT count(*) FROM epss") == 2000
    cve, score, percentile = lines[2].strip().split(",")
    with db.VulnDB(target) as vdb:
        row = vdb.epss([cve])[cve]
        meta = {m["source"]: m for m in vdb.meta()}
        first = catalog["vulnerabilities"][0]
        kev = vdb.kev([first["cveID"]])[first["cveID"]]
    assert (row["score"], row["percentile"]) == (float(score), float(percentile))
    assert kev["date_added"] == first["dateAdded"] and kev["due_date"] == first["dueDate"]
    assert meta["epss"]["data_date"] == "2026-08-16T00:00:00"
    assert meta["kev"]["data_date"].startswith("2025-08-25")


CSAF_ADVISORY = {
    "document": {
        "category": "csaf_security_advisory",
        "csaf_version": "2.0",
        "title": "t",
        "publisher": {"category": "vendor", "name": "Acme", "namespace": "https://acme.invalid"},
        "tracking": {
            "id": "ACME-1",
            "status": "final",
            "version": "1",
            "initial_release_date": "2025-01-01T00:00:00Z",
            "current_release_date": "2025-01-02T00:00:00Z",
            "revision_history": [{"date": "2025-01-01T00:00:00Z", "number": "1", "summary": "x"}],
        },
    },
    "product_tree": {
        "branches": [
            {
                "category": "vendor",
                "name": "Acme",
                "branches": [
                    {
                        "category": "product_name",
                        "name": "acmed",
                        "branches": [
                            {
                                "category": "product_version",
                                "name": "1.2",
                                "product": {
                                    "product_id": "P12",
                                    "name": "acmed 1.2",
                                    "product_identification_helper": {
                                        "purl": "pkg:generic/acmed@1.2"
                                    },
                                },
                            },
                            {
                                "category": "product_version",
                                "name": "1.3",
                                "product": {
                                    "product_id": "P13",
                                    "name": "acmed 1.3",
                                    "product_identification_helper": {
                                        "purl": "pkg:generic/acmed@1.3"
                                    },
                                },
                            },
                        ],
                    }
                ],
            }
        ]
    },
    "vulnerabilities": [
        {
            "cve": "CVE-2099-1234",
            "notes": [{"category": "description", "text": "overflow"}],
            "product_status": {"known_affected": ["P12"], "fixed": ["P13"]},
            "scores": [
                {
                    "products": ["P12"],
                    "cvss_v3": {
                        "version": "3.1",
                        "baseScore": 7.5,
                        "baseSeverity": "HIGH",
                        "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                    },
                }
            ],
        }
    ],
}


def test_csaf_advisory(tmp_path: Path) -> None:
    path = tmp_path / "acme.json"
    path.write_text(json.dumps(CSAF_ADVISORY))
    target = tmp_path / "v.sqlite"
    build(target, path)
    components = [
        Component(name="acmed", version="1.2", purl="pkg:generic/acmed@1.2"),
        Component(name="acmed", version="1.3", purl="pkg:generic/acmed@1.3"),
    ]
    vulns, _ = match_components(components, target)
    assert [(v.component, v.id, v.severity) for v in vulns] == [
        ("acmed@1.2", "CVE-2099-1234", "high")
    ]


def test_malformed_input_is_reported_not_fatal(tmp_path: Path) -> None:
    feed = require(VULNDATA / "nvd-1.1" / "nvdcve-1.1-recent.json.gz")
    broken = tmp_path / "in" / "nvdcve-1.1-truncated.json.gz"
    broken.parent.mkdir()
    broken.write_bytes(feed.read_bytes()[:20000])
    (tmp_path / "in" / "garbage.json").write_bytes(b"\x00\xff{not json")
    (tmp_path / "in" / "other.json").write_text('{"hello": "world"}')
    (tmp_path / "in" / "bad.zip").write_bytes(b"PK\x03\x04 not really a zip")
    good = tmp_path / "in" / "z-kev.json"
    good.write_bytes((VULNDATA / "kev" / "known_exploited_vulnerabilities.json").read_bytes())
    writer = build(tmp_path / "v.sqlite", tmp_path / "in")
    reasons = dict(writer.skipped)
    assert any("garbage.json" in o for o in reasons)
    assert any("other.json" in o for o in reasons)
    assert count(tmp_path / "v.sqlite", "SELECT count(*) FROM kev") > 1000  # the good file


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_failed_update_leaves_the_database_unchanged(tmp_path: Path) -> None:
    target = tmp_path / "v.sqlite"
    build(target, require(VULNDATA / "nvd-1.1" / "nvdcve-1.1-recent.json.gz"))
    before = _digest(target)
    with pytest.raises(RuntimeError, match="interrupted"), db.build(target) as writer:
        import_paths([VULNDATA / "nvd-1.1" / "nvdcve-1.1-modified.json.gz"], writer)
        raise RuntimeError("interrupted")
    assert _digest(target) == before
    assert not list(tmp_path.glob(".v.sqlite.build-*"))


def test_killed_update_leaves_the_database_usable(tmp_path: Path) -> None:
    target = tmp_path / "v.sqlite"
    build(target, require(VULNDATA / "nvd-1.1" / "nvdcve-1.1-recent.json.gz"))
    before = _digest(target)
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from iotvet.vulns import db;"
            "from iotvet.vulns.sources import import_paths\n"
            "with db.build(Path(sys.argv[1])) as w:\n"
            "    import_paths([Path(sys.argv[2])], w)\n",
            str(target),
            str(VULNDATA / "nvd-1.1" / "nvdcve-1.1-2018.json.gz"),
        ],
    )
    temp = target.with_name(f".{target.name}.build-{child.pid}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (temp.exists() and temp.stat().st_size > 2_000_000):
        time.sleep(0.05)
    assert temp.exists(), "the import never started writing its temporary copy"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert _digest(target) == before
    with db.VulnDB(target) as vdb:
        assert vdb.stats()["tables"]["advisory"] > 0
    build(target, require(VULNDATA / "kev"))  # the next update cleans the dead build's copy
    assert not temp.exists()


def test_newer_record_replaces_older_never_the_reverse(tmp_path: Path) -> None:
    def feed(name: str, modified: str, end: str) -> Path:
        zlib = "cpe:2.3:a:zlib:zlib:*:*:*:*:*:*:*:*"
        record = nvd11_feed("CVE-2099-0002", zlib, modified, modified, versionEndExcluding=end)
        path = tmp_path / name
        path.write_text(json.dumps(record))
        return path

    target = tmp_path / "v.sqlite"
    build(target, feed("a.json", "2099-01-02T00:00Z", "1.3"))
    build(target, feed("b.json", "2099-02-01T00:00Z", "1.4"))  # newer: replaces
    build(target, feed("c.json", "2099-01-15T00:00Z", "9.9"))  # older: ignored
    vulns, _ = match_components([Component(name="zlib", version="1.3.1")], target)
    assert [(v.id, v.fixed_in, v.description) for v in vulns] == [
        ("CVE-2099-0002", ["1.4"], "2099-02-01T00:00Z")
    ]
    assert count(target, "SELECT count(*) FROM cpe_match") == 1


def test_no_database_means_no_vulnerabilities_and_a_note(tmp_path: Path) -> None:
    vulns, meta = match_components([Component(name="zlib", version="1.2.11")], tmp_path / "none")
    assert vulns == [] and meta["available"] is False and "vulndb" in meta["note"]
