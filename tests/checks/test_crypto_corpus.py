"""Crypto family against the corpus truth: the set of private keys is exact, certificates found."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from partb_support import corpus_findings, corpus_images, image_named, truth

from iotvet.checks.crypto import FAMILY
from iotvet.unpack.interface import UnpackResult

KEY_CHECKS = {
    "crypto.unencrypted-private-key",
    "crypto.private-key-passphrase-in-image",
    "crypto.encrypted-private-key",
    "crypto.documentation-private-key",
}
Unpacked = Callable[[Path], UnpackResult]


@pytest.mark.parametrize("image", corpus_images(), ids=lambda p: p.name.split("_")[0])
def test_private_keys_equal_the_truth(image: Path, unpacked: Unpacked) -> None:
    findings = corpus_findings(FAMILY, image, unpacked)
    reported = {
        (f.path, f.data["key_type"], f.data["encrypted"], f.data["fingerprint_sha256"])
        for f in findings
        if f.check in KEY_CHECKS
    }
    expected = {
        (
            k["path"],
            k["type"],
            k["encrypted"],
            k["public_key_fingerprint"].removeprefix("sha256:"),
        )
        for k in truth(image)["findings"]["private_keys"]
    }
    assert reported == expected


@pytest.mark.parametrize("image", corpus_images(), ids=lambda p: p.name.split("_")[0])
def test_key_protection_and_passphrase_location(image: Path, unpacked: Unpacked) -> None:
    by_path = {f.path: f for f in corpus_findings(FAMILY, image, unpacked) if f.check in KEY_CHECKS}
    for key in truth(image)["findings"]["private_keys"]:
        finding = by_path[key["path"]]
        assert finding.data["passphrase_stored_in_image"] == key["passphrase_stored_in_image"]
        assert finding.data["inline_in_config"] == key["inline_in_config"]
        assert finding.data["combined_with_certificate"] == key["combined_with_certificate"]
        stored_or_plain = not key["encrypted"] or key["passphrase_stored_in_image"]
        assert (finding.severity == "high") == bool(stored_or_plain)


@pytest.mark.parametrize("image", corpus_images(), ids=lambda p: p.name.split("_")[0])
def test_truth_certificates_are_found(image: Path, unpacked: Unpacked) -> None:
    certs = [f for f in corpus_findings(FAMILY, image, unpacked) if f.check == "crypto.certificate"]
    found = {
        (f.path, f.data["subject"], f.data["issuer"], f.data["serial"], f.data["self_signed"])
        for f in certs
    }
    for cert in truth(image)["findings"]["certificates"]:
        assert (
            cert["path"],
            cert["subject"],
            cert["issuer"],
            cert["serial"],
            cert["self_signed"],
        ) in found
        (match,) = [
            f for f in certs if f.path == cert["path"] and f.data["serial"] == cert["serial"]
        ]
        # truth as openssl prints it ("Nov 22 12:03:47 2036 GMT"); ours ISO 8601
        expected = datetime.strptime(cert["not_after"], "%b %d %H:%M:%S %Y GMT").replace(tzinfo=UTC)
        assert datetime.fromisoformat(match.data["not_after"]) == expected


def test_clean_image_has_no_high_crypto_finding(unpacked: Unpacked) -> None:
    findings = corpus_findings(FAMILY, image_named("dunmore"), unpacked)
    assert [f for f in findings if f.severity in ("high", "critical")] == []
