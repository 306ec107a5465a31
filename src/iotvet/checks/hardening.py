"""Binary-hardening family: NX, PIE, RELRO, stack canaries, FORTIFY and RPATH of every ELF file.

Why: memory-safety bugs in C daemons are the usual way into a device; exploit mitigations decide
whether such a bug becomes code execution. The facts per ELF come from the inventory's cached LIEF
parse (``inventory.elf.elf_info``), so no file is parsed twice. Missing mitigations are reported
as one finding per property listing every binary (a toolchain setting is fixed once, not a
thousand times); only search paths that let another user plant a library are reported per binary.
An info finding ``hardening.summary`` gives the coverage per property for the image.
"""

from __future__ import annotations

import posixpath
import stat
from dataclasses import dataclass, field
from typing import Any

from .. import datafiles
from ..context import ScanContext
from ..inventory.elf import ElfInfo, elf_info
from ..model import Finding
from ..rootfs import RootFS
from . import filescan

THEME = "binary-hardening"
STAGE = "checks.hardening"


@dataclass
class Binary:
    path: str
    info: ElfInfo
    executable: bool  # a program (ET_EXEC or PIE); otherwise a shared library or plugin


@dataclass
class _Tally:
    """Binaries lacking each property, split by role."""

    executables: list[Binary] = field(default_factory=list)
    libraries: list[Binary] = field(default_factory=list)


def _rules() -> dict[str, Any]:
    return datafiles.load("hardening.yaml")


def is_executable(info: ElfInfo) -> bool:
    """ET_EXEC, or a position-independent executable (has an interpreter / DF_1_PIE, no SONAME).

    glibc's libc.so.6 has an interpreter so it can be run, but its SONAME makes it a library.
    """
    if info.file_type == "EXEC":
        return True
    return info.file_type == "DYN" and info.pie and info.soname is None


def binaries(root: RootFS, ctx: ScanContext) -> list[Binary]:
    """Every user-space ELF program and library of ``root`` with its hardening facts."""
    excluded = [str(g) for g in _rules()["excluded_globs"]]
    found: list[Binary] = []
    for entry in filescan.classify(root).elf:
        if filescan.matches_any(entry.path, excluded):
            continue
        info = elf_info(root.host_path(entry.path))
        if info is None:
            ctx.skip(entry.path, "ELF file could not be parsed", STAGE)
            continue
        if info.file_type not in ("EXEC", "DYN"):
            continue  # relocatable objects, core files
        found.append(Binary(entry.path, info, is_executable(info)))
    return found


def fortify_applicable(info: ElfInfo) -> bool:
    """True if FORTIFY_SOURCE would show in this binary and it calls a function it checks."""
    if info.fortified:
        return True
    if not set(info.needed) & set(_rules()["fortify_visible_with"]):
        return False  # musl/uClibc: fortification leaves no trace in the binary
    return bool(info.imported_symbols & set(_rules()["fortifiable_functions"]))


def canary_known(info: ElfInfo) -> bool:
    """A stripped static binary has no symbols left to prove or disprove a canary."""
    return not (info.static and info.stripped)


def _writable_dirs(root: RootFS) -> list[str]:
    listed = [str(d) for d in _rules()["writable_directories"]]
    world = [
        e.path
        for e in root.entries.values()
        if e.is_dir and e.mode & stat.S_IWOTH and not e.mode & stat.S_ISVTX
    ]
    return listed + world


def insecure_search_paths(binary: Binary, writable: list[str]) -> list[str]:
    """RPATH/RUNPATH entries another user could plant a library in (or that depend on the CWD)."""
    bad = []
    origin = posixpath.dirname(binary.path)
    for raw in (*binary.info.rpath, *binary.info.runpath):
        path = raw.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)
        if not path.startswith("/"):
            bad.append(raw)  # relative: resolved against the current directory
            continue
        normal = posixpath.normpath(path)
        if any(normal == d or normal.startswith(d.rstrip("/") + "/") for d in writable):
            bad.append(raw)
    return bad


@dataclass(frozen=True)
class HardeningFamily:
    name: str = "hardening"

    def run(self, root: RootFS, ctx: ScanContext) -> list[Finding]:
        return assess(binaries(root, ctx), _writable_dirs(root))


def assess(found: list[Binary], writable: list[str]) -> list[Finding]:
    """Findings for a set of binaries; ``writable`` lists directories other users can write."""
    if not found:
        return []
    findings = [f for b in found if (f := _search_path_finding(b, writable)) is not None]
    findings += _aggregate_findings(found)
    findings.append(_summary(found))
    return findings


def _search_path_finding(binary: Binary, writable: list[str]) -> Finding | None:
    bad = insecure_search_paths(binary, writable)
    if not bad:
        return None
    kind = "RUNPATH" if binary.info.runpath else "RPATH"
    return Finding(
        check="hardening.insecure-rpath",
        severity="medium",
        cwe="CWE-426",
        path=binary.path,
        title=f"{kind} lets other users plant libraries: {', '.join(bad)}",
        detail=f"{binary.path} searches {', '.join(bad)} for shared libraries (RPATH "
        f"{list(binary.info.rpath)}, RUNPATH {list(binary.info.runpath)}); these are relative "
        "or writable locations.",
        themes=[THEME],
        data={
            "rpath": list(binary.info.rpath),
            "runpath": list(binary.info.runpath),
            "insecure": bad,
        },
    )


def _listing(binaries_: list[Binary]) -> str:
    limit = int(_rules()["detail_paths"])
    paths = sorted(b.path for b in binaries_)
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


