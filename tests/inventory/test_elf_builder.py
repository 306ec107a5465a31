"""A tiny, independent ELF writer for tests, and the checks that LIEF-based ``elf_info`` reads
back exactly the facts written.

Tests of identification and attribution need binaries with chosen NEEDED entries, SONAMEs and
banners, for several CPUs and both byte orders, without a cross compiler. ``build_elf`` lays out a
minimal but valid dynamic ELF by hand (struct packing from the System V ABI / LSB tables): one
PT_LOAD mapping the whole file at address = offset, a dynamic section, .dynstr/.dynsym/.hash,
optional symbol-version tables (verdef/verneed), notes, PT_INTERP, PT_GNU_STACK, PT_GNU_RELRO
and a section header table. Because it does not share code with LIEF, agreement is evidence.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from iotvet.inventory.elf import elf_info, parse_elf

EM = {"X86_64": 62, "ARM": 40, "MIPS": 8, "AARCH64": 183, "PPC": 20}
ET_EXEC, ET_DYN = 2, 3
PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE = 1, 2, 3, 4
PT_GNU_STACK, PT_GNU_RELRO = 0x6474E551, 0x6474E552
DT = {
    "NULL": 0, "NEEDED": 1, "HASH": 4, "STRTAB": 5, "SYMTAB": 6, "STRSZ": 10, "SYMENT": 11,
    "SONAME": 14, "RPATH": 15, "BIND_NOW": 24, "RUNPATH": 29, "FLAGS": 30,
    "VERSYM": 0x6FFFFFF0, "FLAGS_1": 0x6FFFFFFB, "VERDEF": 0x6FFFFFFC, "VERDEFNUM": 0x6FFFFFFD,
    "VERNEED": 0x6FFFFFFE, "VERNEEDNUM": 0x6FFFFFFF,
}  # fmt: skip
DF_BIND_NOW, DF_1_NOW, DF_1_PIE = 0x8, 0x1, 0x08000000


def elf_hash(name: str) -> int:
    h = 0
    for ch in name.encode():
        h = (h << 4) + ch
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g
    return h & 0xFFFFFFFF


@dataclass
class ElfSpec:
    machine: str = "X86_64"
    bits: int = 64
    big_endian: bool = False
    file_type: int = ET_DYN
    interpreter: str | None = None
    needed: list[str] = field(default_factory=list)
    soname: str | None = None
    rpath: str | None = None
    runpath: str | None = None
    bind_now: bool = False
    pie_flag: bool = False
    stack: str | None = "nonexec"  # None (no PT_GNU_STACK), "exec", "nonexec"
    relro: bool = False
    imports: list[str] = field(default_factory=list)
    verdefs: list[str] = field(default_factory=list)
    verneeds: dict[str, list[str]] = field(default_factory=dict)
    package_note: dict[str, str] | None = None
    symtab: bool = False  # a (empty) .symtab section: "not stripped"
    dynamic: bool = True  # False: no PT_DYNAMIC, as in a statically linked program
    payload: bytes = b""  # arbitrary bytes carried in the file (banners for the scanner)


class _Strings:
    def __init__(self) -> None:
        self.data = bytearray(b"\x00")
        self.index: dict[str, int] = {"": 0}

    def add(self, text: str) -> int:
        if text not in self.index:
            self.index[text] = len(self.data)
            self.data += text.encode() + b"\x00"
        return self.index[text]


def _align(buf: bytearray, n: int) -> None:
    buf += b"\x00" * (-len(buf) % n)


def build_elf(spec: ElfSpec) -> bytes:
    e = ">" if spec.big_endian else "<"
    wide = spec.bits == 64
    addr = "Q" if wide else "I"
    ehsize, phentsize, shentsize = (64, 56, 64) if wide else (52, 32, 40)

    dynstr = _Strings()
    needed_off = [dynstr.add(n) for n in spec.needed]
    soname_off = dynstr.add(spec.soname) if spec.soname else None
    rpath_off = dynstr.add(spec.rpath) if spec.rpath else None
    runpath_off = dynstr.add(spec.runpath) if spec.runpath else None
    import_off = [dynstr.add(s) for s in spec.imports]
    verdef_names = [spec.soname or "lib.so", *spec.verdefs] if spec.verdefs else []
    verdef_off = [dynstr.add(v) for v in verdef_names]
    verneed_off = {
        lib: (dynstr.add(lib), [dynstr.add(v) for v in vs]) for lib, vs in spec.verneeds.items()
    }

    phdr_types = [PT_LOAD, PT_DYNAMIC] if spec.dynamic else [PT_LOAD]
    if spec.interpreter:
        phdr_types.insert(0, PT_INTERP)
    if spec.package_note is not None:
        phdr_types.append(PT_NOTE)
    if spec.stack:
        phdr_types.append(PT_GNU_STACK)
    if spec.relro:
        phdr_types.append(PT_GNU_RELRO)

    body = bytearray(b"\x00" * (ehsize + phentsize * len(phdr_types)))
    where: dict[str, tuple[int, int]] = {}

    def put(name: str, data: bytes, align: int = 8) -> None:
        _align(body, align)
        where[name] = (len(body), len(data))
        body.extend(data)

    if spec.interpreter:
        put("interp", spec.interpreter.encode() + b"\x00", 1)
    put("dynstr", bytes(dynstr.data), 1)
    nsyms = 1 + len(spec.imports)
    syms = bytearray()
    for i in range(nsyms):
        name = 0 if i == 0 else import_off[i - 1]
        info = 0 if i == 0 else (1 << 4) | 2  # STB_GLOBAL, STT_FUNC; undefined (shndx 0)
        if wide:
            syms += struct.pack(e + "IBBHQQ", name, info, 0, 0, 0, 0)
        else:
            syms += struct.pack(e + "IIIBBH", name, 0, 0, info, 0, 0)
    put("dynsym", bytes(syms))
    put("hash", struct.pack(e + "II", 1, nsyms) + struct.pack(e + "I", 0) + b"\x00" * 4 * nsyms, 4)
    versym = struct.pack(e + "H" * nsyms, *([0] + [1] * (nsyms - 1)))
    put("versym", versym, 2)
    if verdef_names:
        vd = bytearray()
        for i, (name, off) in enumerate(zip(verdef_names, verdef_off, strict=True)):
            last = i == len(verdef_names) - 1
            flags = 1 if i == 0 else 0
            vd += struct.pack(
                e + "HHHHIII", 1, flags, i + 1, 1, elf_hash(name), 20, 0 if last else 28
            )
            vd += struct.pack(e + "II", off, 0)
        put("verdef", bytes(vd), 4)
    if verneed_off:
        vn = bytearray()
        items = list(verneed_off.items())
        index = 2 + len(verdef_names)
        for i, (_lib, (file_off, vers)) in enumerate(items):
            last = i == len(items) - 1
            size = 16 + 16 * len(vers)
            vn += struct.pack(e + "HHIII", 1, len(vers), file_off, 16, 0 if last else size)
            for j, (ver, voff) in enumerate(zip(spec.verneeds[_lib], vers, strict=True)):
                nxt = 0 if j == len(vers) - 1 else 16
                vn += struct.pack(e + "IHHII", elf_hash(ver), 0, index, voff, nxt)
                index += 1
        put("verneed", bytes(vn), 4)
    if spec.package_note is not None:
        desc = json.dumps(spec.package_note).encode() + b"\x00"
        desc += b"\x00" * (-len(desc) % 4)
        note = struct.pack(e + "III", 4, len(desc), 0xCAFE1A7E) + b"FDO\x00" + desc
        put("note", note, 4)
    if spec.payload:
        put("payload", b"\x00" + spec.payload + b"\x00", 1)

    dyn: list[tuple[int, int]] = [(DT["NEEDED"], off) for off in needed_off]
    if soname_off is not None:
        dyn.append((DT["SONAME"], soname_off))
    if rpath_off is not None:
        dyn.append((DT["RPATH"], rpath_off))
    if runpath_off is not None:
        dyn.append((DT["RUNPATH"], runpath_off))
    dyn += [
        (DT["HASH"], where["hash"][0]),
        (DT["STRTAB"], where["dynstr"][0]),
        (DT["SYMTAB"], where["dynsym"][0]),
        (DT["STRSZ"], where["dynstr"][1]),
        (DT["SYMENT"], 24 if wide else 16),
        (DT["VERSYM"], where["versym"][0]),
    ]
    if verdef_names:
        dyn += [(DT["VERDEF"], where["verdef"][0]), (DT["VERDEFNUM"], len(verdef_names))]
    if verneed_off:
        dyn += [(DT["VERNEED"], where["verneed"][0]), (DT["VERNEEDNUM"], len(verneed_off))]
    if spec.bind_now:
        dyn.append((DT["FLAGS"], DF_BIND_NOW))
    flags_1 = (DF_1_NOW if spec.bind_now else 0) | (DF_1_PIE if spec.pie_flag else 0)
    if flags_1:
        dyn.append((DT["FLAGS_1"], flags_1))
    dyn.append((DT["NULL"], 0))
    put("dynamic", b"".join(struct.pack(e + ("qQ" if wide else "iI"), t, v) for t, v in dyn))

    shstr = _Strings()
    sections = [("", 0, 0, 0, 0)]  # name, type, offset, size, entsize
    sections.append((".dynstr", 3, *where["dynstr"], 0))
    if spec.symtab:
        put("symtab", b"\x00" * (24 if wide else 16))
        sections.append((".symtab", 2, *where["symtab"], 24 if wide else 16))
    names = [shstr.add(s[0]) for s in sections]
    shstr_name = shstr.add(".shstrtab")
    put("shstrtab", bytes(shstr.data), 1)
    sections.append((".shstrtab", 3, *where["shstrtab"], 0))
    names.append(shstr_name)
    _align(body, 8)
    shoff = len(body)
    for (_name, sh_type, off, size, entsize), name_off in zip(sections, names, strict=True):
        if wide:
            body += struct.pack(
                e + "IIQQQQIIQQ", name_off, sh_type, 0, off, off, size, 0, 0, 1, entsize
            )
        else:
            body += struct.pack(
                e + "IIIIIIIIII", name_off, sh_type, 0, off, off, size, 0, 0, 1, entsize
            )

    total = len(body)
    ident = b"\x7fELF" + bytes([2 if wide else 1, 2 if spec.big_endian else 1, 1, 0]) + b"\x00" * 8
    header = ident + struct.pack(
        e + "HHI" + addr * 3 + "IHHHHHH",
        spec.file_type, EM[spec.machine], 1, 0, ehsize, shoff, 0,
        ehsize, phentsize, len(phdr_types), shentsize, len(sections), len(sections) - 1,
    )  # fmt: skip
    body[:ehsize] = header

    def phdr(p_type: int, off: int, size: int, flags: int, align: int) -> bytes:
        if wide:
            return struct.pack(e + "IIQQQQQQ", p_type, flags, off, off, off, size, size, align)
        return struct.pack(e + "IIIIIIII", p_type, off, off, off, size, size, flags, align)

    phdrs = bytearray()
    for p_type in phdr_types:
        if p_type == PT_LOAD:
            phdrs += phdr(PT_LOAD, 0, total, 5, 0x1000)
        elif p_type == PT_DYNAMIC:
            phdrs += phdr(PT_DYNAMIC, *where["dynamic"], 6, 8)
        elif p_type == PT_INTERP:
            phdrs += phdr(PT_INTERP, *where["interp"], 4, 1)
        elif p_type == PT_NOTE:
            phdrs += phdr(PT_NOTE, *where["note"], 4, 4)
        elif p_type == PT_GNU_STACK:
            phdrs += phdr(PT_GNU_STACK, 0, 0, 7 if spec.stack == "exec" else 6, 16)
        elif p_type == PT_GNU_RELRO:
            phdrs += phdr(PT_GNU_RELRO, *where["dynamic"], 4, 1)
    body[ehsize : ehsize + len(phdrs)] = phdrs
    return bytes(body)


def write_elf(path: Path, spec: ElfSpec) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build_elf(spec))
    return path


# ----------------------------------------------------------------------------------------------
# elf_info reads back what build_elf wrote


@pytest.mark.parametrize(
    ("machine", "bits", "big_endian"),
    [("X86_64", 64, False), ("MIPS", 32, True), ("ARM", 32, False), ("AARCH64", 64, False)],
)
def test_linking_facts_round_trip(
    tmp_path: Path, machine: str, bits: int, big_endian: bool
) -> None:
    spec = ElfSpec(
        machine=machine,
        bits=bits,
        big_endian=big_endian,
        interpreter="/lib/ld-musl-mips-sf.so.1",
        needed=["libssl.so.3", "libc.so"],
        rpath="/opt/vendor/lib",
        runpath="/usr/local/lib:/opt/lib",
        imports=["SSL_new", "__stack_chk_fail", "__memcpy_chk", "__printf_chk"],
        verneeds={"libssl.so.3": ["OPENSSL_3.0.0"], "libc.so": ["GLIBC_2.4", "GLIBC_2.34"]},
    )
    info = parse_elf(str(write_elf(tmp_path / "prog", spec)))
    assert info is not None
    assert (info.machine, info.bits, info.endianness) == (
        machine,
        bits,
        "big" if big_endian else "little",
    )
    assert info.file_type == "DYN"
    assert info.interpreter == "/lib/ld-musl-mips-sf.so.1"
    assert info.needed == ("libssl.so.3", "libc.so")
    assert info.rpath == ("/opt/vendor/lib",)
    assert info.runpath == ("/usr/local/lib", "/opt/lib")
    assert info.version_requirements == {
        "libssl.so.3": ("OPENSSL_3.0.0",),
        "libc.so": ("GLIBC_2.4", "GLIBC_2.34"),
    }
    assert {"SSL_new", "__stack_chk_fail"} <= info.imported_symbols
    assert info.canary
    assert info.fortified == ("__memcpy_chk", "__printf_chk") and info.fortify
    assert not info.static


def test_library_facts_round_trip(tmp_path: Path) -> None:
    note = {"type": "deb", "os": "debian", "name": "openssl", "version": "3.0.20-1~deb12u2"}
    spec = ElfSpec(
        soname="libcrypto.so.3",
        verdefs=["OPENSSL_3.0.0", "OPENSSL_3.0.3"],
        package_note=note,
        imports=["memcpy"],
    )
    info = parse_elf(str(write_elf(tmp_path / "libcrypto.so.3", spec)))
    assert info is not None
    assert info.soname == "libcrypto.so.3"
    assert info.version_definitions == ("OPENSSL_3.0.0", "OPENSSL_3.0.3")
    assert info.package_note == note
    assert not info.canary and not info.fortify


@pytest.mark.parametrize(
    ("stack", "relro", "bind_now", "nx", "expected_relro"),
    [
        ("nonexec", True, True, True, "full"),
        ("nonexec", True, False, True, "partial"),
        ("exec", False, False, False, "none"),
        (None, False, True, False, "none"),
    ],
)
def test_hardening_facts(
    tmp_path: Path,
    stack: str | None,
    relro: bool,
    bind_now: bool,
    nx: bool,
    expected_relro: str,
) -> None:
    spec = ElfSpec(stack=stack, relro=relro, bind_now=bind_now, interpreter="/lib/ld.so.1")
    info = parse_elf(str(write_elf(tmp_path / "p", spec)))
    assert info is not None
    assert info.gnu_stack is (stack is not None)
    assert info.nx is nx
    assert info.relro == expected_relro


def test_pie_and_stripped(tmp_path: Path) -> None:
    pie = parse_elf(str(write_elf(tmp_path / "pie", ElfSpec(interpreter="/lib/ld.so.1"))))
    exe = parse_elf(
        str(write_elf(tmp_path / "exe", ElfSpec(file_type=ET_EXEC, interpreter="/lib/ld.so.1")))
    )
    lib = parse_elf(str(write_elf(tmp_path / "lib.so", ElfSpec(soname="lib.so", symtab=True))))
    assert pie is not None and exe is not None and lib is not None
    assert pie.pie and not exe.pie
    assert pie.stripped and not lib.stripped


def test_static_binary(tmp_path: Path) -> None:
    static = ElfSpec(file_type=ET_EXEC, dynamic=False)
    info = parse_elf(str(write_elf(tmp_path / "busybox", static)))
    assert info is not None
    assert info.interpreter is None and info.needed == () and info.static
    # An interpreter-less file that still has a dynamic section (a shared library) is not static.
    library = parse_elf(str(write_elf(tmp_path / "lib.so", ElfSpec(soname="lib.so"))))
    assert library is not None and not library.static


def test_elf_info_accepts_preloaded_bytes(tmp_path: Path) -> None:
    path = write_elf(tmp_path / "lib.so", ElfSpec(soname="libz.so.1"))
    info = elf_info(path, path.read_bytes())
    assert info is not None and info.soname == "libz.so.1"
