"""Corpus: no reported vulnerability contradicts the ranges recorded for the component's version.

For every corpus component (name + upstream version from the truth files) the matcher's result is
checked against the *raw* records in ../shared/vulndata, read here independently of the DB: the
source that decided must hold a criterion/range for one of the component's products that
includes the version. BusyBox applet control is checked against the truth files' applet lists.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from vdb_support import nvd11_matches, truth_components

from corpus import CORPUS, VULNDATA, truth_of
from iotvet.inventory import identity
from iotvet.model import Component, Vulnerability
from iotvet.unpack.interface import UnpackResult
from iotvet.vulns import cpe as cpemod
from iotvet.vulns import match_components
from iotvet.vulns.versions import canonical, compare, upper_bound


def _nvd_items(run_cache: Path) -> dict[str, dict[str, Any]]:
    items: dict[str, dict[str, Any]] = {}
    for path in sorted((run_cache / "vulns-filtered-feeds").glob("*.json")):
        for item in json.loads(path.read_text())["CVE_Items"]:
            items[item["cve"]["CVE_data_meta"]["ID"]] = item  # later files (modified) win
    return items


def _criteria_11(item: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"criteria": m["cpe23Uri"], **m} for m in nvd11_matches(item)]


def _criteria_20(configurations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for conf in configurations for node in conf["nodes"] for m in node["cpeMatch"]]


def _includes(match: dict[str, Any], version: str) -> bool:
    """Independent reading of one NVD criterion: does it include ``version``?"""
    bounds = [
        match.get(k)
        for k in (
            "versionStartIncluding",
            "versionStartExcluding",
            "versionEndIncluding",
            "versionEndExcluding",
        )
    ]
    if any(bounds):
        si, se, ei, ee = bounds
        return (
            (si is None or compare(version, si) >= 0)
            and (se is None or compare(version, se) > 0)
            and (ei is None or compare(version, ei) <= 0)
            and (ee is None or compare(version, ee) < 0)
        )
    parsed = cpemod.parse(match["criteria"])
    assert parsed is not None
    if parsed.version == "*":
        return True
    full = parsed.version + ("" if parsed.update in ("*", "-") else parsed.update)
    return canonical(full) == canonical(version)


def _cve5_includes(affected: list[dict[str, Any]], version: str) -> bool:
    for entry in affected:
        for item in entry.get("versions") or []:
            if item.get("status") != "affected":
                continue
            start = item["version"]
            end = item.get("lessThan") or item.get("lessThanOrEqual")
            if end is None:
                if compare(start, version) == 0:
                    return True
                continue
            bound = upper_bound(end)
            below = (
                bound is None
                or compare(version, bound) < 0
                or (
                    "lessThanOrEqual" in item
                    and not end.endswith("*")
                    and compare(version, bound) == 0
                )
            )
            if (start in ("0", "*") or compare(version, start) >= 0) and below:
                return True
        if entry.get("defaultStatus") == "affected":
            return True
    return False


@pytest.fixture(scope="module")
def corpus_result(vulndb: Path) -> tuple[list[Component], list[Vulnerability]]:
    components = [
        Component(name=c["name"], version=c["upstream_version"], purl=c.get("generic_purl"))
        for c in truth_components()
    ]
    vulns, meta = match_components(components, vulndb)
    assert meta["available"]
    return components, vulns


def test_corpus_components_get_vulnerabilities(
    corpus_result: tuple[list[Component], list[Vulnerability]],
) -> None:
    _components, vulns = corpus_result
    by_component = {v.component.split("@")[0] for v in vulns}
    # the corpus ships openssl 3.0.20, curl 7.88.1 and busybox 1.35.0, all with recorded CVEs
    assert {"openssl", "curl", "busybox"} <= by_component


def test_no_reported_cve_excludes_the_version(
    corpus_result: tuple[list[Component], list[Vulnerability]], run_cache: Path, vulndb: Path
) -> None:
    components, vulns = corpus_result
    nvd = _nvd_items(run_cache)
    overrides = zipfile.ZipFile(VULNDATA / "nvd-2.0-overrides.zip")
    override_names = {Path(n).stem: n for n in overrides.namelist() if n.endswith(".json")}
    cve5 = zipfile.ZipFile(VULNDATA / "cve5-records.zip")
    cve5_names: dict[str, list[str]] = {}
    for name in cve5.namelist():
        cve5_names.setdefault(Path(name).stem, []).append(name)
    osv = zipfile.ZipFile(VULNDATA / "osv-oss-fuzz.zip")
    osv_names = {Path(n).stem: n for n in osv.namelist() if n.endswith(".json")}
    versions = {c.ref: c for c in components}
    checked = 0
    for vuln in vulns:
        component = versions[vuln.component]
        assert component.version is not None
        ident = identity.lookup(component.name)
        pairs = {(v, p) for _, v, p in ident.cpe} if ident else set()
        source = vuln.sources[0]
        if source in ("nvd", "nvd-override"):
            if source == "nvd-override":
                record = json.loads(overrides.read(override_names[vuln.id]))
                criteria = _criteria_20(record["cve"]["configurations"])
            else:
                criteria = _criteria_11(nvd[vuln.id])
            mine = [
                m
                for m in criteria
                if m["vulnerable"]
                and (p := cpemod.parse(m["criteria"]))
                and (p.vendor, p.product) in pairs
            ]
            assert mine, f"{vuln.id}: the {source} record names none of {pairs}"
            assert any(_includes(m, component.version) for m in mine), (
                f"{vuln.id} reported for {vuln.component}, but {source} ranges exclude it"
            )
        elif source in ("cve5-cna", "cve5-adp"):
            container_ok = False
            for name in cve5_names[vuln.id]:
                record = json.loads(cve5.read(name))
                containers = (
                    [record["containers"]["cna"]]
                    if source == "cve5-cna"
                    else record["containers"].get("adp", [])
                )
                container_ok |= any(
                    _cve5_includes(c.get("affected") or [], component.version) for c in containers
                )
            assert container_ok, f"{vuln.id} for {vuln.component}: CVE 5 ranges exclude it"
        elif source == "osv":
            record_id = next(m["record"] for m in vuln.match)  # type: ignore[attr-defined]
            record = json.loads(osv.read(osv_names[record_id]))
            tags = [t for a in record["affected"] for t in a.get("versions") or []]
            assert any(
                component.version.replace(".", "_") in t or t.endswith(component.version)
                for t in tags
            ), f"{record_id}: {component.version} not among {tags[:5]}"
        else:
            pytest.fail(f"{vuln.id}: unexpected deciding source {source}")
        checked += 1
    assert checked == len(vulns) > 50


def test_busybox_applets_from_the_binary(
    unpacked: Callable[[Path], UnpackResult], vulndb: Path
) -> None:
    image = CORPUS / "cobalt_cv200_initramfs_2.0.7.cpio.gz"
    truth = truth_of(image)
    applets = set(truth["busybox_applets"]["applets"])
    roots = unpacked(image).roots
    busybox = Component(name="busybox", version="1.35.0", files=["/bin/busybox"])
    vulns, _meta = match_components([busybox], vulndb, roots=roots)
    netstat = next(v for v in vulns if v.id == "CVE-2024-58251")  # "In netstat in BusyBox"
    tar = next(v for v in vulns if v.id == "CVE-2025-46394")  # "In tar in BusyBox"
    for vuln, applet in ((netstat, "netstat"), (tar, "tar")):
        expected = "affected" if applet in applets else "not_affected"
        assert vuln.status == expected, vuln.reason


def test_busybox_without_the_applet_is_not_affected(vulndb: Path) -> None:
    # a BusyBox built without netstat (the applet list an inventory stage attached)
    busybox = Component(name="busybox", version="1.35.0", applets=["ash", "ls", "tar", "wget"])
    vulns, _meta = match_components([busybox], vulndb)
    by_id = {v.id: v for v in vulns}
    assert by_id["CVE-2024-58251"].status == "not_affected"
    assert by_id["CVE-2024-58251"].justification == "vulnerable_code_not_present"
    assert "netstat" in (by_id["CVE-2024-58251"].reason or "")
    assert by_id["CVE-2025-46394"].status == "affected"  # tar is there
