"""Operating-system release files and the Linux kernel version.

Firmware names its distribution and version in many ways: systemd's os-release, OpenWrt's
openwrt_release (and vendor clones such as /etc/acmewrt_release with the same DISTRIB_* keys),
LSB's lsb-release, one-line files (/etc/debian_version, /etc/alpine-release, /etc/version,
/etc/openwrt_version) and free text (/etc/issue, /etc/banner). This module reads them in that
order of trust, fills ``Report.os`` from the most trusted file that has each fact, and reports an
"operating-system" component when a file names the distribution. The kernel version comes from
/lib/modules/<release>/ directories and from the "Linux version" banner inside a kernel image.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..context import ScanContext
from ..model import Component, Evidence
from ..rootfs import RootFS
from ..unpack.kernels import KernelImage
from . import identity

STAGE = "inventory"
OS_RELEASE_PATHS = ("/etc/os-release", "/usr/lib/os-release")
_SMALL_FILE = 64 * 1024  # release files are a few hundred bytes; more is not a release file
_ASSIGNMENT = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)")
# getty escapes in /etc/issue (agetty(8) "ISSUE ESCAPES"): \n host, \r release, \l tty, \4{if} ...
_ISSUE_ESCAPE = re.compile(r"\\(?:[4-6S](?:\{[^}]*\})?|[a-zA-Z@])")
_LABELLED_VERSION = re.compile(
    r"\b(?:firmware|version|release|ver\.?)\s*[:=]?\s*v?(\d+(?:\.\d+)+[0-9A-Za-z.+~_-]*)", re.I
)
_DOTTED_VERSION = re.compile(r"(?<![\w.])v?(\d+\.\d+(?:\.\d+)*[0-9A-Za-z+~_-]*)")
_PLAIN_VERSION = re.compile(r"v?(\d[0-9A-Za-z.+~_-]*)")
_KERNEL_UPSTREAM = re.compile(r"\d+\.\d+(?:\.\d+)?")

# os-release keys (os-release(5)) -> Report.os keys
_OS_RELEASE_KEYS = {
    "ID": "id",
    "NAME": "name",
    "PRETTY_NAME": "pretty_name",
    "VERSION": "version",
    "VERSION_ID": "version_id",
    "VERSION_CODENAME": "codename",
    "BUILD_ID": "build_id",
    "IMAGE_ID": "image_id",
    "IMAGE_VERSION": "image_version",
    "ID_LIKE": "id_like",
    "VARIANT": "variant",
    "VARIANT_ID": "variant_id",
    "HOME_URL": "home_url",
    "SUPPORT_URL": "support_url",
    "BUG_REPORT_URL": "bug_report_url",
    "SUPPORT_END": "support_end",
    "VENDOR_NAME": "vendor",
    "VENDOR_URL": "vendor_url",
    "CPE_NAME": "cpe_name",
    "OPENWRT_DEVICE_MANUFACTURER": "vendor",
    "OPENWRT_DEVICE_PRODUCT": "model",
    "OPENWRT_BOARD": "target",
    "OPENWRT_ARCH": "arch",
}
# OpenWrt-style release files and lsb-release -> Report.os keys
_DISTRIB_KEYS = {
    "DISTRIB_ID": "name",
    "DISTRIB_RELEASE": "version",
    "DISTRIB_REVISION": "build_id",
    "DISTRIB_CODENAME": "codename",
    "DISTRIB_DESCRIPTION": "pretty_name",
    "DISTRIB_TARGET": "target",
    "DISTRIB_ARCH": "arch",
}


def parse_assignments(text: str) -> dict[str, str]:
    """KEY=value lines with shell quoting (os-release(5) syntax); malformed lines are ignored."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        match = _ASSIGNMENT.fullmatch(line.rstrip())
        if match is None:
            continue
        raw = match.group(2).strip()
        try:
            words = shlex.split(raw, comments=True)
        except ValueError:
            words = [raw.strip("'\"")]
        values[match.group(1)] = " ".join(words).strip()
    return values


def _read_small(root: RootFS, path: str) -> str | None:
    entry = root.entry(path)
    if entry is None or not entry.is_file:
        return None
    text = root.read_text(path, _SMALL_FILE)
    return text.replace("\x00", "") if text is not None else None


