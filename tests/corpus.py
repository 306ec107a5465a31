"""Where the shared test data lives (../shared beside the project root), for every test module."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus" / "images"
REAL = SHARED / "real"
VULNDATA = SHARED / "vulndata"
#: The OpenWrt 22.03.4 release rootfs and the release's package manifest (../shared/real/README.md)
OPENWRT = REAL / "openwrt" / "openwrt-22.03.4-ath79-carambola2-rootfs.squashfs"
OPENWRT_MANIFEST = (
    REAL / "openwrt" / "22.03.4-rsync__openwrt-ath79-generic-8dev_carambola2.manifest"
)


def corpus_images() -> list[Path]:
    """Every corpus image that has a truth file (fails loudly when the corpus is missing)."""
    images = sorted(
        p.with_name(p.name.removesuffix(".truth.json")) for p in CORPUS.glob("*.truth.json")
    )
    assert images, f"no corpus images under {CORPUS}: the tests need ../shared beside the project"
    return images


def truth_of(image: Path) -> dict[str, Any]:
    """The ground truth the corpus builder wrote beside ``image`` (``<image>.truth.json``)."""
    data: dict[str, Any] = json.loads(image.with_name(image.name + ".truth.json").read_text())
    return data


def openwrt_manifest() -> dict[str, str]:
    """Package name -> exact package version, one "NAME - VERSION" line each in the manifest."""
    entries = {}
    for line in OPENWRT_MANIFEST.read_text().splitlines():
        name, sep, version = line.partition(" - ")
        assert sep, f"unexpected manifest line {line!r}"
        entries[name.strip()] = version.strip()
    return entries
