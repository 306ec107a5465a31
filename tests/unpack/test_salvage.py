"""A compressed stream cut short still yields what its readable part holds."""

from __future__ import annotations

import gzip
import lzma
import os
from pathlib import Path

import pytest

from corpus import CORPUS
from iotvet.limits import Limits
from iotvet.unpack import unpack
from iotvet.unpack.salvage import salvage

PAYLOAD = b"".join(b"line %06d of a firmware payload\n" % i for i in range(20000))


@pytest.mark.parametrize("compress", [gzip.compress, lzma.compress], ids=["gzip", "xz"])
def test_salvage_returns_the_prefix_before_the_cut(tmp_path: Path, compress: object) -> None:
    assert callable(compress)
    whole = compress(PAYLOAD)
    cut = tmp_path / "cut.bin"
    cut.write_bytes(whole[: len(whole) // 2])
    saved = salvage(cut, tmp_path / "out", Limits())
    assert saved is not None
    data = saved.output.read_bytes()
    assert 0 < len(data) < len(PAYLOAD)
    assert PAYLOAD.startswith(data), "salvaged bytes must be exactly the start of the payload"
    assert "truncated" in saved.reason


def test_salvage_ignores_what_is_not_a_compressed_stream(tmp_path: Path) -> None:
    noise = tmp_path / "noise.bin"
    noise.write_bytes(os.urandom(4096))
    assert salvage(noise, tmp_path / "out", Limits()) is None


def test_salvage_respects_the_unpacked_bytes_limit(tmp_path: Path) -> None:
    cut = tmp_path / "big.gz"
    whole = gzip.compress(PAYLOAD)
    cut.write_bytes(whole[:-64])
    saved = salvage(cut, tmp_path / "out", Limits(max_unpacked_bytes=10_000))
    assert saved is not None
    assert saved.produced <= 10_000
    assert "limit" in saved.reason


def test_truncated_corpus_initramfs_keeps_partial_results(tmp_path: Path) -> None:
    image = CORPUS / "cobalt_cv200_initramfs_2.0.7.cpio.gz"
    cut = tmp_path / "cut.cpio.gz"
    cut.write_bytes(image.read_bytes()[: image.stat().st_size // 2])
    result = unpack(cut, tmp_path / "work", Limits())
    (top,) = result.layers
    assert (top.format, top.role) == ("gzip", "truncated")
    assert top.children, "the readable half must be unpacked further"
    assert "truncated" in result.skipped[0].reason
