"""Command line: ``vulndb import/stats/vex-import/vex-list`` and ``vulns SBOM`` (+ SARIF, gates)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner
from vdb_support import require

from corpus import VULNDATA
from iotvet.model import Component, Evidence, Finding, Report, Target, Tool, Vulnerability
from iotvet.report.sarif import render_sarif, sarif_document
from iotvet.vulns.cli import app as vulndb_app
from iotvet.vulns.cli import vulns_command
from iotvet.vulns.sbom import read_sbom

# The application as the lead mounts it in iotvet.cli
cli = typer.Typer()
cli.add_typer(vulndb_app, name="vulndb")
cli.command("vulns")(vulns_command)
runner = CliRunner()

CYCLONEDX = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.5",
    "version": 1,
    "components": [
        {
            "type": "library",
            "name": "libssl3",
            "version": "3.0.7-1",
            "purl": "pkg:deb/debian/libssl3@3.0.7-1?arch=armhf",
        },
        {
            "type": "application",
            "name": "busybox",
            "version": "1.35.0",
            "purl": "pkg:generic/busybox@1.35.0",
        },
        {"type": "file", "name": "/etc/passwd"},
    ],
}
SPDX = """SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: test
DocumentNamespace: https://example.invalid/spdx/test
Creator: Tool: test
Created: 2025-01-01T00:00:00Z

