"""Distribution data, VEX reading/writing and triage that survives database rebuilds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from vdb_support import build, nvd11_feed

from iotvet.model import Component, Vulnerability
from iotvet.vulns import db, match_components
from iotvet.vulns.vex import (
    TriageStore,
    import_files,
    read_vex,
    write_csaf_vex,
    write_cyclonedx_vex,
    write_openvex,
)

# Hand-written records in the shapes osv.dev publishes: an upstream NVD-style range for busybox
# and Debian's own view of the same CVE (OSV ecosystem "Debian:12", source package name).
UPSTREAM = nvd11_feed(
    "CVE-2099-1000",
    "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*",
    "In tar in BusyBox",
    versionEndExcluding="1.36.0",
)
DEBIAN = {
    "schema_version": "1.6.0",
    "id": "DEBIAN-CVE-2099-1000",
    "upstream": ["CVE-2099-1000"],
    "modified": "2099-01-03T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "Debian:12", "name": "busybox"},
            "ranges": [
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "0"}, {"fixed": "1:1.35.0-4+deb12u1"}],
                }
            ],
        }
    ],
}
DEBIAN_UNFIXED = {
    "schema_version": "1.6.0",
    "id": "DEBIAN-CVE-2099-2000",
    "upstream": ["CVE-2099-2000"],
    "modified": "2099-01-03T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "Debian:12", "name": "busybox"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
        }
    ],
}


@pytest.fixture()
def small_db(tmp_path: Path) -> Path:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "nvd.json").write_text(json.dumps(UPSTREAM))
    (feeds / "debian-1.json").write_text(json.dumps(DEBIAN))
    (feeds / "debian-2.json").write_text(json.dumps(DEBIAN_UNFIXED))
    target = tmp_path / "home" / "vulndb.sqlite"
    build(target, feeds, fresh=True)
    return target


def deb_busybox(revision: str, qualifiers: str = "arch=mips64el") -> Component:
    version = f"1:1.35.0-{revision}"
    return Component(
        name="busybox",
        version="1.35.0",
        revision=revision,
        package="busybox-static",
        purl=f"pkg:deb/debian/busybox-static@{version}?{qualifiers}",
    )


def test_debian_backport_makes_the_package_fixed(small_db: Path) -> None:
    vulns, _ = match_components([deb_busybox("4+deb12u1+b1")], small_db)
    by_id = {v.id: v for v in vulns}
    fixed = by_id["CVE-2099-1000"]
    assert fixed.status == "fixed"  # upstream 1.35.0 < 1.36.0, but Debian fixed it in -4+deb12u1
    assert "Debian:12" in (fixed.reason or "")
    unfixed = by_id["CVE-2099-2000"]  # Debian lists it without a fix: affected
    assert unfixed.status == "affected" and unfixed.sources[0] == "osv:Debian:12"


def test_debian_package_before_the_fix_is_affected(small_db: Path) -> None:
    # the release comes from the purl's distro qualifier here (no +debNuM in the version)
    vulns, _ = match_components([deb_busybox("4", "arch=armhf&distro=debian-12")], small_db)
    vuln = next(v for v in vulns if v.id == "CVE-2099-1000")
    assert vuln.status == "affected" and vuln.fixed_in == ["1:1.35.0-4+deb12u1"]


def test_unknown_release_keeps_the_upstream_verdict_and_says_so(small_db: Path) -> None:
    vulns, meta = match_components([deb_busybox("4")], small_db)
    vuln = next(v for v in vulns if v.id == "CVE-2099-1000")
    assert vuln.status == "affected" and vuln.fixed_in == ["1.36.0"]  # upstream's fix
    assert any("release of Debian unknown" in note for note in meta["notes"])


def test_upstream_component_ignores_distribution_data(small_db: Path) -> None:
    vulns, _ = match_components([Component(name="busybox", version="1.35.0")], small_db)
    assert [(v.id, v.status) for v in vulns] == [("CVE-2099-1000", "affected")]


def test_kernel_matches_are_inconclusive(tmp_path: Path) -> None:
    feed = nvd11_feed(
        "CVE-2099-3000",
        "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*",
        "k",
        versionStartIncluding="5.10",
        versionEndExcluding="5.10.100",
    )
    (tmp_path / "k.json").write_text(json.dumps(feed))
    target = tmp_path / "v.sqlite"
    build(target, tmp_path / "k.json", fresh=True)
    vulns, _ = match_components([Component(name="linux", version="5.10.50")], target)
    (vuln,) = vulns
    assert vuln.status == "inconclusive" and "build configuration" in (vuln.reason or "")


OPENVEX = {
    "@context": "https://openvex.dev/ns/v0.2.0",
    "@id": "https://example.invalid/vex/1",
    "author": "PSIRT",
    "timestamp": "2099-01-05T00:00:00Z",
    "version": 1,
    "statements": [
        {
            "vulnerability": {"name": "CVE-2099-1000"},
            "products": [{"@id": "pkg:generic/busybox@1.35.0"}],
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
            "impact_statement": "tar is never run on untrusted archives",
        }
    ],
}


def test_openvex_triage_survives_a_database_rebuild(small_db: Path, tmp_path: Path) -> None:
    vex_file = tmp_path / "psirt.openvex.json"
    vex_file.write_text(json.dumps(OPENVEX))
    triage = db.triage_path_for(small_db)
    with TriageStore(triage) as store:
        stored, skipped = import_files([vex_file], store)
    assert (stored, skipped) == (1, [])
    component = Component(name="busybox", version="1.35.0", purl="pkg:generic/busybox@1.35.0")
    # rebuild the vulnerability DB from scratch: triage lives in its own file beside it
    build(small_db, tmp_path / "feeds", fresh=True)
    assert triage.exists()
    vulns, meta = match_components([component], small_db)
    (vuln,) = vulns
    assert vuln.status == "not_affected"
    assert vuln.justification == "vulnerable_code_not_in_execute_path"
    assert "untrusted" in (vuln.reason or "")
    assert meta["triage_applied"] == 1


def _sample() -> tuple[list[Vulnerability], list[Component]]:
    components = [
        Component(name="busybox", version="1.35.0", purl="pkg:generic/busybox@1.35.0"),
        Component(name="openssl", version="3.0.7", purl="pkg:generic/openssl@3.0.7"),
    ]
    vulns = [
        Vulnerability(
            id="CVE-2099-1000",
            component="busybox@1.35.0",
            status="not_affected",
            justification="vulnerable_code_not_present",
            reason="applet missing",
        ),
        Vulnerability(
            id="CVE-2023-0286",
            component="openssl@3.0.7",
            status="affected",
            severity="high",
            fixed_in=["3.0.8"],
            cvss={
                "version": "3.1",
                "score": 7.4,
                "severity": "high",
                "vector": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H",
            },
        ),
        Vulnerability(id="CVE-2099-4000", component="openssl@3.0.7", status="inconclusive"),
    ]
    return vulns, components


def _statuses(doc: dict[str, object]) -> dict[tuple[str, str], tuple[str, str | None]]:
    return {(s.vuln_id, s.product): (s.status, s.justification) for s in read_vex(doc)}


def test_vex_writers_round_trip_through_the_readers() -> None:
    vulns, components = _sample()
    expected = {
        ("CVE-2099-1000", "pkg:generic/busybox@1.35.0"): (
            "not_affected",
            "vulnerable_code_not_present",
        ),
        ("CVE-2023-0286", "pkg:generic/openssl@3.0.7"): ("affected", None),
        ("CVE-2099-4000", "pkg:generic/openssl@3.0.7"): ("under_investigation", None),
    }
    assert _statuses(write_openvex(vulns, components)) == expected
    assert _statuses(json.loads(write_cyclonedx_vex(vulns, components))) == expected
    assert _statuses(write_csaf_vex(vulns, components)) == expected


def test_cyclonedx_vex_is_schema_valid() -> None:
    vulns, components = _sample()
    text = write_cyclonedx_vex(vulns, components)
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert errors is None, errors


def test_csaf_vex_has_the_required_vex_parts() -> None:
    vulns, components = _sample()
    doc = write_csaf_vex(vulns, components)
    assert doc["document"]["category"] == "csaf_vex"
    by_cve = {v.get("cve"): v for v in doc["vulnerabilities"]}
    not_affected = by_cve["CVE-2099-1000"]
    assert not_affected["flags"][0]["label"] == "vulnerable_code_not_present"
    assert not_affected["threats"][0]["category"] == "impact"
    affected = by_cve["CVE-2023-0286"]
    assert affected["remediations"][0]["category"] == "vendor_fix"
    assert "3.0.8" in affected["remediations"][0]["details"]


def test_cyclonedx_vex_input_maps_states_and_justifications() -> None:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "components": [
            {
                "type": "library",
                "name": "zlib",
                "version": "1.2.13",
                "bom-ref": "zlib-ref",
                "purl": "pkg:generic/zlib@1.2.13",
            }
        ],
        "vulnerabilities": [
            {
                "id": "CVE-2023-45853",
                "affects": [{"ref": "zlib-ref"}],
                "analysis": {"state": "false_positive", "justification": "code_not_reachable"},
            },
            {
                "id": "CVE-2099-5",
                "affects": [{"ref": "zlib-ref"}],
                "analysis": {"state": "resolved"},
            },
        ],
    }
    assert _statuses(doc) == {
        ("CVE-2023-45853", "pkg:generic/zlib@1.2.13"): (
            "not_affected",
            "vulnerable_code_not_in_execute_path",
        ),
        ("CVE-2099-5", "pkg:generic/zlib@1.2.13"): ("fixed", None),
    }


def test_non_vex_files_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"not": "vex"}')
    with TriageStore(tmp_path / "t.sqlite") as store:
        stored, skipped = import_files([path], store)
    assert stored == 0 and skipped and "no VEX statements" in skipped[0][1]
