"""``elf_info``: one cached parse per file, and hostile input never raises."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from test_elf_builder import ElfSpec, build_elf, write_elf

from iotvet.inventory.elf import clear_cache, elf_info, is_elf, parse_elf


def test_not_elf_gives_none(tmp_path: Path) -> None:
    text = tmp_path / "script.sh"
    text.write_text("#!/bin/sh\necho hi\n")
    assert elf_info(text) is None
    assert elf_info(tmp_path / "missing") is None
    assert not is_elf(b"#!/b")


@pytest.mark.parametrize("cut", [4, 16, 40, 64, 100, 200])
def test_truncated_elf_never_raises(tmp_path: Path, cut: int) -> None:
    data = build_elf(ElfSpec(needed=["libc.so.6"], soname="libx.so.1", interpreter="/lib/ld.so"))
    path = tmp_path / f"cut{cut}"
    path.write_bytes(data[:cut])
    info = parse_elf(str(path))
    assert info is None or info.needed in ((), ("libc.so.6",))


def test_random_bytes_behind_elf_magic_never_raise(tmp_path: Path) -> None:
    rng = random.Random(1234)
    for i in range(30):
        path = tmp_path / f"junk{i}"
        path.write_bytes(
            b"\x7fELF" + bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 600)))
        )
        info = parse_elf(str(path))
        assert info is None or isinstance(info.needed, tuple)


def test_cache_returns_one_parse_per_file_and_notices_changes(tmp_path: Path) -> None:
    clear_cache()
    path = write_elf(tmp_path / "libfoo.so.1", ElfSpec(soname="libfoo.so.1"))
    first = elf_info(path)
    assert first is not None and elf_info(path) is first
    path.write_bytes(build_elf(ElfSpec(soname="libfoo.so.2", needed=["libc.so.6"])))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    second = elf_info(path)
    assert second is not None and second.soname == "libfoo.so.2"


def test_preloaded_non_elf_bytes_are_rejected(tmp_path: Path) -> None:
    path = write_elf(tmp_path / "lib.so", ElfSpec(soname="lib.so"))
    assert elf_info(path, b"not an elf at all") is None
