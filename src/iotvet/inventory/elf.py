"""ELF facts read once per file with LIEF, shared by the inventory and the hardening checks.

Identification needs the linking facts (SONAME, NEEDED, symbol versions, package notes) to tell a
library's own file from a program that merely links to it; the hardening family needs the
protection facts (NX, PIE, RELRO, canary, FORTIFY). Both come from one parse: ``elf_info`` caches
the result per file (keyed by path, size and mtime, so a rewritten file is parsed again), and the
parser skips what neither consumer uses (relocations, the full symbol table, overlays), which
keeps the cost well under a millisecond for a typical embedded binary.

Firmware is hostile input: a truncated or malformed ELF yields ``None`` (or partial facts), never
an exception.
"""

from __future__ import annotations

import io
import json
import os
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import lief

lief.logging.disable()

ELF_MAGIC = b"\x7fELF"

#: Imports that prove stack-protector instrumentation (glibc, musl, uClibc, bionic spellings).
_CANARY_SYMBOLS = frozenset({"__stack_chk_fail", "__stack_chk_fail_local", "__stack_chk_guard"})

#: The FDO packaging-metadata note ("FDO" owner, type 0xcafe1a7e): JSON naming the package.
#: https://systemd.io/ELF_PACKAGE_METADATA/
_FDO_NOTE_OWNER = "FDO"
_FDO_PACKAGING_METADATA = 0xCAFE1A7E

_MAX_CACHED = 16384
_CACHE: OrderedDict[tuple[str, int, int], ElfInfo | None] = OrderedDict()
_LOCK = threading.Lock()


@dataclass(frozen=True)
class ElfInfo:
    """What one ELF file says about itself; every field is a plain value, safe to keep around."""

    machine: str  # LIEF's ARCH name: "MIPS", "ARM", "AARCH64", "X86_64", …
    bits: int  # 32 or 64
    endianness: str  # "little" or "big"
    file_type: str  # "EXEC", "DYN", "REL", "CORE", …
    soname: str | None = None
    needed: tuple[str, ...] = ()
    rpath: tuple[str, ...] = ()
    runpath: tuple[str, ...] = ()
    interpreter: str | None = None
    #: Version nodes this file defines (verdef), e.g. ("OPENSSL_3.0.0", "OPENSSL_3.0.3").
    version_definitions: tuple[str, ...] = ()
    #: Version nodes this file requires, per library (verneed): {"libc.so.6": ("GLIBC_2.34", …)}.
    version_requirements: dict[str, tuple[str, ...]] = field(default_factory=dict)
    imported_symbols: frozenset[str] = frozenset()
    stripped: bool = True  # no .symtab section
    static: bool = False  # no interpreter and nothing NEEDED
    pie: bool = False
    gnu_stack: bool = False  # a PT_GNU_STACK header is present
    nx: bool = False  # PT_GNU_STACK present and not executable
    relro: str = "none"  # "none", "partial" or "full"
    canary: bool = False
    fortified: tuple[str, ...] = ()  # the *_chk functions imported (FORTIFY_SOURCE)
    package_note: dict[str, str] | None = None  # FDO packaging metadata, when present
    build_id: str | None = None

    @property
    def fortify(self) -> bool:
        return bool(self.fortified)


def is_elf(data: bytes) -> bool:
    return data[:4] == ELF_MAGIC


def elf_info(host_path: Path | str, data: bytes | None = None) -> ElfInfo | None:
    """Facts of the ELF file at ``host_path`` (None if it is not a readable ELF file).

    ``data`` may carry bytes already read by the caller; the cache key is the file's identity on
    disk (path, size, mtime), so every consumer in the process shares one parse per file.
    """
    path = os.fspath(host_path)
    try:
        st = os.stat(path)
    except OSError:
        return None
    if data is not None and not is_elf(data):
        return None
    key = (path, st.st_size, st.st_mtime_ns)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    info = parse_elf(path, data)
    with _LOCK:
        _CACHE[key] = info
        if len(_CACHE) > _MAX_CACHED:
            _CACHE.popitem(last=False)
    return info


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()


def _config(symtab: bool) -> lief.ELF.ParserConfig:
    config = lief.ELF.ParserConfig()
    config.parse_relocations = False
    config.parse_overlay = False
    config.parse_symtab_symbols = symtab
    config.parse_dyn_symbols = True
    config.parse_symbol_versions = True
    config.parse_notes = True
    return config


def _identity(path: str, data: bytes | None) -> tuple[int, str] | None:
    """(bits, endianness) from e_ident, or None when the file is not a well-formed ELF start."""
    if data is None:
        try:
            with open(path, "rb") as handle:
                data = handle.read(16)
        except OSError:
            return None
    if len(data) < 16 or not is_elf(data) or data[4] not in (1, 2) or data[5] not in (1, 2):
        return None
    return (32 if data[4] == 1 else 64), ("little" if data[5] == 1 else "big")


def _load(path: str, data: bytes | None, symtab: bool) -> lief.ELF.Binary | None:
    try:
        if data is None:
            return lief.ELF.parse(path, _config(symtab))
        return lief.ELF.parse(io.BytesIO(data), _config(symtab))
    except (OSError, RuntimeError, ValueError, TypeError):
        return None


def parse_elf(path: str, data: bytes | None = None) -> ElfInfo | None:
    """Parse without the cache (the cache wraps this)."""
    identity = _identity(path, data)
    if identity is None:
        return None
    with warnings.catch_warnings():
        # LIEF's enums warn on values outside the spec (hostile headers); they are data here.
        warnings.simplefilter("ignore", RuntimeWarning)
        binary = _load(path, data, symtab=False)
        if binary is None:
            return None
        try:
            info = _facts(binary, *identity)
        except (RuntimeError, ValueError, AttributeError, SystemError, TypeError):
            return None
        if info.static and not info.stripped and not info.canary:
            # A static binary imports nothing; its own symbol table is the only canary witness.
            full = _load(path, data, symtab=True)
            if full is not None:
                names = {_text(s.name) for s in full.symtab_symbols}
                if names & _CANARY_SYMBOLS:
                    info = _replace_canary(info, names)
    return info


