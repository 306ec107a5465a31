"""CycloneDX 1.6: valid by cyclonedx-python-lib's validators, and saying what the report says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

from cyclonedx.model.bom import Bom
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.validation.xml import XmlValidator
from packageurl import PackageURL
from report_samples import ROOTFS

from iotvet.model import Report
from iotvet.report.cyclonedx import render_json, render_xml

NS = {"c": "http://cyclonedx.org/schema/bom/1.6"}


def _bom(report: Report) -> dict[str, Any]:
    text = render_json(report)
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, error
    data: dict[str, Any] = json.loads(text)
    return data


def _walk(components: list[dict[str, Any]], parents: tuple[str, ...] = ()) -> Iterator[tuple]:
    for c in components:
        yield c, parents
        yield from _walk(c.get("components", []), (*parents, c["bom-ref"]))


def _software(bom: dict[str, Any]) -> list[tuple[dict[str, Any], tuple[str, ...]]]:
    """Components that are not layers and not per-file entries."""
    return [
        (c, parents)
        for c, parents in _walk(bom.get("components", []))
        if not c["bom-ref"].startswith("layer:") and "|file:" not in c["bom-ref"]
    ]


def test_json_and_xml_are_valid_cyclonedx_1_6(any_report: Report) -> None:
    _bom(any_report)
    xml = render_xml(any_report)
    error = XmlValidator(SchemaVersion.V1_6).validate_str(xml)
    assert error is None, error


def test_the_library_reads_its_own_output_back(sample_report: Report) -> None:
    bom = Bom.from_json(_bom(sample_report))  # type: ignore[attr-defined]
    names = {c.name for c in bom._get_all_components()}
    assert {c.name for c in sample_report.components} <= names


def test_firmware_is_the_described_component(sample_report: Report) -> None:
    meta = _bom(sample_report)["metadata"]
    assert meta["component"]["type"] == "firmware"
    assert meta["component"]["name"] == "fw.uimg"
    assert meta["component"]["hashes"] == [
        {"alg": "SHA-256", "content": sample_report.target.sha256}
    ]
    assert meta["tools"]["components"][0]["name"] == "iotvet"
    props = {p["name"]: p["value"] for p in meta["component"]["properties"]}
    assert props["iotvet:os:NAME"] == "AcmeWrt"
    assert props["iotvet:target:path"] == sample_report.target.path


def test_every_component_has_purl_cpe_and_sits_in_its_layer(sample_report: Report) -> None:
    bom = _bom(sample_report)
    found = {(c["name"], c.get("version")): (c, parents) for c, parents in _software(bom)}
    assert len(found) == len(sample_report.components)
    for component in sample_report.components:
        cdx, parents = found[(component.name, component.version)]
        assert (
            PackageURL.from_string(cdx["purl"]).to_string()
            == PackageURL.from_string(component.purl or "").to_string()
        )
        assert cdx.get("cpe") == component.cpe
        if component.layer:
            assert parents[-1] == f"layer:{component.layer}"
            assert parents == ("layer:fw.uimg", "layer:fw.uimg/uimage", f"layer:{ROOTFS}")
        else:
            assert parents == ()


def test_dependencies_repeat_the_containment(sample_report: Report) -> None:
    bom = _bom(sample_report)
    graph = {d["ref"]: set(d.get("dependsOn", [])) for d in bom["dependencies"]}
    assert graph["target"] == {"layer:fw.uimg", "pkg:generic/linux@6.1.0"}
    assert graph["layer:fw.uimg/uimage"] == {f"layer:{ROOTFS}", "layer:fw.uimg/uimage/tail"}
    in_rootfs = {c.name for c in sample_report.components if c.layer == ROOTFS}
    refs = {c["bom-ref"]: c["name"] for c, _ in _software(bom)}
    assert {refs[r] for r in graph[f"layer:{ROOTFS}"]} == in_rootfs


def test_evidence_names_the_files_and_methods(sample_report: Report) -> None:
    by_name = {c["name"]: c for c, _ in _software(_bom(sample_report))}
    busybox = by_name["busybox"]["evidence"]
    locations = {o["location"] for o in busybox["occurrences"]}
    assert locations == {"/bin/busybox", "/bin/sh", "/sbin/init"}
    (identity,) = busybox["identity"]
    assert identity["field"] == "purl"
    assert identity["methods"][0]["technique"] == "binary-analysis"
    assert "BusyBox v1.35.0" in identity["methods"][0]["value"]
    dnsmasq = by_name["dnsmasq"]["evidence"]["identity"][0]["methods"][0]
    assert dnsmasq["technique"] == "manifest-analysis"  # a package database is a manifest


def test_revision_package_supplier_and_licences(sample_report: Report) -> None:
    by_name = {c["name"]: c for c, _ in _software(_bom(sample_report))}
    busybox = by_name["busybox"]
    props = {p["name"]: p["value"] for p in busybox["properties"]}
    assert props["iotvet:revision"] == "4+deb12u1"
    assert props["iotvet:package"] == "busybox-static"
    assert busybox["supplier"]["name"] == "Debian Busybox Team"
    assert busybox["licenses"] == [{"license": {"id": "GPL-2.0-only"}}]
    # An SPDX id plus an expression must become ONE expression (the schema forbids mixing).
    assert by_name["dropbear"]["licenses"] == [
        {"expression": "MIT AND (BSD-2-Clause AND Unlicense)"}
    ]
    # A licence text that is no SPDX id is kept by name, not dropped.
    assert {"license": {"name": "some vendor licence text"}} in by_name["dnsmasq"]["licenses"]


def test_hashes_of_components_and_files(sample_report: Report) -> None:
    by_name = {c["name"]: c for c, _ in _software(_bom(sample_report))}
    dropbear = {h["alg"]: h["content"] for h in by_name["dropbear"]["hashes"]}
    assert set(dropbear) == {"SHA-256", "SHA-1"}
    openssl = sample_report.components[1]
    files = {f["name"]: f for f in by_name["openssl"]["components"]}
    assert set(files) == set(openssl.file_hashes)
    for path, hashes in openssl.file_hashes.items():
        got = {h["alg"]: h["content"] for h in files[path]["hashes"]}
        assert got == {"SHA-256": hashes["sha256"], "SHA-1": hashes["sha1"]}


def test_vulnerabilities_with_ratings_kev_and_analysis(sample_report: Report) -> None:
    bom = _bom(sample_report)
    refs = {c["name"]: c["bom-ref"] for c, _ in _software(bom)}
    vulns = {v["id"]: v for v in bom["vulnerabilities"]}
    assert set(vulns) == {v.id for v in sample_report.vulnerabilities}

    kev = vulns["CVE-2022-48174"]
    assert kev["affects"] == [{"ref": refs["busybox"]}]
    assert kev["ratings"][0]["method"] == "CVSSv31"
    assert kev["ratings"][0]["score"] == 9.8
    assert kev["ratings"][0]["vector"] == "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    assert kev["cwes"] == [787]
    props = {p["name"]: p["value"] for p in kev["properties"]}
    assert props["iotvet:kev"] == "true"
    assert props["iotvet:kev:date-added"] == "2024-01-02"
    assert "analysis" not in kev  # a version match is not an exploitability analysis
    assert [a["url"] for a in kev["advisories"]] == [
        "https://bugs.busybox.net/show_bug.cgi?id=15216"
    ]
    assert kev["references"][0]["id"] == "GHSA-xxxx-yyyy-zzzz"

    triaged = vulns["CVE-2024-0727"]
    assert triaged["analysis"]["state"] == "not_affected"
    assert triaged["analysis"]["justification"] == "code_not_reachable"
    assert "PKCS12" in triaged["analysis"]["detail"]
    assert {r["method"] for r in triaged["ratings"]} == {"CVSSv31", "CVSSv4"}
    assert {r["severity"] for r in triaged["ratings"]} == {"medium"}  # from the scores
    assert triaged["cwes"] == [476]  # NVD-CWE-noinfo is no CWE id

    assert vulns["CVE-2023-28531"]["analysis"]["state"] == "in_triage"
    orphan = vulns["CVE-2000-0001"]  # names a component that is not in the report
    assert "affects" not in orphan
    assert {"name": "iotvet:component", "value": "ghost@1.0"} in orphan["properties"]
    assert orphan["analysis"] == {"state": "resolved", "detail": "hand-waving"}


def test_weird_components_keep_their_identity(weird_report: Report) -> None:
    bom = _bom(weird_report)
    software = _software(bom)
    assert len(software) == len(weird_report.components)
    refs = [c["bom-ref"] for c, _ in software]
    assert len(refs) == len(set(refs))
    for cdx, _ in software:
        purl = PackageURL.from_string(cdx["purl"])  # every purl parses
        assert purl.name == cdx["name"]
        assert purl.version == cdx.get("version")
        assert "cpe" not in cdx  # none of the weird CPEs is a valid CPE 2.3
    by_name = {c["name"]: c for c, _ in software}
    assert by_name["unnamed"]["purl"] == "pkg:generic/unnamed"
    lib = {p["name"]: p["value"] for p in by_name["my lib (vendor)"]["properties"]}
    assert lib["iotvet:invalid-cpe"] == "not a cpe"
    zlib = {p["name"]: p["value"] for p in by_name["zlib"]["properties"]}
    assert zlib["iotvet:invalid-purl"] == "pkg:::broken"
    assert zlib["iotvet:layer"] == "no/such/layer"
    hashy = by_name["hashy"]
    assert hashy["hashes"] == [{"alg": "SHA-256", "content": "deadbeef" * 8}]
    assert "components" not in hashy  # a one-file component is that file: no nested duplicate
    assert by_name["x?y#z@w%20"]["type"] == "library"  # unknown type falls back to the default


def test_components_named_by_their_extraction_directory_sit_in_that_layer(
    weird_report: Report,
) -> None:
    placed = {c["name"]: parents for c, parents in _software(_bom(weird_report))}
    assert placed["dropbear"] == ("layer:fw", "layer:fw/rootfs-a")


def test_duplicate_components_are_each_affected(weird_report: Report) -> None:
    bom = _bom(weird_report)
    busybox_refs = {
        c["bom-ref"] for c, _ in _software(bom) if c["name"] == "busybox" and c.get("version")
    }
    assert len(busybox_refs) == 3
    first = next(v for v in bom["vulnerabilities"] if v["id"] == "CVE-2022-0001")
    assert {a["ref"] for a in first["affects"]} == busybox_refs


def test_xml_carries_the_same_components(sample_report: Report) -> None:
    root = ElementTree.fromstring(render_xml(sample_report))
    names = {e.text for e in root.iterfind(".//c:components//c:component/c:name", NS)}
    assert {c.name for c in sample_report.components} <= names
    cpes = {e.text for e in root.iterfind(".//c:component/c:cpe", NS)}
    assert {c.cpe for c in sample_report.components if c.cpe} == cpes
