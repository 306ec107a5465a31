"""The debug family: ways into the device that skip authentication and were meant for the
factory or the developer.

Why: a root shell on the serial console without login, a telnetd that spawns ``/bin/sh``, a
netcat bind shell or a running gdbserver defeat every other control (EN 303 645 5.6-4, NIST IR
8425 "minimised attack surface", CRA Annex I (3)(j)). Findings come from the shared boot model, so
only what really starts at boot is reported (a commented-out inittab line or a disabled script is
not); debug CGIs are found by name in the web roots.
"""

from __future__ import annotations

import fnmatch
import posixpath
from typing import Any

from .. import datafiles
from ..context import ScanContext
from ..model import Finding
from ..rootfs import RootFS
from .boot import Launch, boot_model
from .services import daemon_spec, describe
from .shell import Shell, boot_knowledge

PW = "no-universal-default-password"
ATT = "minimised-attack-surface"


def _know() -> dict[str, Any]:
    return datafiles.load("debug.yaml")


def _is_shell(program: str) -> bool:
    return posixpath.basename(program) in set(boot_knowledge()["shells"])


class _Debug:
    name = "debug"

    def run(self, root: RootFS, ctx: ScanContext) -> list[Finding]:
        model = boot_model(root)
        findings: list[Finding] = []
        for launch in model.launches:
            findings += self._console(launch)
            findings += self._network_shell(root, launch)
            findings += self._debug_daemon(launch)
        findings += self._cgis(root)
        return findings

    @staticmethod
    def _data(launch: Launch, **extra: object) -> dict[str, object]:
        data: dict[str, object] = {
            "program": launch.program,
            "binary": launch.binary,
            "started_by": launch.started_by,
            "command": " ".join(launch.argv),
            "via": launch.via,
            "action": launch.action,
            "console": launch.console,
            "line": launch.line,
        }
        data.update(extra)
        return data

    def _console(self, launch: Launch) -> list[Finding]:
        if (
            launch.via != "inittab"
            or launch.action not in boot_knowledge()["inittab_console_actions"]
        ):
            return []
        know = _know()
        shell = None
        if _is_shell(launch.program) or launch.program == "cttyhack":
            shell = next(
                (a for a in launch.argv if _is_shell(a) and a != "cttyhack"), launch.argv[0]
            )
        elif launch.program in ("getty", "agetty", "mingetty"):
            login = launch.option(*know["getty_login_program"])
            if launch.flag(*know["getty_skip_login"]) and login and _is_shell(login):
                shell = login
            elif launch.option(*know["getty_autologin"]):
                shell = f"autologin as {launch.option(*know['getty_autologin'])}"
        if shell is None:
            return []
        console = launch.console or "console"
        return [
            Finding(
                check="debug.console-root-shell",
                severity="high",
                cwe="CWE-306",
                path=launch.started_by,
                title=f"root shell without login on the {console} serial console ({shell})",
                detail=f"{launch.evidence()} (action {launch.action})",
                themes=[ATT],
                data=self._data(launch, shell=shell),
            )
        ]

    def _network_shell(self, root: RootFS, launch: Launch) -> list[Finding]:
        know = _know()
        port: str | None = None
        shell: str | None = None
        kind = ""
        described = describe(root, launch) if daemon_spec(launch.program) else None
        if described is not None and described[2].facts.get("unauthenticated_shell"):
            facts = described[2]
            shell = str(facts.facts.get("login_program"))
            port = ", ".join(f"{p.proto}/{p.port}" for p in facts.ports)
            kind = f"{launch.program} -l {shell}"
        elif launch.program in know["netcat_programs"]:
            executes = launch.option(*know["netcat_exec_options"])
            listens = any(
                a in know["netcat_listen_flags"]
                or (a.startswith("-") and not a.startswith("--") and "l" in a[1:])
                for a in launch.argv
            )
            if executes and listens:
                shell, kind = executes, "netcat bind shell"
                port = launch.option("-p") or next(
                    (a for a in launch.argv[1:] if a.isdigit()), None
                )
        elif launch.program in know["socat_programs"]:
            text = " ".join(launch.argv[1:])
            if "LISTEN" in text.upper() and any(k in text.upper() for k in ("EXEC:", "SYSTEM:")):
                shell, kind = text, "socat listener running a program"
                port = next(
                    (
                        a.split(":", 1)[1].split(",")[0]
                        for a in launch.argv[1:]
                        if a.upper().startswith(("TCP-LISTEN:", "TCP4-LISTEN:", "UDP-LISTEN:"))
                    ),
                    None,
                )
        elif launch.sockets and _is_shell(launch.program):
            shell, kind = launch.argv[0], f"{launch.via} socket running a shell"
            port = ", ".join(f"{s.proto}/{s.port}" for s in launch.sockets)
        if shell is None:
            return []
        return [
            Finding(
                check="debug.unauthenticated-shell",
                severity="critical",
                cwe="CWE-306",
                path=launch.started_by,
                title=f"network shell without authentication on {port or 'a network port'} "
                f"({kind})",
                detail=launch.evidence(),
                themes=[PW, ATT],
                data=self._data(launch, shell=shell, port=port, kind=kind),
            )
        ]

    def _debug_daemon(self, launch: Launch) -> list[Finding]:
        spec = _know()["debug_daemons"].get(launch.program)
        if spec is None:
            return []
        return [
            Finding(
                check=f"debug.{launch.program}",
                severity=spec["severity"],
                cwe="CWE-489",
                path=launch.started_by,
                title=f"{spec['title']} started at boot",
                detail=launch.evidence(),
                themes=[ATT],
                data=self._data(launch),
            )
        ]

    @staticmethod
    def _cgis(root: RootFS) -> list[Finding]:
        know = _know()
        patterns = [p.lower() for p in know["debug_cgi_names"]]
        shell = Shell(root, follow=False)
        findings = []
        for web_root in know["web_roots"]:
            base = root.resolve(web_root)
            if base is None:
                continue
            prefix = base.rstrip("/") + "/"
            for path, entry in root.entries.items():
                if not path.startswith(prefix) or not entry.is_file:
                    continue
                name = posixpath.basename(path).lower()
                if not any(fnmatch.fnmatchcase(name, p) for p in patterns):
                    continue
                findings.append(
                    Finding(
                        check="debug.debug-cgi",
                        severity="high",
                        cwe="CWE-489",
                        path=path,
                        title=f"debug/factory web handler {posixpath.basename(path)} is served",
                        detail=f"{path} under web root {web_root}"
                        + (" (shell script)" if shell.is_script(path) else ""),
                        themes=[ATT],
                        data={"web_root": web_root},
                    )
                )
        return findings


FAMILY = _Debug()
