"""Secrets family against the corpus truth: every planted secret found, nothing else reported.

Values are compared by sha256 (the family never keeps a cleartext value); precision is measured as
the number of findings that are not in the truth, which must be zero on the corpus.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from partb_support import corpus_findings, corpus_images, image_named, truth

from iotvet.checks.secrets import FAMILY
from iotvet.unpack.interface import UnpackResult

Unpacked = Callable[[Path], UnpackResult]


def expected(image: Path) -> set[tuple[str, str, str]]:
    return {
        (s["path"], s["kind"], hashlib.sha256(s["value"].encode()).hexdigest())
        for s in truth(image)["findings"]["hardcoded_secrets"]
    }


def reported(image: Path, unpacked: Unpacked) -> set[tuple[str, str, str]]:
    return {
        (str(f.path), str(f.data["kind"]), str(f.data["value_sha256"]))
        for f in corpus_findings(FAMILY, image, unpacked)
    }


@pytest.mark.parametrize("image", corpus_images(), ids=lambda p: p.name.split("_")[0])
def test_every_planted_secret_is_found(image: Path, unpacked: Unpacked) -> None:
    missing = expected(image) - reported(image, unpacked)
    assert missing == set()


@pytest.mark.parametrize("image", corpus_images(), ids=lambda p: p.name.split("_")[0])
def test_no_finding_outside_the_truth(image: Path, unpacked: Unpacked) -> None:
    extra = reported(image, unpacked) - expected(image)
    assert extra == set()


@pytest.mark.parametrize("image", corpus_images(), ids=lambda p: p.name.split("_")[0])
def test_keys_of_the_truth_are_named(image: Path, unpacked: Unpacked) -> None:
    by_value = {
        str(f.data["value_sha256"]): f.data["key"] for f in corpus_findings(FAMILY, image, unpacked)
    }
    for secret in truth(image)["findings"]["hardcoded_secrets"]:
        assert by_value[hashlib.sha256(secret["value"].encode()).hexdigest()] == secret["key"]


def test_clean_image_has_no_secret(unpacked: Unpacked) -> None:
    assert corpus_findings(FAMILY, image_named("dunmore"), unpacked) == []
