"""Permissions family against the corpus truth: setuid, setgid and world-writable sets are exact."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from partb_support import corpus_findings, corpus_images, image_named, truth

from iotvet.checks.permissions import FAMILY
from iotvet.unpack.interface import UnpackResult

Unpacked = Callable[[Path], UnpackResult]


@pytest.mark.parametrize("image", corpus_images(), ids=lambda p: p.name.split("_")[0])
def test_permission_sets_equal_the_truth(image: Path, unpacked: Unpacked) -> None:
    findings = corpus_findings(FAMILY, image, unpacked)
    planted = truth(image)["findings"]
    for check, key in (
        ("permissions.setuid", "setuid_files"),
        ("permissions.setgid", "setgid_files"),
        ("permissions.world-writable", "world_writable"),
    ):
        reported = {
            (f.path, f.data["mode"]) for f in findings if f.check in (check, f"{check}-allowlisted")
        }
        assert reported == {(e["path"], e["mode"]) for e in planted[key]}, key
    writable_types = {
        f.path: f.data["type"] for f in findings if f.check.endswith("world-writable")
    }
    assert writable_types == {e["path"]: e["type"] for e in planted["world_writable"]}


@pytest.mark.parametrize("image", corpus_images(), ids=lambda p: p.name.split("_")[0])
def test_shadow_readability_matches_the_truth(image: Path, unpacked: Unpacked) -> None:
    readable = int(truth(image)["findings"]["shadow_mode"], 8) & 0o004
    findings = corpus_findings(FAMILY, image, unpacked)
    flagged = [f for f in findings if f.check == "permissions.world-readable-secret"]
    assert bool(flagged) == bool(readable)


def test_clean_image_fails_attack_surface_only_by_its_directory(unpacked: Unpacked) -> None:
    findings = corpus_findings(FAMILY, image_named("dunmore"), unpacked)
    assert [(f.check, f.path, f.severity) for f in findings] == [
        ("permissions.world-writable", "/opt/edge/scripts", "medium")
    ]