_PROPERTIES: tuple[tuple[str, str, str, str, str], ...] = (
    # check id, severity, cwe, title, why it matters
    (
        "hardening.executable-stack",
        "medium",
        "CWE-693",
        "executable stack (no NX)",
        "PT_GNU_STACK is missing or executable, so injected code on the stack can run",
    ),
    (
        "hardening.no-pie",
        "low",
        "CWE-693",
        "not position-independent (no PIE)",
        "the program's code is always at the same address, which makes return-oriented "
        "exploits reliable",
    ),
    (
        "hardening.no-relro",
        "low",
        "CWE-693",
        "no RELRO",
        "the GOT stays writable, a classic target to redirect control flow",
    ),
    (
        "hardening.no-stack-canary",
        "low",
        "CWE-693",
        "no stack canary",
        "stack buffer overflows overwrite the return address undetected",
    ),
    (
        "hardening.no-fortify",
        "low",
        "CWE-693",
        "no FORTIFY_SOURCE",
        "calls such as memcpy/sprintf are not bounds-checked although the compiler could have",
    ),
)


def _lacking(found: list[Binary]) -> dict[str, _Tally]:
    lacking = {check: _Tally() for check, *_ in _PROPERTIES}
    for binary in found:
        info = binary.info
        problems = {
            "hardening.executable-stack": not info.nx,
            "hardening.no-pie": binary.executable and not info.pie,
            "hardening.no-relro": info.relro == "none" and not info.static,
            # Canary and FORTIFY are judged on programs only: a small library with no arrays
            # never calls __stack_chk_fail even when built with -fstack-protector-strong.
            "hardening.no-stack-canary": binary.executable
            and canary_known(info)
            and not info.canary,
            "hardening.no-fortify": binary.executable
            and not info.fortified
            and fortify_applicable(info),
        }
        for check, missing in problems.items():
            if missing:
                tally = lacking[check]
                (tally.executables if binary.executable else tally.libraries).append(binary)
    return lacking


def _aggregate_findings(found: list[Binary]) -> list[Finding]:
    findings = []
    lacking = _lacking(found)
    totals = (sum(b.executable for b in found), sum(not b.executable for b in found))
    for check, severity, cwe, label, why in _PROPERTIES:
        tally = lacking[check]
        if not tally.executables and not tally.libraries:
            continue
        parts = [
            f"{len(group)} of {total} {noun}"
            for group, total, noun in (
                (tally.executables, totals[0], "executables"),
                (tally.libraries, totals[1], "libraries"),
            )
            if group
        ]
        counts = " and ".join(parts)
        findings.append(
            Finding(
                check=check,
                severity=severity,  # type: ignore[arg-type]
                cwe=cwe,
                path=(tally.executables or tally.libraries)[0].path,
                title=f"{counts}: {label}",
                detail=f"{counts}: {why}."
                + (f" Executables: {_listing(tally.executables)}." if tally.executables else "")
                + (f" Libraries: {_listing(tally.libraries)}." if tally.libraries else ""),
                themes=[THEME],
                data={
                    "executables": sorted(b.path for b in tally.executables),
                    "libraries": sorted(b.path for b in tally.libraries),
                    "executable_count": len(tally.executables),
                    "library_count": len(tally.libraries),
                    "executables_total": totals[0],
                    "libraries_total": totals[1],
                },
            )
        )
    return findings


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _coverage(group: list[Binary], executables: bool) -> dict[str, Any]:
    n = len(group)
    canary_group = [b for b in group if canary_known(b.info)]
    fortify_group = [b for b in group if fortify_applicable(b.info)]
    coverage: dict[str, Any] = {
        "count": n,
        "nx": _percent(sum(b.info.nx for b in group), n),
        "relro_full": _percent(sum(b.info.relro == "full" for b in group), n),
        "relro_partial": _percent(sum(b.info.relro == "partial" for b in group), n),
        "relro_none": _percent(sum(b.info.relro == "none" for b in group), n),
        "canary": _percent(sum(b.info.canary for b in canary_group), len(canary_group)),
        "canary_unknown": n - len(canary_group),
        "fortify": _percent(sum(bool(b.info.fortified) for b in fortify_group), len(fortify_group)),
        "stripped": _percent(sum(b.info.stripped for b in group), n),
        "rpath_or_runpath": sum(bool(b.info.rpath or b.info.runpath) for b in group),
    }
    if executables:
        coverage["pie"] = _percent(sum(b.info.pie for b in group), n)
        coverage["static"] = sum(b.info.static for b in group)
    return coverage


def _summary(found: list[Binary]) -> Finding:
    programs = [b for b in found if b.executable]
    libraries = [b for b in found if not b.executable]
    exe, lib = _coverage(programs, True), _coverage(libraries, False)

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:g}%"

    detail = (
        f"{exe['count']} executables: NX {pct(exe['nx'])}, PIE {pct(exe['pie'])}, full RELRO "
        f"{pct(exe['relro_full'])} (partial {pct(exe['relro_partial'])}), stack canary "
        f"{pct(exe['canary'])}, FORTIFY {pct(exe['fortify'])}, stripped {pct(exe['stripped'])}. "
        f"{lib['count']} libraries: NX {pct(lib['nx'])}, full RELRO {pct(lib['relro_full'])} "
        f"(partial {pct(lib['relro_partial'])}), stack canary {pct(lib['canary'])}."
    )
    return Finding(
        check="hardening.summary",
        severity="info",
        path="/",
        title=f"Binary hardening of {len(found)} ELF files",
        detail=detail,
        themes=[THEME],
        data={"executables": exe, "libraries": lib},
    )


FAMILY = HardeningFamily()
