"""The signature data file and the one-pass scanner over it.

Every test vector of every signature runs through the compiled Hyperscan database exactly as a
file's bytes would (data-driven: adding a signature with vectors adds tests). The engine is then
checked on synthetic blobs: several components in one blob, matches straddling block borders,
the read cap, code markers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from iotvet.inventory import signatures as sig
from iotvet.inventory.signatures import (
    SignatureDB,
    SignatureError,
    default_database,
    load_signatures,
    match_filename,
)

SIGNATURES = load_signatures()
DB = default_database()

#: Components the issue names explicitly (upstream names as the project spells them).
REQUIRED = {
    "busybox", "dropbear", "openssl", "dnsmasq", "lighttpd", "curl", "zlib", "openssh",
    "hostapd", "wpa_supplicant", "miniupnpd", "avahi", "samba", "ntp", "ntpsec", "iptables",
    "nftables", "sqlite", "expat", "libxml2", "libpcap", "tcpdump", "mosquitto", "openvpn",
    "mbedtls", "wolfssl", "lua", "json-c", "uclibc-ng", "musl", "glibc", "linux", "u-boot",
    "bzip2", "xz", "pcre", "pcre2", "ncurses", "dbus", "glib", "gnutls", "nettle", "libgcrypt",
    "libgpg-error", "bind", "unbound", "strongswan", "ppp", "libupnp", "nginx", "boa", "goahead",
    "mini_httpd", "thttpd", "vsftpd", "proftpd", "net-snmp", "util-linux", "libnl", "nghttp2",
    "libssh2", "zstd", "lz4", "libidn2", "gmp", "e2fsprogs", "systemd", "libcap", "mit-krb5",
    "openldap",
}  # fmt: skip


def _vectors() -> list[object]:
    return [
        pytest.param(s, v, id=f"{s.name}-{i}") for s in SIGNATURES for i, v in enumerate(s.tests)
    ]


# ----------------------------------------------------------------------------------------------
# The data file


def test_data_file_covers_the_required_components() -> None:
    names = {s.name for s in SIGNATURES}
    assert len(names) >= 60
    assert REQUIRED - names == set()


@pytest.mark.parametrize("signature", SIGNATURES, ids=lambda s: s.name)
def test_every_signature_is_sourced_and_tested(signature: sig.Signature) -> None:
    assert signature.name == signature.name.lower()
    assert signature.sources and all(
        s.get("ref") and str(s.get("url", "")).startswith("https://") for s in signature.sources
    )
    assert any(t.version is not None for t in signature.tests), "needs a positive vector"
    assert signature.type in {"application", "library", "operating-system", "firmware"}


@pytest.mark.parametrize(("signature", "vector"), _vectors())
def test_vector(signature: sig.Signature, vector: sig.TestVector) -> None:
    if vector.file is not None:
        found = match_filename(signature, vector.file)
        assert (found[1] if found else None) == vector.version
        return
    assert vector.data is not None
    hits = [h for h in DB.scan(vector.data).hits if h.pattern.signature == signature.name]
    if vector.version is None:
        assert hits == [], f"must not match: {[h.text for h in hits]}"
        return
    versions = {h.version for h in hits}
    assert vector.version in versions, f"got {versions}"
    if vector.revision is not None:
        assert vector.revision in {h.revision for h in hits if h.version == vector.version}


def _max_width(regex: str) -> int:
    parser = getattr(re, "_parser", None) or __import__("sre_parse")
    return int(parser.parse(regex.encode("ascii")).getwidth()[1])


@pytest.mark.parametrize("signature", SIGNATURES, ids=lambda s: s.name)
def test_patterns_fit_the_block_overlap(signature: sig.Signature) -> None:
    """A match must fit in the overlap of two blocks, or a large file could lose it."""
    for pattern in signature.patterns:
        if pattern.kind != "filename":
            assert _max_width(pattern.regex) < sig.BLOCK_OVERLAP, pattern.regex


@pytest.mark.parametrize("signature", [s for s in SIGNATURES if any(p.anchor for p in s.patterns)])
def test_anchor_starts_where_the_full_regex_starts(signature: sig.Signature) -> None:
    for pattern in signature.patterns:
        if pattern.anchor is None:
            continue
        anchor = re.compile(pattern.anchor.encode("ascii"))
        checked = 0
        for vector in signature.tests:
            if vector.data is None or vector.version is None:
                continue
            for match in pattern.content.finditer(vector.data):
                assert anchor.match(vector.data, match.start()), (pattern.anchor, vector.data)
                checked += 1
        assert checked, f"no vector exercises the anchored pattern {pattern.regex}"


def test_database_holds_every_content_pattern_and_marker() -> None:
    content = sum(1 for s in SIGNATURES for p in s.patterns if p.kind != "filename")
    markers = sum(len(s.markers) for s in SIGNATURES)
    assert DB.pattern_count == content + markers


# ----------------------------------------------------------------------------------------------
# Malformed data files are refused with the signature's name


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "sigs.yaml"
    path.write_text(body)
    return path


GOOD = """
  - name: demo
    type: application
    patterns: [{kind: banner, regex: 'Demo v(?P<version>[0-9.]+)'}]
    sources: [{ref: x, url: 'https://example.org'}]
    tests: [{data: "Demo v1.2", version: "1.2"}]
