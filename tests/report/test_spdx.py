"""SPDX 2.3: parsed and fully validated by spdx-tools, and saying what the report says."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from report_samples import ROOTFS
from spdx_tools.spdx.model import Document, RelationshipType
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from iotvet.model import Report
from iotvet.report.spdx import render_json


def _parsed(report: Report, tmp_path: Path) -> tuple[Document, dict[str, Any]]:
    text = render_json(report)
    path = tmp_path / "sbom.spdx.json"
    path.write_text(text, encoding="utf-8")
    document = parse_file(str(path))
    messages = validate_full_spdx_document(document)
    assert messages == [], [m.validation_message for m in messages]
    return document, json.loads(text)


def _refs(package: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for ref in package.get("externalRefs", []):
        out.setdefault(ref["referenceType"], []).append(ref["referenceLocator"])
    return out


def test_valid_spdx_2_3_for_every_shape_of_report(any_report: Report, tmp_path: Path) -> None:
    document, data = _parsed(any_report, tmp_path)
    assert document.creation_info.spdx_version == "SPDX-2.3"
    assert data["creationInfo"]["creators"] == ["Tool: iotvet-0.1.0"]
    # one package per layer and component, plus the target
    layers = 0
    stack = list(any_report.layers)
    while stack:
        layer = stack.pop()
        layers += 1
        stack.extend(layer.children)
    assert len(data["packages"]) == 1 + layers + len(any_report.components)


def test_document_describes_the_firmware(sample_report: Report, tmp_path: Path) -> None:
    document, _ = _parsed(sample_report, tmp_path)
    (describes,) = [
        r for r in document.relationships if r.relationship_type == RelationshipType.DESCRIBES
    ]
    target = next(p for p in document.packages if p.spdx_id == describes.related_spdx_element_id)
    assert target.name == "fw.uimg"
    assert target.primary_package_purpose is not None
    assert target.primary_package_purpose.name == "FIRMWARE"
    assert [(c.algorithm.name, c.value) for c in target.checksums] == [
        ("SHA256", sample_report.target.sha256)
    ]


def test_every_component_has_the_required_package_fields(
    sample_report: Report, tmp_path: Path
) -> None:
    _, data = _parsed(sample_report, tmp_path)
    by_name = {p["name"]: p for p in data["packages"]}
    for component in sample_report.components:
        package = by_name[component.name]
        assert package["SPDXID"].startswith("SPDXRef-")
        assert package["downloadLocation"] == "NOASSERTION"
        assert package["versionInfo"] == component.version
        assert "filesAnalyzed" in package
        refs = _refs(package)
        assert refs["purl"] == [component.purl]
        assert refs.get("cpe23Type", []) == ([component.cpe] if component.cpe else [])
        categories = {(r["referenceType"], r["referenceCategory"]) for r in package["externalRefs"]}
        assert ("purl", "PACKAGE_MANAGER") in categories
        if component.cpe:
            assert ("cpe23Type", "SECURITY") in categories


def test_layers_contain_their_components(sample_report: Report, tmp_path: Path) -> None:
    _, data = _parsed(sample_report, tmp_path)
    name_of = {p["SPDXID"]: p["name"] for p in data["packages"]}
    name_of.update({f["SPDXID"]: f["fileName"] for f in data.get("files", [])})
    contains = {
        (name_of[r["spdxElementId"]], name_of[r["relatedSpdxElement"]])
        for r in data["relationships"]
        if r["relationshipType"] == "CONTAINS"
    }
    assert ("fw.uimg", "fw.uimg") in contains  # the target contains its outermost layer
    assert ("fw.uimg/uimage", ROOTFS) in contains
    for component in sample_report.components:
        parent = component.layer or "fw.uimg"
        assert (parent, component.name) in contains


def test_files_with_sha1_become_file_elements(sample_report: Report, tmp_path: Path) -> None:
    _, data = _parsed(sample_report, tmp_path)
    openssl = next(c for c in sample_report.components if c.name == "openssl")
    hashes = openssl.file_hashes
    files = {f["fileName"]: f for f in data["files"]}
    assert set(files) == {"." + path for path in hashes}
    for path, expected in hashes.items():
        got = {c["algorithm"]: c["checksumValue"] for c in files["." + path]["checksums"]}
        assert got == {"SHA1": expected["sha1"], "SHA256": expected["sha256"]}
    package = next(p for p in data["packages"] if p["name"] == "openssl")
    assert package["filesAnalyzed"] is True
    # SPDX 2.3 §7.9: SHA-1 of the sorted, concatenated SHA-1 values of the package's files
    joined = "".join(sorted(h["sha1"] for h in hashes.values()))
    expected_code = hashlib.sha1(joined.encode()).hexdigest()
    assert package["packageVerificationCode"]["packageVerificationCodeValue"] == expected_code


def test_proof_without_sha1_goes_to_source_info(sample_report: Report, tmp_path: Path) -> None:
    _, data = _parsed(sample_report, tmp_path)
    busybox = next(p for p in data["packages"] if p["name"] == "busybox")
    assert busybox["filesAnalyzed"] is False
    assert "binary-signature in /bin/busybox (BusyBox v1.35.0)" in busybox["sourceInfo"]
    assert "/sbin/init" in busybox["sourceInfo"]
    assert "busybox-static" in busybox["comment"]
    assert "4+deb12u1" in busybox["comment"]
    assert busybox["supplier"].startswith("Organization: Debian Busybox Team")


def test_licences(sample_report: Report, tmp_path: Path) -> None:
    _, data = _parsed(sample_report, tmp_path)
    by_name = {p["name"]: p for p in data["packages"]}
    assert by_name["busybox"]["licenseDeclared"] == "GPL-2.0-only"
    assert by_name["dropbear"]["licenseDeclared"] == "MIT AND (BSD-2-Clause AND Unlicense)"
    dnsmasq = by_name["dnsmasq"]["licenseDeclared"]
    (extracted,) = data["hasExtractedLicensingInfos"]
    assert extracted["extractedText"] == "some vendor licence text"
    assert dnsmasq == f"GPL-2.0-or-later AND {extracted['licenseId']}"
    assert by_name["linux"]["licenseDeclared"] == "NOASSERTION"


def test_vulnerabilities_become_advisory_refs(sample_report: Report, tmp_path: Path) -> None:
    _, data = _parsed(sample_report, tmp_path)
    busybox = next(p for p in data["packages"] if p["name"] == "busybox")
    (advisory,) = [r for r in busybox["externalRefs"] if r["referenceType"] == "advisory"]
    assert advisory["referenceCategory"] == "SECURITY"
    assert advisory["referenceLocator"] == "https://nvd.nist.gov/vuln/detail/CVE-2022-48174"
    assert "KEV" in advisory["comment"]


def test_weird_names_get_valid_unique_ids(weird_report: Report, tmp_path: Path) -> None:
    document, data = _parsed(weird_report, tmp_path)
    ids = [p.spdx_id for p in document.packages] + [f.spdx_id for f in document.files]
    assert len(ids) == len(set(ids))
    names = [p["name"] for p in data["packages"]]
    for component in weird_report.components:
        assert (component.name or "unnamed") in names
    unicode = next(p for p in data["packages"] if p["name"] == "bibliothèque-ü")
    assert unicode["SPDXID"] == "SPDXRef-Package-bibliotheque-u-2.0-rc1-git-20240101"
    assert "cpe23Type" not in _refs(next(p for p in data["packages"] if p["name"] == "zlib"))


def test_supplier_names_survive_the_actor_syntax(weird_report: Report, tmp_path: Path) -> None:
    _, data = _parsed(weird_report, tmp_path)
    by_name = {p["name"]: p for p in data["packages"]}
    assert by_name["multi"]["supplier"] == "Organization: Acme [Networks] Ltd (a@b.example)"
    assert by_name["parens"]["supplier"] == "Organization: [unknown]"
    assert by_name["x?y#z@w%20"]["supplier"] == "NOASSERTION"  # a blank supplier is no supplier
