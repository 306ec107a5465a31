"""Helpers shared by the boot, credentials, services, updates, logging, debug and themes tests.

Unit tests build small trees in tmp_path with ``build_tree``; corpus tests use the trees the
project's own unpack stage extracts (session fixture ``unpacked`` of tests/conftest.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from iotvet.context import ScanContext
from iotvet.model import Finding
from iotvet.rootfs import RootFS

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "images"


def make_tree(
    base: Path, files: dict[str, str | tuple[str, int]], links: dict[str, str] | None = None
) -> RootFS:
    """A root file system under ``base``: {inner path: text or (text, mode)}, {link: target}."""
    for inner, spec in files.items():
        text, mode = (
            (
                spec,
                0o755
                if inner.startswith(("/bin", "/sbin", "/usr", "/etc/init.d", "/etc/rc"))
                else 0o644,
            )
            if isinstance(spec, str)
            else spec
        )
        path = base / inner.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.chmod(path, mode)
    for inner, target in (links or {}).items():
        path = base / inner.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path)
    return RootFS(base)


BUSYBOX_LINKS = {
    "/bin/sh": "busybox",
    "/sbin/init": "../bin/busybox",
    "/usr/sbin/telnetd": "../../bin/busybox",
    "/sbin/syslogd": "../bin/busybox",
    "/sbin/klogd": "../bin/busybox",
    "/usr/sbin/crond": "../../bin/busybox",
    "/sbin/getty": "../bin/busybox",
    "/bin/mount": "busybox",
    "/usr/bin/nc": "../../bin/busybox",
}
ELF_STUB = ("\x7fELF-stub", 0o755)


def run_family(module: Any, root: RootFS) -> tuple[list[Finding], ScanContext]:
    ctx = ScanContext(roots=[root])
    return module.FAMILY.run(root, ctx), ctx


def checks_of(findings: list[Finding]) -> list[str]:
    return [f.check for f in findings]


def build_tree(
    base: Path,
    files: dict[str, str | tuple[str, int]],
    links: dict[str, str] | None = None,
    busybox: bool = True,
) -> RootFS:
    """``make_tree`` plus a BusyBox binary and its usual applet links."""
    all_files: dict[str, str | tuple[str, int]] = {"/bin/busybox": ELF_STUB} if busybox else {}
    all_files.update(files)
    all_links = dict(BUSYBOX_LINKS) if busybox else {}
    all_links.update(links or {})
    return make_tree(base, all_files, all_links)


def load_truth(image: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(image.with_name(image.name + ".truth.json").read_text())
    return data
