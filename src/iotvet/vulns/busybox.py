"""BusyBox false-positive control: which applets a binary contains, which applets a CVE needs.

A BusyBox binary holds the names of its applets as one NUL-separated, strictly sorted list of
short ASCII names (``applet_names[]`` in ``include/applet_tables.h``, generated at build time and
searched by binary search, hence sorted). :func:`busybox_applets` finds the longest such list in
the binary. ``data/busybox_cves.yaml`` says which applets carry each CVE's vulnerable code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..datafiles import read_yaml

DATA_FILE = Path(__file__).resolve().parent / "data" / "busybox_cves.yaml"
SCHEMA = "iotvet/busybox-cves/1"
#: A run of at least this many sorted names is taken for the applet table.
MIN_APPLETS = 4
_RUN = re.compile(rb"(?:[\x21-\x7e]{1,32}\x00){%d,}" % MIN_APPLETS)
_NAME = re.compile(r"^[a-z0-9\[][a-z0-9_.\-\[\]]*$")


def busybox_applets(data: bytes) -> list[str]:
    """Applet names of a BusyBox binary, in table order; ``[]`` when no table is found."""
    best: list[str] = []
    for match in _RUN.finditer(data):
        names = match.group().rstrip(b"\x00").decode("ascii").split("\x00")
        start = 0
        for index in range(1, len(names) + 1):
            end_of_run = (
                index == len(names)
                or not _NAME.match(names[index])
                or names[index] <= names[index - 1]
            )
            if end_of_run:
                run = names[start:index]
                if len(run) > len(best) and all(_NAME.match(n) for n in run):
                    best = run
                start = index
    return best if len(best) >= MIN_APPLETS else []


@dataclass(frozen=True)
class AppletRule:
    cve: str
    applets: frozenset[str]
    source: str


@cache
def rules(path: Path = DATA_FILE) -> dict[str, AppletRule]:
    """CVE id → the applets that contain its vulnerable code (parsed once per process)."""
    doc = read_yaml(path) or {}
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"{path}: schema is {doc.get('schema')!r}, expected {SCHEMA!r}")
    users = {k: list(v) for k, v in (doc.get("decompressor_users") or {}).items()}
    out = {}
    for cve, entry in (doc.get("cves") or {}).items():
        applets = list(entry.get("applets") or [])
        if entry.get("decompressor"):
            applets.extend(users[entry["decompressor"]])
        if not applets:
            raise ValueError(f"{path}: {cve} names no applets")
        out[str(cve)] = AppletRule(str(cve), frozenset(applets), str(entry.get("source", "")))
    return out


def applet_verdict(cve: str, applets: list[str] | None) -> tuple[bool, str] | None:
    """(present, reason) for a CVE the data file knows, or None when it does not apply.

    ``present`` is False when the binary contains none of the applets the CVE needs.
    """
    rule = rules().get(cve)
    if rule is None:
        return None
    needed = ", ".join(sorted(rule.applets))
    if applets is None:
        return (
            True,
            f"affects the BusyBox applet(s) {needed}; the applet list of the binary is unknown",
        )
    present = sorted(rule.applets.intersection(applets))
    if present:
        return True, f"affects the BusyBox applet(s) {', '.join(present)}, present in the binary"
    return (
        False,
        f"affects only the BusyBox applet(s) {needed}, none of which is in the binary "
        f"({len(applets)} applets)",
    )
