"""Hardening family on the corpus: which ELF files it judges and what it says about them.

The expected facts are read here with a few lines of ``struct`` from the ELF program headers
(PT_GNU_STACK flags, PT_GNU_RELRO, PT_INTERP/PT_DYNAMIC) - independent of LIEF, which the family
uses - and the set of ELF files comes from the truth file.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from partb_support import corpus_findings, corpus_images, main_root, truth

from iotvet.checks import hardening
from iotvet.context import ScanContext
from iotvet.rootfs import RootFS
from iotvet.unpack.interface import UnpackResult

Unpacked = Callable[[Path], UnpackResult]
PT_DYNAMIC, PT_INTERP = 2, 3
PT_GNU_STACK, PT_GNU_RELRO = 0x6474E551, 0x6474E552
ET_EXEC = 2


def program_headers(data: bytes) -> tuple[int, list[tuple[int, int]]]:
    """(e_type, [(p_type, p_flags)]) of an ELF file."""
    wide = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    e_type = struct.unpack_from(end + "H", data, 16)[0]
    if wide:
        (phoff,) = struct.unpack_from(end + "Q", data, 32)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 54)
    else:
        (phoff,) = struct.unpack_from(end + "I", data, 28)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 42)
    headers = []
    for i in range(phnum):
        at = phoff + i * phentsize
        p_type = struct.unpack_from(end + "I", data, at)[0]
        p_flags = struct.unpack_from(end + "I", data, at + (4 if wide else 24))[0]
        headers.append((p_type, p_flags))
    return e_type, headers


def truth_elf_files(image: Path) -> dict[str, str]:
    return {
        f["path"]: f["elf"]
        for c in truth(image)["components"]
        for f in c["files"]
        if f.get("elf") and f.get("type") == "file"
    }


def expected_lists(root: RootFS, paths: list[str]) -> dict[str, set[str]]:
    lists: dict[str, set[str]] = {"executable-stack": set(), "no-relro": set(), "exec": set()}
    for path in paths:
        data = root.read_bytes(path, 1 << 20) or b""
        e_type, headers = program_headers(data)
        types = {t for t, _ in headers}
        stack = [flags for t, flags in headers if t == PT_GNU_STACK]
        if not stack or stack[0] & 1:  # PF_X
            lists["executable-stack"].add(path)
        if PT_GNU_RELRO not in types and (PT_DYNAMIC in types or PT_INTERP in types):
            lists["no-relro"].add(path)
        if e_type == ET_EXEC:
            lists["exec"].add(path)
    return lists


@pytest.mark.parametrize("image", corpus_images(), ids=lambda p: p.name.split("_")[0])
def test_hardening_matches_independent_program_header_reading(
    image: Path, unpacked: Unpacked
) -> None:
    root = main_root(unpacked(image))
    elf_files = truth_elf_files(image)
    judged = hardening.binaries(root, ScanContext(roots=[root]))
    assert {b.path for b in judged} == set(elf_files)
    expected = expected_lists(root, sorted(elf_files))
    assert expected["exec"] == {p for p, t in elf_files.items() if t == "EXEC"}
    by_check = {f.check: f for f in corpus_findings(hardening.FAMILY, image, unpacked)}

    def listed(check: str) -> set[str]:
        finding = by_check.get(f"hardening.{check}")
        if finding is None:
            return set()
        return set(finding.data["executables"]) | set(finding.data["libraries"])  # type: ignore[arg-type]

    assert listed("executable-stack") == expected["executable-stack"]
    assert listed("no-relro") == expected["no-relro"]
    assert listed("no-pie") == expected["exec"]
    summary = by_check["hardening.summary"].data
    assert summary["executables"]["count"] + summary["libraries"]["count"] == len(elf_files)  # type: ignore[index]
