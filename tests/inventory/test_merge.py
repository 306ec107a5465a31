"""Folding identifier candidates into one component per piece of software."""

from __future__ import annotations

from iotvet.inventory.merge import merge_components
from iotvet.model import Component, Evidence


def package(name: str, version: str, layer: str = "/") -> Component:
    return Component(
        name=name,
        version=version,
        layer=layer,
        package=f"{name}-pkg",
        evidence=[Evidence(path="/usr/lib/opkg/status", method="package-db")],
    )


def binary(name: str, version: str, path: str, layer: str = "/") -> Component:
    return Component(
        name=name,
        version=version,
        layer=layer,
        files=[path],
        evidence=[Evidence(path=path, method="binary-signature")],
    )


def test_same_name_and_version_merge_with_all_evidence() -> None:
    merged = merge_components(
        [package("dropbear", "2022.82"), binary("dropbear", "2022.82", "/usr/sbin/dropbear")]
    )
    assert len(merged) == 1
    assert {e.method for e in merged[0].evidence} == {"package-db", "binary-signature"}
    assert merged[0].files == ["/usr/sbin/dropbear"]
    assert merged[0].package == "dropbear-pkg"


def test_snapshot_package_takes_the_release_its_binary_states() -> None:
    merged = merge_components(
        [package("hostapd", "2022-01-16-cff80b4f"), binary("hostapd", "2.10", "/usr/sbin/wpad")]
    )
    assert [(c.name, c.version, c.package_version) for c in merged] == [
        ("hostapd", "2.10", "2022-01-16-cff80b4f")
    ]


def test_snapshot_kept_when_binaries_disagree_or_sit_elsewhere() -> None:
    disagree = merge_components(
        [
            package("hostapd", "2022-01-16-cff80b4f"),
            binary("hostapd", "2.10", "/usr/sbin/wpad"),
            binary("hostapd", "2.9", "/opt/old/hostapd"),
        ]
    )
    assert sorted(c.version or "" for c in disagree) == ["2.10", "2.9", "2022-01-16-cff80b4f"]
    other_layer = merge_components(
        [package("hostapd", "2022-01-16-cff80b4f"), binary("hostapd", "2.10", "/x", layer="/b")]
    )
    assert sorted(c.version or "" for c in other_layer) == ["2.10", "2022-01-16-cff80b4f"]


def test_release_package_never_changes_its_version() -> None:
    merged = merge_components(
        [package("openssl", "3.0.20"), binary("openssl", "1.0.2k", "/opt/app/libcrypto.a")]
    )
    assert sorted(c.version or "" for c in merged) == ["1.0.2k", "3.0.20"]


def test_kernel_seen_in_boot_image_and_root_is_one_component() -> None:
    boot = Component(name="linux", version="2.6.31", type="operating-system", layer=None)
    modules = Component(name="linux", version="2.6.31", type="operating-system", layer="/root")
    assert len(merge_components([boot, modules])) == 1