def _replace_canary(info: ElfInfo, names: set[str]) -> ElfInfo:
    from dataclasses import replace

    fortified = tuple(sorted(n for n in names if _is_fortified(n)))
    return replace(info, canary=True, fortified=info.fortified or fortified)


def _is_fortified(name: str) -> bool:
    return name.startswith("__") and name.endswith("_chk") and name not in _CANARY_SYMBOLS


def _facts(binary: lief.ELF.Binary, bits: int, endianness: str) -> ElfInfo:
    header = binary.header
    tag = lief.ELF.DynamicEntry.TAG
    flags = lief.ELF.DynamicEntryFlags.FLAG
    soname = None
    needed: list[str] = []
    rpath: list[str] = []
    runpath: list[str] = []
    bind_now = False
    for entry in binary.dynamic_entries:
        if isinstance(entry, lief.ELF.DynamicEntryLibrary):
            needed.append(_text(entry.name))
        elif isinstance(entry, lief.ELF.DynamicSharedObject):
            soname = _text(entry.name)
        elif isinstance(entry, lief.ELF.DynamicEntryRpath):
            rpath.extend(_text(p) for p in entry.paths if p)
        elif isinstance(entry, lief.ELF.DynamicEntryRunPath):
            runpath.extend(_text(p) for p in entry.paths if p)
        elif isinstance(entry, lief.ELF.DynamicEntryFlags):
            flag = flags.BIND_NOW if entry.tag == tag.FLAGS else flags.NOW
            bind_now = bind_now or entry.has(flag)
        elif entry.tag == tag.BIND_NOW:
            bind_now = True

    segment_types = lief.ELF.Segment.TYPE
    gnu_stack = False
    nx = False
    has_relro = False
    has_dynamic = False
    for segment in binary.segments:
        if segment.type == segment_types.GNU_STACK:
            gnu_stack = True
            nx = not segment.has(lief.ELF.Segment.FLAGS.X)
        elif segment.type == segment_types.GNU_RELRO:
            has_relro = True
        elif segment.type == segment_types.DYNAMIC:
            has_dynamic = True

    definitions: list[str] = []
    for definition in binary.symbols_version_definition:
        if definition.flags & 1:  # VER_FLG_BASE: the file's own name, not a version node
            continue
        aux = list(definition.auxiliary_symbols)
        if aux:
            definitions.append(_text(aux[0].name))
    requirements: dict[str, tuple[str, ...]] = {}
    for requirement in binary.symbols_version_requirement:
        names = tuple(_text(a.name) for a in requirement.get_auxiliary_symbols())
        library = _text(requirement.name)
        requirements[library] = requirements.get(library, ()) + names

    imported = frozenset(_text(s.name) for s in binary.imported_symbols if s.name)
    interpreter = _text(binary.interpreter) if binary.has_interpreter else None
    stripped = not any(_text(section.name) == ".symtab" for section in binary.sections)
    return ElfInfo(
        machine=_enum_name(header.machine_type),
        bits=bits,
        endianness=endianness,
        file_type=_enum_name(header.file_type),
        soname=soname,
        needed=tuple(needed),
        rpath=tuple(rpath),
        runpath=tuple(runpath),
        interpreter=interpreter,
        version_definitions=tuple(definitions),
        version_requirements=requirements,
        imported_symbols=imported,
        stripped=stripped,
        static=interpreter is None and not needed and not has_dynamic,
        pie=bool(binary.is_pie),
        gnu_stack=gnu_stack,
        nx=nx,
        relro=("full" if bind_now else "partial") if has_relro else "none",
        canary=bool(imported & _CANARY_SYMBOLS),
        fortified=tuple(sorted(n for n in imported if _is_fortified(n))),
        package_note=_package_note(binary),
        build_id=_build_id(binary),
    )


def _text(value: object) -> str:
    """LIEF hands back bytes for names that are not UTF-8 (hostile or exotic files)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _enum_name(value: object) -> str:
    """LIEF enum member name; unknown raw values (hostile headers) come back as the number."""
    name = getattr(value, "name", None)
    if isinstance(name, str) and name:
        return name
    try:
        return str(int(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return "UNKNOWN"


def _package_note(binary: lief.ELF.Binary) -> dict[str, str] | None:
    for note in binary.notes:
        if (
            _text(note.name).rstrip("\x00") != _FDO_NOTE_OWNER
            or _note_type(note) != _FDO_PACKAGING_METADATA
        ):
            continue
        raw = bytes(note.description).rstrip(b"\x00")
        try:
            parsed = json.loads(raw.decode("utf-8", errors="replace"))
        except ValueError:
            return None
        if isinstance(parsed, dict):
            return {str(k): str(v) for k, v in parsed.items() if isinstance(v, str | int | float)}
    return None


def _note_type(note: lief.ELF.Note) -> int:
    """The raw n_type (LIEF maps unknown owners' types to UNKNOWN; the original value is kept)."""
    original = getattr(note, "original_type", None)
    if isinstance(original, int):
        return original
    try:
        return int(note.type)
    except (TypeError, ValueError):
        return -1


def _build_id(binary: lief.ELF.Binary) -> str | None:
    for note in binary.notes:
        if note.type == lief.ELF.Note.TYPE.GNU_BUILD_ID:
            return bytes(note.description).hex() or None
    return None