def os_release_fields(root: RootFS) -> dict[str, str]:
    """The raw KEY -> value pairs of the tree's os-release file ({} when there is none)."""
    for path in OS_RELEASE_PATHS:
        text = _read_small(root, path)
        if text is not None:
            return parse_assignments(text)
    return {}


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _version_in_line(text: str) -> str | None:
    """A version from a one-line version file ("2.0.7", "v1.4.2", "12.5"), None for prose."""
    line = _first_line(text)
    match = _PLAIN_VERSION.fullmatch(line) if len(line) <= 64 else None
    return match.group(1) if match else None


def _free_text(text: str) -> str:
    """Meaningful lines of a banner or issue file, without box drawing and getty escapes."""
    lines = []
    for line in _ISSUE_ESCAPE.sub("", text).splitlines():
        cleaned = re.sub(r"[|_=*#\-+`'.:/\\<>()\[\]{}~^]{2,}|^[\s|#*]+|[\s|#*]+$", " ", line)
        cleaned = " ".join(cleaned.split())
        if sum(c.isalnum() for c in cleaned) >= 3:
            lines.append(cleaned)
    return " / ".join(lines)[:300]


def _version_in_prose(text: str) -> str | None:
    match = _LABELLED_VERSION.search(text) or _DOTTED_VERSION.search(text)
    return match.group(1) if match else None


def _vendor_release_files(root: RootFS) -> list[str]:
    """/etc/*_release and /etc/*-release files other than the ones read by name."""
    known = {"/etc/os-release", "/etc/lsb-release", "/etc/openwrt_release", "/etc/alpine-release"}
    return [
        path
        for path in root.listdir("/etc")
        if re.fullmatch(r"/etc/[\w.-]+[_-]release", path) and path not in known
    ]


