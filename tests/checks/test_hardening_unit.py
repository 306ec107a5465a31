"""Hardening family logic on synthetic ELF facts (the LIEF parse itself is the inventory's)."""

from __future__ import annotations

from dataclasses import replace

from iotvet.checks.hardening import Binary, assess, insecure_search_paths, is_executable
from iotvet.inventory.elf import ElfInfo

HARDENED = ElfInfo(
    machine="ARM",
    bits=32,
    endianness="little",
    file_type="DYN",
    interpreter="/lib/ld-linux-armhf.so.3",
    needed=("libc.so.6",),
    imported_symbols=frozenset({"memcpy", "__memcpy_chk", "__stack_chk_fail"}),
    pie=True,
    gnu_stack=True,
    nx=True,
    relro="full",
    canary=True,
    fortified=("__memcpy_chk",),
)
LIBRARY = replace(HARDENED, soname="libfoo.so.1", interpreter=None, pie=False)


def program(path: str, **changes: object) -> Binary:
    info = replace(HARDENED, **changes)  # type: ignore[arg-type]
    return Binary(path, info, is_executable(info))


def test_executable_or_library() -> None:
    assert is_executable(HARDENED)
    assert is_executable(replace(HARDENED, file_type="EXEC", pie=False))
    assert not is_executable(LIBRARY)
    # glibc's libc.so.6 has an interpreter (it can be run) but is a library
    assert not is_executable(replace(LIBRARY, interpreter="/lib/ld.so", pie=True))


def test_fully_hardened_image_has_only_the_summary() -> None:
    findings = assess([program("/usr/sbin/a"), Binary("/lib/libfoo.so.1", LIBRARY, False)], [])
    assert [f.check for f in findings] == ["hardening.summary"]
    summary = findings[0].data
    assert summary["executables"]["pie"] == 100.0
    assert summary["libraries"]["relro_full"] == 100.0


def test_missing_properties_are_aggregated_per_property() -> None:
    found = [
        program("/usr/sbin/good"),
        program("/bin/old", file_type="EXEC", pie=False, relro="partial"),
        program("/usr/sbin/nx", nx=False),
        program(
            "/usr/sbin/nocanary",
            canary=False,
            imported_symbols=frozenset({"memcpy"}),
            fortified=(),
        ),
        Binary("/lib/libexecstack.so", replace(LIBRARY, nx=False, relro="none"), False),
    ]
    by_check = {f.check: f for f in assess(found, [])}
    assert by_check["hardening.executable-stack"].data["executables"] == ["/usr/sbin/nx"]
    assert by_check["hardening.executable-stack"].data["libraries"] == ["/lib/libexecstack.so"]
    assert by_check["hardening.executable-stack"].severity == "medium"
    assert by_check["hardening.no-pie"].data["executables"] == ["/bin/old"]
    assert by_check["hardening.no-relro"].data["libraries"] == ["/lib/libexecstack.so"]
    assert by_check["hardening.no-stack-canary"].data["executables"] == ["/usr/sbin/nocanary"]
    assert by_check["hardening.no-fortify"].data["executables"] == ["/usr/sbin/nocanary"]
    for check in ("no-pie", "no-relro", "no-stack-canary", "no-fortify"):
        assert by_check[f"hardening.{check}"].severity == "low"
    assert all(f.themes == ["binary-hardening"] for f in by_check.values())
    summary = by_check["hardening.summary"].data["executables"]
    assert summary["count"] == 4
    assert summary["pie"] == 75.0
    assert summary["nx"] == 75.0


def test_stripped_static_binary_canary_is_unknown_not_missing() -> None:
    static = program(
        "/bin/busybox",
        file_type="EXEC",
        pie=False,
        static=True,
        stripped=True,
        interpreter=None,
        needed=(),
        canary=False,
        imported_symbols=frozenset(),
    )
    by_check = {f.check: f for f in assess([static], [])}
    assert "hardening.no-stack-canary" not in by_check
    assert by_check["hardening.summary"].data["executables"]["canary_unknown"] == 1


def test_insecure_search_paths() -> None:
    writable = ["/tmp", "/opt/shared"]
    cases = {
        ("/usr/lib/app",): [],
        ("$ORIGIN/../lib",): [],
        ("lib",): ["lib"],
        ("/tmp/lib",): ["/tmp/lib"],
        ("/opt/shared/plugins", "/usr/lib"): ["/opt/shared/plugins"],
    }
    for rpath, bad in cases.items():
        assert insecure_search_paths(program("/usr/bin/x", rpath=rpath), writable) == bad
    inside = program("/opt/shared/bin/tool", runpath=("$ORIGIN/../lib",))
    assert insecure_search_paths(inside, writable) == ["$ORIGIN/../lib"]


def test_insecure_rpath_is_a_finding_per_binary() -> None:
    found = [program("/usr/bin/x", rpath=("/tmp/lib",)), program("/usr/bin/y")]
    rpath = [f for f in assess(found, ["/tmp"]) if f.check == "hardening.insecure-rpath"]
    assert [(f.path, f.severity, f.cwe) for f in rpath] == [("/usr/bin/x", "medium", "CWE-426")]


def test_fortify_is_not_judged_where_it_leaves_no_trace() -> None:
    # musl (OpenWrt) fortifies with header-only fortify-headers: no __*_chk imports either way
    musl = program(
        "/usr/sbin/uhttpd",
        needed=("libc.so",),
        imported_symbols=frozenset({"memcpy", "__stack_chk_fail"}),
        fortified=(),
    )
    by_check = {f.check: f for f in assess([musl], [])}
    assert "hardening.no-fortify" not in by_check
    assert by_check["hardening.summary"].data["executables"]["fortify"] is None
