"""The compiled Hyperscan database is cached on disk and a bad cache never changes results."""

from __future__ import annotations

from pathlib import Path

import pytest

from iotvet.inventory.signatures import SignatureDB, load_signatures

BLOB = b"\x00junk BusyBox v1.35.0 (2023-01-01) multi-call binary\x00 dropbear_2022.83\x00"


def _found(db: SignatureDB) -> dict[str, list[str | None]]:
    return {name: [h.version for h in hits] for name, hits in db.scan(BLOB).by_signature().items()}


def test_second_build_loads_the_cache_and_finds_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IOTVET_HOME", str(tmp_path))
    signatures = load_signatures()
    fresh = SignatureDB(signatures)
    cached = list((tmp_path / "cache").glob("signatures-*.hsdb"))
    assert len(cached) == 1, "compiling must leave exactly one cache file"
    again = SignatureDB(signatures)
    assert _found(again) == _found(fresh)
    assert "busybox" in _found(fresh)


def test_corrupt_cache_falls_back_to_compiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IOTVET_HOME", str(tmp_path))
    signatures = load_signatures()
    reference = _found(SignatureDB(signatures))
    (cache_file,) = (tmp_path / "cache").glob("signatures-*.hsdb")
    cache_file.write_bytes(b"not a hyperscan database")
    assert _found(SignatureDB(signatures)) == reference
    assert cache_file.read_bytes() != b"not a hyperscan database", "the cache is rewritten"
