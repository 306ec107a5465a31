"""Package databases of real images against independent ground truth.

* borealis-igw640 (corpus) carries /var/lib/dpkg/status; its truth file lists every Debian
  package with upstream name, upstream version, full package version and purl.
* The OpenWrt 22.03.4 rootfs (../shared/real) carries /usr/lib/opkg/status; the release's
  .manifest beside it lists its 111 packages with exact versions, and the README names the
  upstream versions of its main components.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from packageurl import PackageURL

from corpus import CORPUS, OPENWRT, openwrt_manifest, truth_of
from iotvet.context import ScanContext
from iotvet.inventory.packagedb.dpkg import IDENTIFIER as DPKG
from iotvet.inventory.packagedb.opkg import IDENTIFIER as OPKG
from iotvet.model import Component
from iotvet.rootfs import RootFS
from iotvet.unpack.interface import UnpackResult

BOREALIS = CORPUS / "borealis_igw640_fw_3.2.0.jffs2"


def _root_with(result: UnpackResult, inner: str) -> RootFS:
    roots = [r for r in result.roots if r.exists(inner)]
    assert len(roots) == 1, f"expected one root file system holding {inner}, got {result.roots}"
    return roots[0]


def _identify(identifier: object, root: RootFS) -> tuple[dict[str, Component], ScanContext]:
    ctx = ScanContext(roots=[root])
    found = identifier.identify(root, ctx)  # type: ignore[attr-defined]
    return {c.package: c for c in found}, ctx


def _purl_key(purl: str) -> tuple[object, ...]:
    parsed = PackageURL.from_string(purl)
    return parsed.type, parsed.namespace, parsed.name, parsed.version, parsed.qualifiers


def test_dpkg_matches_borealis_truth(unpacked: Callable[[Path], UnpackResult]) -> None:
    truth = truth_of(BOREALIS)
    assert truth["distribution_base"]["package_database_in_image"] == "/var/lib/dpkg/status"
    root = _root_with(unpacked(BOREALIS), "/var/lib/dpkg/status")
    found, ctx = _identify(DPKG, root)

    wrong = []
    for expected in truth["components"]:
        got = found.get(expected["package"])
        facts = (
            None
            if got is None
            else (
                got.name,
                got.version,
                getattr(got, "package_version", None),
                _purl_key(got.purl or ""),
            )
        )
        want = (
            expected["name"],
            expected["upstream_version"],
            expected["package_version"],
            _purl_key(expected["purl"]),
        )
        if facts != want:
            wrong.append((expected["package"], want, facts))
    matched = len(truth["components"]) - len(wrong)
    print(f"borealis dpkg: {matched}/{len(truth['components'])} truth packages exact")
    assert wrong == []
    assert len(found) == truth["component_count"]  # nothing reported that is not installed
    assert ctx.skipped == []


def test_opkg_matches_openwrt_manifest(unpacked: Callable[[Path], UnpackResult]) -> None:
    manifest = openwrt_manifest()
    assert len(manifest) == 111
    root = _root_with(unpacked(OPENWRT), "/usr/lib/opkg/status")
    found, ctx = _identify(OPKG, root)

    versions = {name: getattr(c, "package_version", None) for name, c in found.items()}
    print(f"openwrt opkg: {sum(versions.get(n) == v for n, v in manifest.items())}/111 exact")
    assert versions == manifest
    assert ctx.skipped == []

    # Upstream facts the README of ../shared/real states for this image.
    by_name: dict[str, set[str | None]] = {}
    for component in found.values():
        by_name.setdefault(component.name, set()).add(component.version)
    assert by_name["busybox"] == {"1.35.0"}
    assert by_name["dropbear"] == {"2022.82"}
    assert by_name["dnsmasq"] == {"2.86"}
    assert by_name["musl"] == {"1.2.3"}
    assert by_name["linux"] == {"5.10.176"}
    assert all(v and v.startswith("2022-01-16") for v in by_name["hostapd"])
    for component in found.values():
        assert PackageURL.from_string(component.purl or "").type == "opkg"
