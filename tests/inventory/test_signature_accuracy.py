"""Binary identification measured against independent ground truth.

Corpus (../shared/corpus/images/*.truth.json): for every image, precision over every
(name, version) the binary-signature identifier reports must be >= 0.95, and recall >= 0.90 over
the truth components a binary scanner can know: those whose upstream version string occurs in
the bytes of their own files (computed here from the truth's file lists and the tree our own
unpack stage extracted). The identifier never reads package databases (borealis carries a dpkg
status file), so this measures the signatures alone.

Real images (../shared/real, not built by us): the OpenWrt 22.03.4 rootfs and two vendor images
whose README names their BusyBox versions — a check that the rules generalise beyond the corpus.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from corpus import OPENWRT, REAL, corpus_images, openwrt_manifest, truth_of
from iotvet.context import ScanContext
from iotvet.inventory import identity
from iotvet.inventory.attribution import BinarySignatureIdentifier
from iotvet.model import Component
from iotvet.rootfs import RootFS
from iotvet.unpack.interface import UnpackResult

#: Spellings of the same project (the truth names packages' upstream projects).
ALIASES = {"libcurl": "curl"}
PRECISION = 0.95
RECALL = 0.90


def _identify(result: UnpackResult) -> tuple[list[Component], list[RootFS]]:
    assert result.roots, f"unpack found no root file system: {result.skipped}"
    components: list[Component] = []
    for root in result.roots:
        components += BinarySignatureIdentifier().identify(root, ScanContext(roots=[root]))
    return components, result.roots


def _reported(components: list[Component]) -> set[tuple[str, str]]:
    return {(ALIASES.get(c.name, c.name), c.version) for c in components if c.version}


def _read(roots: list[RootFS], inner: str) -> bytes | None:
    for root in roots:
        data = root.read_bytes(inner, limit=1 << 30)
        if data is not None:
            return data
    return None


def _eligible(truth: dict[str, object], roots: list[RootFS]) -> set[tuple[str, str]]:
    """Truth components whose upstream version string is in the bytes of one of their files."""
    found = set()
    for component in truth["components"]:  # type: ignore[union-attr]
        key = (component["name"], component["upstream_version"])
        needle = component["upstream_version"].encode()
        for item in component["files"]:
            if item["type"] != "file":
                continue
            data = _read(roots, item["path"])
            assert data is not None, (
                f"{item['path']} of the truth is missing from the unpacked tree"
            )
            if needle in data:
                found.add(key)
                break
    return found


@pytest.mark.parametrize("image", corpus_images(), ids=lambda p: p.name)
def test_precision_and_recall_on_corpus(
    image: Path, unpacked: Callable[[Path], UnpackResult]
) -> None:
    truth = truth_of(image)
    components, roots = _identify(unpacked(image))
    reported = _reported(components)
    expected = {(c["name"], c["upstream_version"]) for c in truth["components"]}
    eligible = _eligible(truth, roots)
    assert len(eligible) >= 20, "the eligible set is implausibly small: extraction problem?"

    wrong = reported - expected
    precision = 1 - len(wrong) / len(reported)
    recall = len(eligible & reported) / len(eligible)
    assert precision >= PRECISION, f"precision {precision:.3f}; not in the truth: {sorted(wrong)}"
    assert recall >= RECALL, f"recall {recall:.3f}; missed: {sorted(eligible - reported)}"
    for component in components:
        assert all(not e.path.startswith("/var/lib/dpkg") for e in component.evidence)

    # Attribution at file level: a file given as evidence belongs to that component in the truth.
    owners: dict[str, set[str]] = {}
    for entry in truth["components"]:
        for item in entry["files"]:
            owners.setdefault(item["path"], set()).add(entry["name"])
    attributed = [(ALIASES.get(c.name, c.name), f) for c in components for f in c.files]
    misplaced = [(name, f) for name, f in attributed if name not in owners.get(f, set())]
    assert len(misplaced) <= (1 - PRECISION) * len(attributed), f"misattributed: {misplaced}"


def _openwrt_manifest() -> dict[str, set[str]]:
    """Upstream name -> versions the OpenWrt manifest gives for it (release-style only)."""
    versions: dict[str, set[str]] = {}
    for package, version in openwrt_manifest().items():
        upstream = version.rsplit("-", 1)[0]  # drop the OpenWrt package release
        upstream = identity.normalise_version(identity.upstream_name(package), upstream) or upstream
        versions.setdefault(identity.upstream_name(package), set()).add(upstream)
    return versions


def test_openwrt_rootfs(unpacked: Callable[[Path], UnpackResult]) -> None:
    components, _ = _identify(unpacked(OPENWRT))
    reported = _reported(components)
    # The README's "known contents" of this image, with the manifest's exact versions.
    known = {
        ("busybox", "1.35.0"),
        ("dropbear", "2022.82"),
        ("dnsmasq", "2.86"),
        ("musl", "1.2.3"),
        ("wolfssl", "5.5.4"),
        ("linux", "5.10.176"),
    }
    assert known <= reported, f"missed {sorted(known - reported)}"
    manifest = _openwrt_manifest()
    contradicted = []
    for name, version in sorted(reported):
        listed = {v for v in manifest.get(name, set()) if re.fullmatch(r"[0-9][0-9.]*", v)}
        if listed and version not in listed:
            contradicted.append((name, version, sorted(listed)))
    assert contradicted == [], f"versions the manifest contradicts: {contradicted}"


@pytest.mark.parametrize(
    ("image", "busybox"),
    [
        (REAL / "firmware" / "tplink_wr940nv4_us_3_16_9_up_boot_160617.bin", "1.01"),
        (REAL / "firmware" / "binwalk_v2_firmware.squashfs", "1.14.1"),
    ],
    ids=["tplink-wr940n", "binwalk-router"],
)
def test_vendor_images_busybox(
    image: Path, busybox: str, unpacked: Callable[[Path], UnpackResult]
) -> None:
    components, _ = _identify(unpacked(image))
    assert {c.version for c in components if c.name == "busybox"} == {busybox}