"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (GOOD.replace("(?P<version>[0-9.]+)", "([0-9.]+)"), "no version group"),
        (GOOD.replace("name: demo", "name: Demo"), "lowercase"),
        (GOOD.replace("    sources: [{ref: x, url: 'https://example.org'}]\n", ""), "no source"),
        (GOOD.replace('    tests: [{data: "Demo v1.2", version: "1.2"}]\n', ""), "no test"),
        (GOOD.replace("kind: banner", "kind: fuzzy"), "kind"),
        (GOOD + GOOD, "duplicate"),
    ],
)
def test_malformed_data_is_refused(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        load_signatures(_write(tmp_path, "signatures:\n" + body))


def test_regex_hyperscan_cannot_compile_is_refused(tmp_path: Path) -> None:
    body = GOOD.replace("Demo v(?P<version>[0-9.]+)", "(?<=x)Demo v(?P<version>[0-9.]+)")
    with pytest.raises(SignatureError, match="hyperscan"):
        SignatureDB(load_signatures(_write(tmp_path, "signatures:\n" + body)))


# ----------------------------------------------------------------------------------------------
# The engine on synthetic bytes

BLOB = (
    b"\x7fELF" + b"\x01" * 500
    + b"\x00BusyBox v1.36.1 (2024-01-01 00:00:00 UTC) multi-call binary.\x00"
    + b"\x17" * 1000
    + b"\x00SSH-2.0-dropbear_2024.85\x00"
    + b"\x00OpenSSL 3.0.13 30 Jan 2024\x00"
    + b"\x00OPENSSLDIR: \"/usr/lib/ssl\"\x00"
    + b"\x00 deflate 1.3.1 Copyright 1995-2024 Jean-loup Gailly and Mark Adler \x00"
)  # fmt: skip


def _found(result: sig.FileScan) -> set[tuple[str, str]]:
    return {(h.pattern.signature, h.version) for h in result.hits}


def test_one_pass_finds_every_component_in_a_blob() -> None:
    result = DB.scan(BLOB)
    assert {
        ("busybox", "1.36.1"),
        ("dropbear", "2024.85"),
        ("openssl", "3.0.13"),
        ("zlib", "1.3.1"),
    } <= _found(result)
    assert "openssl" in result.markers
    busybox = next(h for h in result.hits if h.pattern.signature == "busybox")
    assert BLOB[busybox.offset :].startswith(b"BusyBox v1.36.1")
    assert "\x00" not in busybox.text


def test_hits_straddling_block_borders_are_found_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sig, "BLOCK_SIZE", 97)
    monkeypatch.setattr(sig, "BLOCK_OVERLAP", 90)
    path = tmp_path / "big.bin"
    path.write_bytes(BLOB * 3)
    result = DB.scan_file(path, limit=10**6)
    assert not result.truncated
    assert result.size_scanned == len(BLOB) * 3
    busybox = [h for h in result.hits if h.pattern.signature == "busybox"]
    assert len(busybox) == 3
    assert len({h.offset for h in result.hits}) == len(result.hits)
    assert _found(result) == _found(DB.scan(BLOB))


def test_read_cap_stops_the_scan_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"\x00" * 4096 + b"\x00SSH-2.0-dropbear_2024.85\x00")
    capped = DB.scan_file(path, limit=4096)
    assert capped.truncated and capped.size_scanned == 4096
    assert ("dropbear", "2024.85") not in _found(capped)
    full = DB.scan_file(path, limit=1 << 20)
    assert not full.truncated and ("dropbear", "2024.85") in _found(full)


def test_bare_versions_need_string_boundaries() -> None:
    inside = DB.scan(b"GLIBC_2.34\x00http/1.1\x00v1.5.4\x00")
    assert not any(h.pattern.kind == "bare" and h.version in {"2.34", "1.5.4"} for h in inside.hits)
    alone = DB.scan(b"\x00\x001.5.4\x00")
    assert ("zstd", "1.5.4") in _found(alone)


def test_numeric_version_encodings_are_decoded() -> None:
    assert ("libxml2", "2.9.14") in _found(DB.scan(b"\x0020914\x00"))
