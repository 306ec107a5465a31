"""The logging family: which log daemon the device starts, and where its logs go.

Why: baselines ask for security-relevant events to be logged (EN 303 645 5.7/5.8 context,
NIST IR 8425 "logging", IEC 62443-4-2 CR 2.8). Static analysis can show whether a log daemon is
started at boot and how it is configured (local file, persistent or RAM-backed, remote
collector). A configuration file alone is not logging: the daemon must be started by the boot
model. ``logging.syslog-started`` (info) is the positive evidence the theme verdict needs.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from .. import datafiles
from ..context import ScanContext
from ..model import Finding
from ..rootfs import RootFS
from .boot import BootModel, Launch, boot_model
from .shell import read_uci

LOG = "logging"


def _know() -> dict[str, Any]:
    return datafiles.load("logging.yaml")


def ram_mounts(root: RootFS, model: BootModel) -> set[str]:
    """Mount points backed by RAM: tmpfs/ramfs from /etc/fstab and the boot-time mount commands."""
    kinds = set(_know()["ram_filesystems"])
    points: set[str] = set()
    for line in (root.read_text("/etc/fstab", 1 << 16) or "").splitlines():
        parts = line.split()
        if len(parts) >= 3 and not parts[0].startswith("#") and parts[2] in kinds:
            points.add(parts[1])
    for launch in model.launches:
        if launch.program != "mount":
            continue
        kind = launch.option("-t")
        positional = [
            a
            for a in launch.argv[1:]
            if not a.startswith("-") and a not in (kind, launch.option("-o"))
        ]
        if kind in kinds and positional:
            points.add(positional[-1])
    return points


def is_volatile(root: RootFS, path: str, ram: set[str]) -> bool:
    """True if ``path`` lies on a RAM-backed mount (also through links such as /var -> /tmp)."""
    parent = root.resolve(posixpath.dirname(path)) or posixpath.dirname(path)
    resolved = posixpath.join(parent, posixpath.basename(path))
    for candidate in (path, resolved):
        for point in ram:
            if candidate == point or candidate.startswith(point.rstrip("/") + "/"):
                return True
    return False


def _syslog_conf(text: str) -> tuple[list[str], list[str]]:
    """(local files, remote targets) of a syslog.conf/rsyslog.conf."""
    files: list[str] = []
    remotes: list[str] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith(("$", "module(", "input(")):
            continue
        m = re.search(r'target\s*=\s*"([^"]+)"(?:.*port\s*=\s*"(\d+)")?', line)
        if "omfwd" in line and m:
            remotes.append(m.group(1) + (f":{m.group(2)}" if m.group(2) else ""))
            continue
        parts = line.split()
        if len(parts) < 2:
            continue
        action = parts[-1].lstrip("-")
        if action.startswith("@"):
            remotes.append(action.lstrip("@"))
        elif action.startswith("/") and not action.startswith("/dev/"):
            files.append(action)
    return files, remotes


def _syslog_ng(text: str) -> tuple[list[str], list[str]]:
    files = re.findall(r'\bfile\s*\(\s*"([^"]+)"', text)
    remotes = [
        f"{h}:{p}" if p else h
        for h, p in re.findall(
            r'\b(?:network|udp|tcp|syslog)\s*\(\s*"([^"]+)"(?:[^)]*port\s*\(\s*(\d+))?', text
        )
    ]
    return files, remotes


class _Logging:
    name = "logging"

    def run(self, root: RootFS, ctx: ScanContext) -> list[Finding]:
        model = boot_model(root)
        daemons: dict[str, dict[str, Any]] = _know()["daemons"]
        klogd = any(launch.program in _know()["kernel_loggers"] for launch in model.launches)
        ram = ram_mounts(root, model)
        findings: list[Finding] = []
        for launch in model.launches:
            spec = daemons.get(launch.program)
            if spec is None:
                continue
            only = spec.get("only_with")
            if only and not launch.flag(*only):
                continue
            findings.append(self._started(root, launch, spec, klogd, ram))
        if not findings:
            findings.append(self._missing(root, model))
        return findings

    def _started(
        self, root: RootFS, launch: Launch, spec: dict[str, Any], klogd: bool, ram: set[str]
    ) -> Finding:
        config = None
        if spec.get("config_options") or spec.get("config_default"):
            config = (
                launch.option(*spec.get("config_options", []))
                if spec.get("config_options")
                else None
            )
            config = config or spec.get("config_default")
        text = root.read_text(config, 1 << 20) if config else None
        files: list[str] = []
        remotes: list[str] = []
        syntax = spec.get("syntax")
        if text is not None and syntax in ("syslog.conf", "rsyslog.conf"):
            files, remotes = _syslog_conf(text)
        elif text is not None and syntax == "syslog-ng":
            files, remotes = _syslog_ng(text)
        if spec.get("file_options"):
            option_file = launch.option(*spec["file_options"])
            if option_file or not files:
                files.insert(0, option_file or spec["default_file"])
        if spec.get("remote_options"):
            remote = launch.options(*spec["remote_options"])
            remotes = remote + remotes
            if remote and not launch.flag("-L") and launch.program == "syslogd":
                files = [f for f in files if f != spec.get("default_file")]
        memory = bool(spec.get("memory")) or (
            bool(spec.get("memory_flags")) and launch.flag(*spec["memory_flags"])
        )
        if spec.get("uci_package"):
            for _kind, _name, options in read_uci(root, spec["uci_package"]):
                if options.get("log_file"):
                    files.append(options["log_file"])
                if options.get("log_ip"):
                    remotes.append(options["log_ip"] + ":" + options.get("log_port", "514"))
        files = list(dict.fromkeys(files))
        remotes = list(dict.fromkeys(remotes))
        persistent: bool | None = None
        if syntax == "journald":
            storage = re.search(r"^\s*Storage\s*=\s*(\w+)", text or "", re.M)
            persistent = (storage.group(1) if storage else "auto") == "persistent" or (
                (storage is None or storage.group(1) == "auto") and root.exists("/var/log/journal")
            )
        elif files:
            persistent = any(not is_volatile(root, f, ram) for f in files)
        elif memory:
            persistent = False
        data: dict[str, object] = {
            "syslog_daemon": spec["name"],
            "program": launch.program,
            "binary": launch.binary,
            "started_at_boot": True,
            "started_by": launch.started_by,
            "command": " ".join(launch.argv),
            "config_file": config if text is not None else None,
            "local_log": files[0] if files else ("memory ring buffer" if memory else None),
            "local_logs": files,
            "remote_target": remotes[0] if remotes else None,
            "remote_targets": remotes,
            "persistent": persistent,
            "klogd": klogd,
        }
        where = ", ".join(files) or ("memory" if memory else "default destination")
        remote_text = f"; remote {', '.join(remotes)}" if remotes else ""
        return Finding(
            check="logging.syslog-started",
            severity="info",
            path=launch.started_by,
            title=f"{spec['name']} started at boot, logs to {where}{remote_text}",
            detail=launch.evidence(config if text is not None else None),
            data=data,
        )

    @staticmethod
    def _missing(root: RootFS, model: BootModel) -> Finding:
        daemons = set(_know()["daemons"]) | set(_know()["kernel_loggers"])
        configs = [
            p
            for p in ("/etc/syslog.conf", "/etc/rsyslog.conf", "/etc/syslog-ng/syslog-ng.conf")
            if root.exists(p)
        ]
        dormant = sorted(
            {f"{d.started_by} ({d.program})" for d in model.dormant if d.program in daemons}
        )
        binaries = sorted(
            {
                posixpath.join(d, n)
                for d in ("/sbin", "/usr/sbin", "/bin")
                for n in daemons
                if root.exists(posixpath.join(d, n))
            }
        )
        notes = []
        if configs:
            notes.append(f"{', '.join(configs)} exists but no daemon that reads it is started")
        if dormant:
            notes.append(f"installed but not started: {', '.join(dormant)}")
        if binaries:
            notes.append(f"log daemon programs present: {', '.join(binaries)}")
        return Finding(
            check="logging.no-syslog",
            severity="medium",
            cwe="CWE-778",
            path=configs[0] if configs else "/etc/inittab",
            title="no log daemon is started at boot",
            detail="; ".join(notes) or "no syslog daemon in the boot model",
            themes=[LOG],
            data={
                "started_at_boot": False,
                "config_files": configs,
                "dormant": dormant,
                "programs": binaries,
            },
        )


FAMILY = _Logging()
