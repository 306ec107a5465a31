"""Hostile input never crashes key parsing or secret scanning (firmware is hostile input)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from iotvet.checks import keyparse, secrets
from iotvet.rootfs import RootFS

MARKERS = [
    b"-----BEGIN PRIVATE KEY-----\n",
    b"-----END PRIVATE KEY-----\n",
    b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB",
    b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA",
    b"Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n",
    b"\x30\x82\x01\x00\x02\x01\x03",
    b"\x00\x00\x00\x07ssh-rsa",
    b"password=",
    b"AKIA",
    b"<auth-user-pass>\n",
]
chunks = st.one_of(st.sampled_from(MARKERS), st.binary(max_size=64))


@settings(max_examples=300, deadline=None)
@given(st.lists(chunks, max_size=12))
def test_key_parser_never_raises(parts: list[bytes]) -> None:
    data = b"".join(parts)
    parsed = keyparse.parse("/fuzz", data)
    assert all(k.path == "/fuzz" for k in parsed.keys)


@settings(max_examples=300, deadline=None)
@given(st.lists(chunks, max_size=12))
def test_secret_scanner_never_raises(parts: list[bytes]) -> None:
    data = b"".join(parts)
    hits = secrets.scan_text(RootFS(Path("/nonexistent-root")), "/etc/fuzz.conf", data)
    assert all(h.path == "/etc/fuzz.conf" for h in hits)