class _Facts:
    """Report.os being filled: the first (most trusted) source of each key wins."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.sources: list[str] = []

    def add(self, path: str, facts: dict[str, str]) -> None:
        useful = {k: v for k, v in facts.items() if v}
        if not useful:
            return
        self.sources.append(path)
        for key, value in useful.items():
            self.values.setdefault(key, value)
        self.values.setdefault("source", path)


def _os_release_facts(text: str) -> dict[str, str]:
    fields = parse_assignments(text)
    facts: dict[str, str] = {}
    for theirs, ours in _OS_RELEASE_KEYS.items():
        if fields.get(theirs):
            facts.setdefault(ours, fields[theirs])
    return facts


def _distrib_facts(text: str) -> dict[str, str]:
    """OpenWrt-style release files and lsb-release (DISTRIB_*), or a one-line release file."""
    fields = parse_assignments(text)
    if not fields:  # "CentOS Linux release 7.9.2009 (Core)"
        line = _first_line(text)[:200]
        return {"pretty_name": line, "version": _version_in_prose(line) or ""}
    facts = {ours: fields.get(theirs, "") for theirs, ours in _DISTRIB_KEYS.items()}
    facts["id"] = re.sub(r"\s+", "", fields.get("DISTRIB_ID", "")).lower()
    facts["version_id"] = fields.get("DISTRIB_RELEASE", "")
    return facts


def _version_file_facts(text: str) -> dict[str, str]:
    version = _version_in_line(text) or ""
    return {"version": version, "version_id": version}


def _prose_facts(key: str) -> Callable[[str], dict[str, str]]:
    def facts(text: str) -> dict[str, str]:
        prose = _free_text(text)
        version = _version_in_prose(prose) or ""
        return {key: prose, "version": version, "version_id": version}

    return facts


def _sources(root: RootFS) -> Iterator[tuple[str, Callable[[str], dict[str, str]]]]:
    """(path, text -> facts) in order of trust."""
    os_release = next((p for p in OS_RELEASE_PATHS if root.exists(p)), None)
    if os_release is not None:
        yield os_release, _os_release_facts
    yield "/etc/openwrt_release", _distrib_facts
    for path in _vendor_release_files(root):
        yield path, _distrib_facts
    yield "/etc/lsb-release", _distrib_facts
    yield "/etc/openwrt_version", lambda text: {"build_id": _first_line(text)[:64]}
    yield "/etc/alpine-release", lambda text: {"alpine_version": _version_in_line(text) or ""}
    yield "/etc/debian_version", lambda text: {"debian_version": _first_line(text)[:64]}
    yield "/etc/version", _version_file_facts
    yield "/etc/issue", _prose_facts("issue")
    yield "/etc/banner", _prose_facts("banner")


def read_os_release(root: RootFS) -> dict[str, str]:
    """``Report.os`` for one root: id, name, version, version_id, build_id, vendor …, source."""
    facts = _Facts()
    for path, reader in _sources(root):
        text = _read_small(root, path)
        if text is not None:
            facts.add(path, reader(text))
    values = facts.values
    if "id" not in values:
        if "alpine_version" in values:
            values.update(
                id="alpine", version_id=values.get("version_id", values["alpine_version"])
            )
        elif "debian_version" in values:
            values["id"] = "debian"
            version = values["debian_version"]
            if _PLAIN_VERSION.fullmatch(version):
                values.setdefault("version_id", version)
    if facts.sources:
        values["sources"] = ", ".join(facts.sources)
    return values


def os_component(os_info: dict[str, str]) -> Component | None:
    """The distribution as an "operating-system" component, when a file names it."""
    distribution = os_info.get("id")
    if not distribution:
        return None
    source = os_info.get("source", "/etc/os-release")
    return Component(
        name=identity.canonical_name(distribution),
        version=os_info.get("version_id") or os_info.get("version"),
        type="operating-system",
        supplier=os_info.get("vendor"),
        evidence=[Evidence(path=source, method="os-release", detail=os_info.get("pretty_name"))],
        files=[p for p in os_info.get("sources", "").split(", ") if p],
    )


def kernel_release_upstream(release: str) -> str | None:
    """Upstream kernel version (X.Y[.Z]) at the start of a release string ("6.1.0-18-armmp")."""
    match = _KERNEL_UPSTREAM.match(release)
    return match.group(0) if match else None


def kernel_component(version: str, evidence_path: str, method: str = "kernel-banner") -> Component:
    """The Linux kernel as a component, from a release string ("5.10.176", "6.1.0-18-armmp")."""
    upstream = kernel_release_upstream(version) or version
    return Component(
        name="linux",
        version=upstream,
        type="operating-system",
        evidence=[Evidence(path=evidence_path, method=method, detail=f"kernel release {version}")],
    )


def modules_kernel_versions(root: RootFS) -> list[str]:
    """Kernel releases that have a /lib/modules/<release> directory in the tree."""
    releases = []
    for path in root.listdir("/lib/modules"):
        entry = root.entry(path)
        release = path.rsplit("/", 1)[1]
        if entry is not None and entry.is_dir and kernel_release_upstream(release):
            releases.append(release)
    return releases


def boot_components(images: Iterable[KernelImage], ctx: ScanContext) -> list[Component]:
    """One component per kernel or boot loader the unpack stage identified by its banner.

    The unpack stage already read each image (decompressed) and matched its banner, so nothing is
    read again here: Linux releases go through :func:`kernel_component` (upstream version), other
    systems (VxWorks, U-Boot, RedBoot …) are named by the banner's system as the component data
    knows it.
    """
    found = []
    for image in images:
        where = _inner_path(image.path, ctx)
        if image.os == "linux":
            found.append(kernel_component(image.version, where))
            continue
        found.append(
            Component(
                name=identity.canonical_name(image.os),
                version=image.version,
                type="operating-system" if image.kind == "kernel" else "firmware",
                evidence=[Evidence(path=where, method="boot-banner", detail=image.banner)],
            )
        )
    return found


def _inner_path(path: Path, ctx: ScanContext) -> str:
    """Inner path of a kernel image inside a root file system, else its file name."""
    for root in ctx.roots:
        if path.is_relative_to(root.root):
            return root.inner_path(path)
    return path.name


class OsReleaseIdentifier:
    """The distribution named by release files and the kernels with modules in the tree."""

    name = "os-release"

    def identify(self, root: RootFS, ctx: ScanContext) -> list[Component]:
        found = []
        distribution = os_component(read_os_release(root))
        if distribution is not None:
            found.append(distribution)
        for release in modules_kernel_versions(root):
            found.append(kernel_component(release, f"/lib/modules/{release}", "kernel-modules"))
        return found


IDENTIFIER = OsReleaseIdentifier()
