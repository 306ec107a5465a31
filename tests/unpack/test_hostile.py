"""Absurd inputs never crash the stage: they give a result whose ``skipped`` says what happened."""

from __future__ import annotations

import os
import random
import subprocess
import tarfile
from pathlib import Path

import pytest
from unpack_inputs import (
    entry,
    gzip_bytes,
    gzip_of_zeros,
    rootfs_members,
    tar_bytes,
    tree_outside,
    write,
)

from corpus import REAL
from iotvet.limits import Limits
from iotvet.unpack import unpack


def test_empty_file(tmp_path: Path) -> None:
    result = unpack(write(tmp_path / "empty.bin", b""), tmp_path / "work", Limits())
    assert result.roots == []
    assert any("empty" in s.reason for s in result.skipped)


def test_missing_target_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        unpack(tmp_path / "nope.bin", tmp_path / "work", Limits())


def test_random_bytes(tmp_path: Path) -> None:
    data = random.Random(7).randbytes(256 * 1024)
    result = unpack(write(tmp_path / "random.bin", data), tmp_path / "work", Limits())
    top = result.layers[0]
    assert top.entropy is not None and top.entropy > 7.9
    assert any(layer.role == "encrypted" for layer in result.layers)
    assert any("entropy" in s.reason for s in result.skipped)


def test_truncated_squashfs(tmp_path: Path) -> None:
    source = tmp_path / "src"
    for i in range(40):
        write(source / "etc" / f"f{i}", random.Random(i).randbytes(8000))
    write(source / "bin" / "sh", b"#!/bin/true\n")
    image = tmp_path / "fs.sqsh"
    subprocess.run(
        ["mksquashfs", str(source), str(image), "-comp", "gzip", "-noappend", "-quiet"],
        check=True, capture_output=True,
    )  # fmt: skip
    data = image.read_bytes()
    truncated = write(tmp_path / "truncated.sqsh", data[: len(data) // 2])
    result = unpack(truncated, tmp_path / "work", Limits())
    assert result.skipped, "a truncated image must report what it passed over"


def test_gzip_bomb_stops_at_the_byte_limit(tmp_path: Path) -> None:
    bomb = write(tmp_path / "bomb.gz", gzip_of_zeros(96 << 20))
    assert bomb.stat().st_size < 1 << 20
    limits = Limits(max_unpacked_bytes=2 << 20)
    result = unpack(bomb, tmp_path / "work", limits)
    assert any("max unpacked bytes" in s.reason for s in result.skipped), result.skipped


def test_nesting_beyond_max_depth_is_reported(tmp_path: Path) -> None:
    data = tar_bytes(rootfs_members([]))
    for _ in range(6):
        data = gzip_bytes(data)
    result = unpack(write(tmp_path / "deep.gz", data), tmp_path / "work", Limits(max_depth=3))
    assert any("max nesting depth 3" in s.reason for s in result.skipped), result.skipped
    assert not [r for r in result.roots if r.kind == "rootfs"]


def test_too_many_files(tmp_path: Path) -> None:
    members = [(entry(f"d/f{i}"), b"x") for i in range(400)]
    archive = write(tmp_path / "many.tar", tar_bytes(members))
    result = unpack(archive, tmp_path / "work", Limits(max_files=50))
    assert any("max files" in s.reason for s in result.skipped), result.skipped


def test_wall_time_limit(tmp_path: Path) -> None:
    # The VxWorks sample holds ~200 LZMA streams: seconds of work, stopped after 0.3 s.
    result = unpack(REAL / "firmware" / "fe_wr.fw", tmp_path / "work", Limits(stage_timeout_s=0.3))
    assert any("wall time limit" in s.reason for s in result.skipped), result.skipped


def test_symlinks_never_lead_out_of_the_work_directory(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside / "keep.txt", b"untouched")
    before = tree_outside(outside)
    members = rootfs_members([
        (entry("escape", tarfile.SYMTYPE, link=str(outside)), None),
        (entry("escape/planted.txt"), b"written through a symlink"),
        (entry("etc/abs", tarfile.SYMTYPE, link="/etc/passwd"), None),
        (entry("etc/up", tarfile.SYMTYPE, link="../../../../../../etc/passwd"), None),
        (entry("../../dotdot.txt"), b"path traversal"),
    ])  # fmt: skip
    work = tmp_path / "work"
    result = unpack(write(tmp_path / "evil.tar", tar_bytes(members)), work, Limits())
    assert tree_outside(outside) == before
    assert not (tmp_path / "dotdot.txt").exists()
    for directory, dirs, files in os.walk(work):
        for name in dirs + files:
            path = Path(directory, name)
            if path.is_symlink():
                resolved = path.resolve()
                assert resolved.is_relative_to(work.resolve()) or not resolved.exists(), path
    root = next(r for r in result.roots if r.kind == "rootfs")
    assert root.read_text("/etc/up") in (None, root.read_text("/etc/passwd"))
