"""Identification on CPUs the corpus does not have: Debian packages of other architectures.

Usage (root, Debian/Ubuntu with apt):  .venv/bin/python benchmarks/other_arches.py [ARCH ...]
(default: arm64 s390x i386 — 64-bit ARM, a big-endian 64-bit CPU, 32-bit x86)

For each architecture it adds the architecture to dpkg (``dpkg --add-architecture``), downloads
the same set of embedded-Linux packages with ``apt-get download``, unpacks them with ``dpkg-deb -x``
into one tree, runs iotvet's inventory on it and scores the result against the packages' own control
data (name from the Source field through iotvet's alias table, upstream version by the corpus
rules: no epoch, no Debian revision, no repack suffix). Recall here is over every package, not
only those whose version string is in their files, so it is a lower bound.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
from pathlib import Path

from iotvet.context import ScanContext
from iotvet.inventory import run_inventory
from iotvet.inventory.identity import canonical_name, upstream_name
from iotvet.rootfs import RootFS

PACKAGES = (
    *("busybox-static", "dropbear-bin", "dnsmasq-base", "libssl3", "openssl", "libcurl4", "curl"),
    *("zlib1g", "lighttpd", "libc6", "libexpat1", "libsqlite3-0", "libpcre2-8-0", "libxml2"),
    *("openvpn", "mosquitto", "libjson-c5", "hostapd"),
)


def upstream_version(debian_version: str) -> str:
    version = debian_version.split(":", 1)[-1]
    version = re.sub(r"-[^-]*$", "", version)
    version = re.sub(r"^.*\+really", "", version)
    return re.sub(r"(\+dfsg\d*|\.dfsg|\+ds\d*|\+repack\d*).*$", "", version)


def fetch(arch: str, into: Path) -> list[Path]:
    subprocess.run(["dpkg", "--add-architecture", arch], check=True)
    subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["apt-get", "download", "-qq", *(f"{p}:{arch}" for p in PACKAGES)],
        cwd=into,
        check=True,
        capture_output=True,
    )
    return sorted(into.glob("*.deb"))


def truth_of(debs: list[Path]) -> set[tuple[str, str]]:
    truth = set()
    for deb in debs:
        fields = subprocess.run(
            ["dpkg-deb", "-f", str(deb), "Package", "Version", "Source"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        info = dict(line.split(": ", 1) for line in fields.strip().splitlines())
        source = info.get("Source", info["Package"]).split(" ")[0]
        name = canonical_name(upstream_name(info["Package"], source))
        truth.add((name, upstream_version(info["Version"])))
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("arches", nargs="*", default=["arm64", "s390x", "i386"])
    args = parser.parse_args()
    print(f"{'arch':8} {'precision':>9} {'recall':>7} {'found':>5} {'time s':>7}")
    for arch in args.arches:
        with tempfile.TemporaryDirectory() as work:
            debs = fetch(arch, Path(work) / "debs")
            tree = Path(work) / "root"
            for deb in debs:
                subprocess.run(["dpkg-deb", "-x", str(deb), str(tree)], check=True)
            truth = truth_of(debs)
            started = time.perf_counter()
            components, _os = run_inventory(ScanContext(roots=[RootFS(tree)]))
            seconds = time.perf_counter() - started
        reported = {
            (canonical_name(c.name), c.version)
            for c in components
            if c.version and c.type != "operating-system"
        }
        found = reported & truth
        precision = len(found) / len(reported) if reported else 1.0
        print(
            f"{arch:8} {precision:9.3f} {len(found) / len(truth):7.3f} {len(reported):5d} "
            f"{seconds:7.2f}"
        )
        if reported - truth:
            print(f"{'':8} false positives: {sorted(reported - truth)}")
        if truth - reported:
            print(f"{'':8} missed: {sorted(truth - reported)}")


if __name__ == "__main__":
    main()