PackageName: zlib1g
SPDXID: SPDXRef-zlib
PackageVersion: 1:1.2.11.dfsg-2
PackageDownloadLocation: NOASSERTION
FilesAnalyzed: false
ExternalRef: PACKAGE-MANAGER purl pkg:deb/debian/zlib1g@1:1.2.11.dfsg-2?arch=armhf
"""


def test_sbom_readers_give_upstream_names_and_versions(tmp_path: Path) -> None:
    cdx = tmp_path / "bom.cdx.json"
    cdx.write_text(json.dumps(CYCLONEDX, sort_keys=True, indent=2))  # bomFormat not first
    components = read_sbom(cdx)
    assert [(c.name, c.version, c.revision) for c in components] == [
        ("openssl", "3.0.7", "1"),
        ("busybox", "1.35.0", None),
    ]
    spdx = tmp_path / "bom.spdx"
    spdx.write_text(SPDX)
    (zlib,) = read_sbom(spdx)
    assert (zlib.name, zlib.version, zlib.revision, zlib.package) == (
        "zlib",
        "1.2.11.dfsg",
        "2",
        "zlib1g",
    )


def test_vulns_command_with_fail_on(vulndb: Path, tmp_path: Path) -> None:
    cdx = tmp_path / "bom.cdx.json"
    cdx.write_text(json.dumps(CYCLONEDX))
    result = runner.invoke(cli, ["vulns", str(cdx), "--db", str(vulndb), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    ids = {(v["component"], v["id"]) for v in doc["vulnerabilities"]}
    assert ("openssl@3.0.7", "CVE-2023-0286") in ids  # 2023 feed: ≥3.0.0, <3.0.8
    assert doc["vulnerability_data"]["available"] is True
    assert {s["source"] for s in doc["vulnerability_data"]["sources"]} >= {"nvd", "kev", "epss"}
    gate = runner.invoke(
        cli, ["vulns", str(cdx), "--db", str(vulndb), "--format", "json", "--fail-on", "high"]
    )
    assert gate.exit_code == 1
    openssl_only_low = runner.invoke(
        cli, ["vulns", str(cdx), "--db", str(vulndb), "--format", "json", "--fail-on", "kev"]
    )
    kev = [v for v in doc["vulnerabilities"] if v["kev"] and v["status"] == "affected"]
    assert openssl_only_low.exit_code == (1 if kev else 0)
    bad = runner.invoke(cli, ["vulns", str(cdx), "--db", str(vulndb), "--fail-on", "severe"])
    assert bad.exit_code == 2


def test_vulns_command_outputs(vulndb: Path, tmp_path: Path) -> None:
    cdx = tmp_path / "bom.cdx.json"
    cdx.write_text(json.dumps(CYCLONEDX))
    for fmt, check in (
        ("sarif", lambda d: d["version"] == "2.1.0" and d["runs"][0]["results"]),
        ("openvex", lambda d: d["statements"]),
        ("cyclonedx-vex", lambda d: d["vulnerabilities"]),
        ("csaf-vex", lambda d: d["document"]["category"] == "csaf_vex"),
    ):
        out = tmp_path / f"out.{fmt}.json"
        result = runner.invoke(
            cli, ["vulns", str(cdx), "--db", str(vulndb), "-f", fmt, "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert check(json.loads(out.read_text())), fmt
    missing = runner.invoke(cli, ["vulns", str(tmp_path / "nope.json"), "--db", str(vulndb)])
    assert missing.exit_code == 2


def test_vulndb_import_stats_and_vex(tmp_path: Path) -> None:
    target = tmp_path / "v.sqlite"
    result = runner.invoke(
        cli,
        [
            "vulndb",
            "import",
            "--db",
            str(target),
            str(require(VULNDATA / "kev")),
            str(require(VULNDATA / "nvd-1.1" / "nvdcve-1.1-recent.json.gz")),
        ],
    )
    assert result.exit_code == 0, result.output
    stats = runner.invoke(cli, ["vulndb", "stats", "--db", str(target), "--json"])
    sources = {s["source"]: s for s in json.loads(stats.stdout)["sources"]}
    assert sources["nvd"]["records"] == 513 and sources["kev"]["records"] > 1000
    vex = tmp_path / "a.openvex.json"
    vex.write_text(
        json.dumps(
            {
                "@context": "https://openvex.dev/ns/v0.2.0",
                "@id": "x",
                "author": "me",
                "timestamp": "2099-01-01T00:00:00Z",
                "version": 1,
                "statements": [
                    {
                        "vulnerability": {"name": "CVE-2099-1"},
                        "status": "not_affected",
                        "products": [{"@id": "pkg:generic/zlib@1.3"}],
                        "justification": "component_not_present",
                    }
                ],
            }
        )
    )
    assert (
        runner.invoke(cli, ["vulndb", "vex-import", "--db", str(target), str(vex)]).exit_code == 0
    )
    listed = runner.invoke(cli, ["vulndb", "vex-list", "--db", str(target)])
    assert "CVE-2099-1\tpkg:generic/zlib@1.3\tnot_affected\tcomponent_not_present" in listed.stdout
    no_db = runner.invoke(cli, ["vulndb", "stats", "--db", str(tmp_path / "none.sqlite")])
    assert no_db.exit_code == 2
    missing = runner.invoke(cli, ["vulndb", "import", "--db", str(target), str(tmp_path / "x")])
    assert missing.exit_code == 2


def test_sarif_from_a_report() -> None:
    component = Component(
        name="openssl",
        version="3.0.7",
        evidence=[Evidence(path="/usr/lib/libssl.so.3", method="elf-soname")],
    )
    report = Report(
        tool=Tool(version="0.1.0"),
        target=Target(path="fw.bin"),
        components=[component],
        findings=[
            Finding(
                id="F1",
                check="credentials.default-password",
                severity="critical",
                path="/etc/shadow",
                title="Default password",
                cwe="CWE-1392",
                themes=["no-universal-default-password"],
            )
        ],
        vulnerabilities=[
            Vulnerability(
                id="CVE-2023-0286",
                component="openssl@3.0.7",
                severity="high",
                cvss={"version": "3.1", "score": 7.4, "vector": "CVSS:3.1/AV:N"},
            ),
            Vulnerability(
                id="CVE-2099-1",
                component="openssl@3.0.7",
                status="not_affected",
                reason="VEX: code not present",
            ),
        ],
    )
    doc = json.loads(render_sarif(report))
    run = doc["runs"][0]
    results = {r["ruleId"]: r for r in run["results"]}
    assert results["credentials.default-password"]["level"] == "error"
    assert (
        results["credentials.default-password"]["locations"][0]["physicalLocation"][
            "artifactLocation"
        ]["uri"]
        == "etc/shadow"
    )
    assert (
        results["CVE-2023-0286"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "usr/lib/libssl.so.3"
    )
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["CVE-2023-0286"]["properties"]["security-severity"] == "7.4"
    assert results["CVE-2099-1"]["suppressions"][0]["kind"] == "external"
    assert "suppressions" not in results["CVE-2023-0286"]
    assert all(
        run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"]
    )
    assert sarif_document([], [], [])["runs"][0]["results"] == []
