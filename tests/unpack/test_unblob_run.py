"""The unblob run itself: sandbox, working directory independence, the benchmark baseline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from unpack_inputs import entry, gzip_bytes, rootfs_members, tar_bytes, write

from iotvet.limits import Limits
from iotvet.unpack import engine, unblob_only, unpack


def _image(tmp_path: Path) -> Path:
    nested = gzip_bytes(tar_bytes([(entry("a.txt"), b"hello\n")]))
    members = rootfs_members([(entry("usr/share/pack.tar.gz"), nested)])
    return write(tmp_path / "fw.tar", tar_bytes(members))


def test_runs_from_any_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox only allows writes below the work directory; nothing may go to the cwd."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    result = unpack(_image(tmp_path), tmp_path / "work", Limits())
    assert result.sandboxed, result.notes
    assert result.roots[0].exists("/etc/passwd")
    assert os.listdir(cwd) == []


def test_without_sandbox_the_run_goes_on_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object) -> None:
        raise engine.SandboxError("landlock not supported")

    monkeypatch.setattr(engine, "restrict_access", refuse)
    result = unpack(_image(tmp_path), tmp_path / "work", Limits())
    assert not result.sandboxed
    assert any("sandbox unavailable" in note for note in result.notes)
    assert result.roots[0].exists("/etc/passwd")


def test_unblob_only_scans_everything(tmp_path: Path) -> None:
    image = _image(tmp_path)
    alone = unblob_only(image, tmp_path / "alone", Limits())
    staged = engine.run_unblob(image, tmp_path / "staged", Limits())
    assert alone.pruned_files == 0 and staged.pruned_files > 0
    assert len(alone.results) > len(staged.results)
    assert alone.config.process_num == engine.cpu_count()
