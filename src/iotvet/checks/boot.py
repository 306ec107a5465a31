"""What starts at boot: one model of the init system shared by the services, logging, debug and
updates families.

Why one model: every question those families ask ("is telnetd running?", "is a syslog daemon
started?", "is the update script triggered by cron?") depends on the same hard part, reading the
init system the way the device does. The model follows every init system embedded Linux uses:

* BusyBox init and SysV init ``/etc/inittab`` (BusyBox's built-in table when the file is missing),
* ``rcS`` scripts, ``/etc/init.d/S??*`` loops, SysV ``/etc/rcN.d`` start links, ``rc.local``,
* OpenWrt procd (``/etc/rc.d/S??name`` links decide what is enabled; ``rc.common`` scripts with
  ``procd_set_param command``),
* systemd units reachable from ``default.target`` (``Wants=``, ``.wants/`` links, sockets, timers,
  generators for SysV scripts and ``rc.local``),
* inetd/xinetd services and BusyBox ``tcpsvd``/``udpsvd`` listeners,
* cron tables of a cron daemon that is started.

Scripts are evaluated with :mod:`iotvet.checks.shell`. Init scripts present but never reached are
evaluated too and kept apart as *dormant* launches (installed, not enabled). The model is built
once per :class:`RootFS` and cached.
"""

from __future__ import annotations

import posixpath
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..rootfs import RootFS
from .shell import Exec, Shell, boot_knowledge, unquote

_INITTAB_LINE = re.compile(r"^([^:#]*):([^:]*):([^:]+):(.*)$")
_CRON_LINE = re.compile(r"^\s*(@\w+|(?:\S+\s+){4}\S+)\s+(.*)$")


def option_values(args: Sequence[str], names: Sequence[str]) -> list[str]:
    """Every value ``args`` (a command line without argv[0]) gives for the options ``names``,
    in order: "-p 23", "-p23" (two-character names) and "--port=23" (long names)."""
    values: list[str] = []
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                values.append(args[index + 1])
            elif name.startswith("--") and arg.startswith(name + "="):
                values.append(arg[len(name) + 1 :])
            elif (
                len(name) == 2
                and arg.startswith(name)
                and len(arg) > 2
                and not arg.startswith("--")
            ):
                values.append(arg[2:])
    return values


@dataclass(frozen=True)
class Socket:
    """A listening socket a launcher (inetd, tcpsvd, a systemd socket unit) opens for a program."""

    port: int | None
    proto: str  # "tcp" or "udp"
    listen: str | None = None
    service: str | None = None  # the inetd/services name, e.g. "telnet"


@dataclass(frozen=True)
class Launch:
    """One program the device runs, as the init system starts it."""

    program: str  # name it runs as: the applet name for BusyBox links ("telnetd")
    invoked: str  # argv[0] as written in the script
    binary: str | None  # inner path of the executable (links resolved), None if not in the image
    argv: tuple[str, ...]  # after removing wrappers such as start-stop-daemon or nohup
    started_by: str  # the init file that starts it: /etc/inittab, an init script as invoked,…
    script: str  # the file holding the command
    line: int
    text: str  # the command as written (evidence)
    via: str  # inittab | script | procd | systemd | inetd | cron
    action: str | None = None  # inittab action (respawn, askfirst, sysinit, …)
    console: str | None = None  # inittab terminal field; "console" when empty in BusyBox init
    conditional: bool = False  # reached only if a condition the image cannot decide holds
    background: bool = False
    unresolved: bool = False  # some argument could not be worked out statically
    sockets: tuple[Socket, ...] = ()
    user: str | None = None
    chain: tuple[str, ...] = ()

    def option(self, *names: str) -> str | None:
        """Value of the last of ``names`` given as "-p 23", "-p23", "--port=23"."""
        values = option_values(self.argv[1:], names)
        return values[-1] if values else None

    def options(self, *names: str) -> list[str]:
        """Every value given for ``names`` (repeatable options such as dropbear's -p)."""
        return option_values(self.argv[1:], names)

    def flag(self, *names: str) -> bool:
        """True if one of the single-letter or long ``names`` is given (also inside "-wsR")."""
        for arg in self.argv[1:]:
            if arg in names:
                return True
            if arg.startswith("-") and not arg.startswith("--"):
                letters = arg[1:]
                if any(len(n) == 2 and n[1] in letters and letters.isalpha() for n in names):
                    return True
        return False

    def evidence(self, config: str | None = None) -> str:
        """The command as findings quote it, "script:line: text", with the configuration file
        the daemon reads when one was found."""
        return f"{self.script}:{self.line}: {self.text}" + (f" (config {config})" if config else "")


@dataclass(frozen=True)
class CronJob:
    schedule: str
    command: str
    path: str
    line: int
    user: str | None
    active: bool  # a cron daemon that reads this table is started at boot


@dataclass
class BootModel:
    """Everything started at boot, with where it was started from."""

    init_system: str
    entry_points: list[str] = field(default_factory=list)
    launches: list[Launch] = field(default_factory=list)
    dormant: list[Launch] = field(default_factory=list)
    periodic: list[Launch] = field(default_factory=list)
    cron_jobs: list[CronJob] = field(default_factory=list)
    trace: list[Exec] = field(default_factory=list)
    scripts: dict[str, str] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)

    def started(self, *programs: str) -> list[Launch]:
        wanted = set(programs)
        return [launch for launch in self.launches if launch.program in wanted]


_CACHE: dict[int, tuple[weakref.ref[RootFS], BootModel]] = {}


def boot_model(root: RootFS) -> BootModel:
    """The boot model of ``root``, built once per RootFS object."""
    key = id(root)
    cached = _CACHE.get(key)
    if cached is not None and cached[0]() is root:
        return cached[1]
    model = _Builder(root).build()

    def forget(_ref: weakref.ref[RootFS], k: int = key) -> None:
        _CACHE.pop(k, None)

    _CACHE[key] = (weakref.ref(root, forget), model)
    return model


class _Builder:
    def __init__(self, root: RootFS) -> None:
        self.root = root
        self.know: dict[str, Any] = boot_knowledge()
        self.shell = Shell(root, hook=self._hook)
        self.inittab_meta: dict[int, tuple[str, str]] = {}  # exec seq -> (action, console)
        self.sockets: dict[int, tuple[Socket, ...]] = {}
        self.model = BootModel(init_system="unknown")

    # ------------------------------------------------------------------ entry points
    def build(self) -> BootModel:
        init_target = self.root.resolve("/sbin/init") or ""
        systemd = any(self.root.exists(p) for p in self.know["systemd_binaries"]) and (
            "systemd" in init_target or not init_target
        )
        inittab = self.root.read_text("/etc/inittab", 1 << 20)
        if systemd:
            self.model.init_system = "systemd"
            self._systemd()
        elif inittab is not None:
            self.model.init_system = "sysvinit" if self._is_sysv(inittab) else "busybox-init"
            if self.root.exists("/etc/rc.d") and not self.root.exists("/etc/init.d/rcS"):
                self.model.init_system = "procd"
            self._inittab(inittab, "/etc/inittab")
        elif self.root.exists("/etc/init.d/rcS") or self._is_busybox(init_target):
            self.model.init_system = "busybox-init (built-in inittab)"
            self._inittab("\n".join(self.know["busybox_default_inittab"]), "/etc/inittab")
        if self.root.exists("/init") and self.shell.is_script("/init"):
            self.model.entry_points.append("/init")
            self.shell.run_file("/init", [], invoked_as="/init")
        self.model.trace = self.shell.trace
        self.model.scripts = dict(self.shell.scripts)
        self.model.launches = self._launches(self.shell.trace) + self.model.launches
        self._inetd()
        self._cron()
        self._dormant()
        self.model.notes.extend(self.shell.notes)
        return self.model

    @staticmethod
    def _is_sysv(inittab: str) -> bool:
        return any(
            m.group(3) == "initdefault" or bool(m.group(2).strip())
            for m in map(_INITTAB_LINE.match, inittab.splitlines())
            if m
        )

    def _is_busybox(self, path: str) -> bool:
        return posixpath.basename(path) in self.know["multicall_binaries"]

    # ------------------------------------------------------------------ inittab
    def _inittab(self, text: str, path: str) -> None:
        self.model.entry_points.append(path)
        entries = []
        default_level: str | None = None
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            m = _INITTAB_LINE.match(line)
            if not m:
                continue
            ident, levels, action, process = (g.strip() for g in m.groups())
            if action == "initdefault":
                default_level = levels[:1] or None
            entries.append((number, ident, levels, action, process))
        start_actions = set(self.know["inittab_start_actions"])
        for number, ident, levels, action, process in entries:
            if action not in start_actions or not process:
                continue
            if (
                levels
                and action not in ("sysinit", "boot", "bootwait")
                and default_level
                and (default_level not in levels)
            ):
                continue
            command = process[1:] if process.startswith("-") else process
            start = len(self.shell.trace)
            self.shell.run_text(command, path=path, line=number)
            for ex in self.shell.trace[start:]:
                if ex.path == path:
                    self.inittab_meta[ex.seq] = (action, ident or "console")

    def _hook(self, ex: Exec) -> bool:
        """Init-system runners the evaluator should not interpret as plain scripts."""
        name = posixpath.basename(ex.argv[0])
        chain = (*ex.chain, f"{ex.path}:{ex.line}")
        rc_dir = str(self.know["procd_rc_dir"])
        if name == "rcS" and not self.root.exists(ex.argv[0]) and self.root.exists(rc_dir):
            action = ex.argv[-1] if len(ex.argv) > 1 else "boot"
            self._run_links(rc_dir, action, chain)
            return True
        for runner in self.know["rc_runners"]:
            if name in runner["script_names"] and len(ex.argv) > 1:
                for pattern in runner["link_dirs"]:
                    directory = pattern.format(arg=ex.argv[1])
                    if self.root.exists(directory):
                        self._run_links(directory, runner["action"], chain)
                        return True
        return False

    def _run_links(self, directory: str, action: str, chain: tuple[str, ...]) -> None:
        for link in self.shell.glob(posixpath.join(directory, "S[0-9]*")):
            entry = self.root.entry(link)
            if entry is not None and entry.is_file:
                self.shell.run_file(link, [action], chain=chain, invoked_as=link, depth=1)

    # ------------------------------------------------------------------ launches
    def _launches(self, trace: list[Exec], via_default: str | None = None) -> list[Launch]:
        launches: list[Launch] = []
        for ex in trace:
            if ex.builtin or ex.followed or ex.in_condition or ex.substitution or not ex.argv:
                continue
            if re.search(r"[$`]", ex.argv[0]):
                continue  # the program itself is not known statically
            launch = self._launch(ex, via_default)
            if launch is not None:
                launches.append(launch)
        return launches

    def _launch(self, ex: Exec, via_default: str | None) -> Launch | None:
        unwrapped = self.unwrap(list(ex.argv))
        if unwrapped is None:
            return None
        argv, sockets = unwrapped
        if not argv:
            return None
        invoked = argv[0]
        path_var = None
        found = self.shell.which(invoked, path_var)
        binary = self.root.resolve(found) if found else None
        program = posixpath.basename(invoked)
        multicall = set(self.know["multicall_binaries"])
        if program in multicall and len(argv) > 1:
            argv = argv[1:]
            program = posixpath.basename(argv[0])
        action, console = self.inittab_meta.get(ex.seq, (None, None))
        if ex.path == "/etc/inittab" or ex.path.startswith("/etc/inittab"):
            started_by, via = ex.path, "inittab"
        elif ex.procd:
            started_by, via = ex.invoked_as, "procd"
        else:
            started_by, via = ex.invoked_as, via_default or "script"
        if via_default in ("systemd", "inetd", "cron"):
            via = via_default
        return Launch(
            program=program,
            invoked=invoked,
            binary=binary,
            argv=tuple(argv),
            started_by=started_by,
            script=ex.path,
            line=ex.line,
            text=ex.text,
            via=via,
            action=action,
            console=console if action else None,
            conditional=ex.conditional,
            background=ex.background,
            unresolved=ex.unresolved,
            sockets=tuple(sockets) + self.sockets.get(ex.seq, ()),
            chain=ex.chain,
        )

    def unwrap(self, argv: list[str]) -> tuple[list[str], list[Socket]] | None:
        """Strip wrapper programs (nohup, start-stop-daemon --start --exec X -- args, tcpsvd …).

        None when the command does not start anything (start-stop-daemon --stop)."""
        wrappers: dict[str, dict[str, Any]] = self.know["wrappers"]
        sockets: list[Socket] = []
        for _ in range(8):
            if not argv:
                return argv, sockets
            name = posixpath.basename(argv[0])
            spec = wrappers.get(name)
            if spec is None:
                return argv, sockets
            rest = argv[1:]
            only_with = spec.get("only_with")
            if only_with and not any(a in only_with for a in rest):
                return None
            program: str | None = None
            value_opts = set(spec.get("value_options", []))
            program_opts = set(spec.get("program_option", []))
            separator = spec.get("args_after")
            positional: list[str] = []
            index = 0
            after_separator: list[str] | None = None
            while index < len(rest):
                arg = rest[index]
                option, has_value, inline = arg.partition("=")
                if separator and arg == separator:
                    after_separator = rest[index + 1 :]
                    break
                if option in program_opts:
                    if has_value:
                        program = inline
                    elif index + 1 < len(rest):
                        program = rest[index + 1]
                        index += 1
                elif option in value_opts:
                    index += 0 if has_value else 1
                elif arg.startswith("-") and arg != "-":
                    pass  # a flag without a value
                elif not (spec.get("skip_assignments") and re.match(r"^[A-Za-z_]\w*=", arg)):
                    positional = rest[index:]
                    break
                index += 1
            if program is not None:
                argv = [program, *(after_separator or [])]
                continue
            skip = int(spec.get("positional_skip", 0))
            if "port_positional" in spec and len(positional) > skip:
                port = positional[int(spec["port_positional"])]
                listen = positional[int(spec.get("listen_positional", 0))]
                sockets.append(
                    Socket(
                        _to_port(port),
                        str(spec.get("proto", "tcp")),
                        None if listen in ("0", "0.0.0.0", "::") else listen,
                    )
                )
            argv = positional[skip:]
        return argv, sockets

    # ------------------------------------------------------------------ inetd / xinetd
    def _inetd(self) -> None:
        daemons = set(self.know["inetd_daemons"])
        for launch in list(self.model.launches):
            if launch.program not in daemons:
                continue
            if launch.program == "xinetd":
                self._xinetd(launch)
                continue
            positional = [a for a in launch.argv[1:] if not a.startswith("-")]
            conf = positional[-1] if positional else "/etc/inetd.conf"
            text = self.root.read_text(conf, 1 << 20)
            if text is None:
                continue
            for number, raw in enumerate(text.splitlines(), 1):
                line = raw.strip()
                if not line or line.startswith("#"):
                    continue
                fields = line.split()
                if len(fields) < 6:
                    continue
                service, _socktype, proto, _wait, user, server = fields[:6]
                args = fields[6:] or [server]
                port, proto_name = self._service_port(service, proto)
                argv = [server if server not in ("internal",) else service, *args[1:]]
                self._add_service_launch(
                    argv,
                    launch,
                    conf,
                    number,
                    line,
                    "inetd",
                    Socket(port, proto_name, None, service),
                    user,
                )

    def _xinetd(self, launch: Launch) -> None:
        files = ["/etc/xinetd.conf", *self.root.listdir("/etc/xinetd.d")]
        for path in files:
            text = self.root.read_text(path, 1 << 20)
            if text is None:
                continue
            for block in re.finditer(r"service\s+(\S+)\s*\{([^}]*)\}", text):
                attrs: dict[str, str] = {}
                for attr in re.finditer(r"^\s*(\w+)\s*[+-]?=\s*(.*?)\s*$", block.group(2), re.M):
                    attrs[attr.group(1)] = attr.group(2)
                if attrs.get("disable", "no").lower() == "yes" or "server" not in attrs:
                    continue
                service = block.group(1)
                port, proto = self._service_port(service, attrs.get("protocol", "tcp"))
                if attrs.get("port", "").isdigit():
                    port = int(attrs["port"])
                argv = [attrs["server"], *attrs.get("server_args", "").split()]
                line = text.count("\n", 0, block.start()) + 1
                self._add_service_launch(
                    argv,
                    launch,
                    path,
                    line,
                    block.group(0)[:200],
                    "inetd",
                    Socket(port, proto, attrs.get("bind"), service),
                    attrs.get("user"),
                )

    def _add_service_launch(
        self,
        argv: list[str],
        parent: Launch,
        path: str,
        line: int,
        text: str,
        via: str,
        socket: Socket,
        user: str | None,
    ) -> None:
        found = self.shell.which(argv[0])
        binary = self.root.resolve(found) if found else None
        self.model.launches.append(
            Launch(
                program=posixpath.basename(argv[0]),
                invoked=argv[0],
                binary=binary,
                argv=tuple(argv),
                started_by=path,
                script=path,
                line=line,
                text=text,
                via=via,
                conditional=parent.conditional,
                sockets=(socket,),
                user=user,
                chain=(*parent.chain, f"{parent.script}:{parent.line}"),
            )
        )

    def _service_port(self, service: str, proto: str) -> tuple[int | None, str]:
        proto_name = "udp" if proto.startswith("udp") else "tcp"
        if service.isdigit():
            return int(service), proto_name
        text = self.root.read_text("/etc/services", 1 << 20) or ""
        m = re.search(rf"^{re.escape(service)}\s+(\d+)/{proto_name}\b", text, re.M)
        if m:
            return int(m.group(1)), proto_name
        known = self.know["service_ports"].get(service)
        if known:
            return int(known[0]), proto_name
        return None, proto_name

    # ------------------------------------------------------------------ cron
    def _cron(self) -> None:
        daemons = set(self.know["cron_daemons"])
        started = [launch for launch in self.model.launches if launch.program in daemons]
        active_dirs: set[str] = set()
        for launch in started:
            directory = launch.option("-c")
            active_dirs.update([directory] if directory else self.know["crontab_dirs"])
        tables: list[tuple[str, bool, bool]] = []  # (path, has user column, active)
        for directory in self.know["crontab_dirs"]:
            for path in self.root.listdir(directory):
                tables.append((path, False, directory in active_dirs))
        for directory in sorted(active_dirs - set(self.know["crontab_dirs"])):
            for path in self.root.listdir(directory):
                tables.append((path, False, True))
        for path in self.know["system_crontabs"]:
            tables.append((path, True, bool(started)))
        for directory in self.know["system_crontab_dirs"]:
            for path in self.root.listdir(directory):
                tables.append((path, True, bool(started)))
        cron_shell = Shell(self.root)
        for path, user_column, active in tables:
            text = self.root.read_text(path, 1 << 20)
            if text is None:
                continue
            for number, raw in enumerate(text.splitlines(), 1):
                line = raw.strip()
                if not line or line.startswith("#") or re.match(r"^[A-Za-z_]\w*\s*=", line):
                    continue
                m = _CRON_LINE.match(line)
                if not m:
                    continue
                command = m.group(2)
                user = posixpath.basename(path) if not user_column else None
                if user_column:
                    user, _, command = command.partition(" ")
                job = CronJob(m.group(1), command.strip(), path, number, user, active)
                self.model.cron_jobs.append(job)
                if active:
                    start = len(cron_shell.trace)
                    cron_shell.run_text(job.command, path=path, line=number)
                    self.model.periodic.extend(
                        self._launches(cron_shell.trace[start:], via_default="cron")
                    )

    # ------------------------------------------------------------------ dormant scripts
    def _dormant(self) -> None:
        ran = set(self.model.scripts.values())
        candidates = [
            p
            for p in self.root.listdir("/etc/init.d")
            if self.root.resolve(p) not in ran and not p.endswith("/rcS")
        ]
        dormant_shell = Shell(self.root, follow=False)
        for path in candidates:
            entry = self.root.entry(path)
            if entry is None or not entry.is_file or not self.shell.is_script(path):
                continue
            dormant_shell.run_file(path, ["start"], invoked_as=path)
        self.model.dormant = [
            launch
            for launch in self._launches(dormant_shell.trace)
            if launch.binary is not None or launch.program != launch.invoked
        ]

    # ------------------------------------------------------------------ systemd
    def _systemd(self) -> None:
        units = _SystemdUnits(self.root, list(self.know["systemd_unit_dirs"]))
        self.model.entry_points.append(units.default_target or "default.target")
        enabled = units.reachable()
        for name in enabled:
            unit = units.load(name)
            if unit is None:
                continue
            path, sections = unit
            if name.endswith(".socket"):
                self._systemd_socket(units, name, path, sections)
                continue
            if not name.endswith(".service"):
                continue
            self._systemd_service(units, name, path, sections, ())
        self._systemd_generators(units)

    def _systemd_service(
        self,
        units: _SystemdUnits,
        name: str,
        path: str,
        sections: dict[str, list[tuple[int, str, str]]],
        sockets: tuple[Socket, ...],
    ) -> None:
        service = sections.get("Service", [])
        env: dict[str, str | None] = {}
        for _line, key, value in service:
            if key == "Environment":
                for item in re.findall(r'"[^"]*"|\S+', value):
                    k, _, v = unquote(item).partition("=")
                    env[k] = v
            elif key == "EnvironmentFile":
                text = self.root.read_text(value.lstrip("-"), 1 << 16) or ""
                for env_line in text.splitlines():
                    m = re.match(r"^\s*(?:export\s+)?([A-Za-z_]\w*)=(.*)$", env_line)
                    if m:
                        env[m.group(1)] = unquote(m.group(2).strip())
        user = next((v for _, k, v in service if k == "User"), None)
        instance = name.split("@", 1)[1].rsplit(".", 1)[0] if "@" in name else ""
        for line, key, value in service:
            if key != "ExecStart" or not value:
                continue
            command = value.lstrip("-@:+!").replace("%i", instance).replace("%I", instance)
            start = len(self.shell.trace)
            self.shell.run_text(command, path=path, line=line, env=env)
            for ex in self.shell.trace[start:]:
                self.sockets[ex.seq] = sockets
            for launch in self._launches(self.shell.trace[start:], via_default="systemd"):
                self.model.launches.append(_replace(launch, user=user, started_by=path))
            del self.shell.trace[start:]
        self.model.scripts.setdefault(path, path)

    def _systemd_socket(
        self,
        units: _SystemdUnits,
        name: str,
        path: str,
        sections: dict[str, list[tuple[int, str, str]]],
    ) -> None:
        socket_section = sections.get("Socket", [])
        sockets: list[Socket] = []
        for _line, key, value in socket_section:
            proto = {"ListenStream": "tcp", "ListenDatagram": "udp"}.get(key)
            if proto is None:
                continue
            host, _, port = value.rpartition(":")
            if port.isdigit():
                sockets.append(Socket(int(port), proto, host.strip("[]") or None))
        accept = any(
            k == "Accept" and v.lower() in ("yes", "true", "1") for _, k, v in socket_section
        )
        target = next((v for _, k, v in socket_section if k == "Service"), None)
        base = name[: -len(".socket")]
        service = target or (f"{base}@.service" if accept else f"{base}.service")
        unit = units.load(service)
        if unit is not None:
            self._systemd_service(units, service, unit[0], unit[1], tuple(sockets))

    def _systemd_generators(self, units: _SystemdUnits) -> None:
        """systemd-sysv-generator (rcN.d links of scripts without a native unit) and
        systemd-rc-local-generator (an executable /etc/rc.local)."""
        native = {n.rsplit(".", 1)[0] for n in units.all_names()}
        for level in ("2", "3", "4", "5"):
            for link in self.shell.glob(f"/etc/rc{level}.d/S*"):
                script = re.sub(r"^S\d+", "", posixpath.basename(link))
                if script not in native:
                    self.shell.run_file(link, ["start"], invoked_as=link)
        entry = self.root.entry("/etc/rc.local")
        if entry is not None and entry.is_file and entry.mode & 0o111:
            self.shell.run_file("/etc/rc.local", ["start"], invoked_as="/etc/rc.local")


def _replace(launch: Launch, **changes: Any) -> Launch:
    values = dict(launch.__dict__)
    values.update(changes)
    return Launch(**values)


def _to_port(text: str) -> int | None:
    text = text.rsplit(":", 1)[-1]
    return int(text) if text.isdigit() and 0 < int(text) < 65536 else None


class _SystemdUnits:
    """Unit files of the tree, looked up along the systemd search path."""

    def __init__(self, root: RootFS, dirs: list[str]) -> None:
        self.root = root
        self.dirs = dirs
        self._cache: dict[str, tuple[str, dict[str, list[tuple[int, str, str]]]] | None] = {}
        target = None
        for directory in dirs:
            path = posixpath.join(directory, "default.target")
            entry = root.entry(path, follow=False)
            if entry is not None and entry.is_link and entry.link_target:
                target = posixpath.basename(entry.link_target)
                break
            if entry is not None:
                target = "default.target"
                break
        self.default_target = target or "multi-user.target"

    def all_names(self) -> set[str]:
        names: set[str] = set()
        for directory in self.dirs:
            names.update(posixpath.basename(p) for p in self.root.listdir(directory))
        return names

    def path_of(self, name: str) -> str | None:
        candidates = [name]
        if "@" in name and not name.split("@", 1)[1].startswith("."):
            candidates.append(name.split("@", 1)[0] + "@." + name.rsplit(".", 1)[1])
        for candidate in candidates:
            for directory in self.dirs:
                path = posixpath.join(directory, candidate)
                entry = self.root.entry(path)
                if entry is not None and entry.is_file:
                    return path
                raw = self.root.entry(path, follow=False)
                if raw is not None and raw.is_link and raw.link_target == "/dev/null":
                    return None  # masked
        return None

    def load(self, name: str) -> tuple[str, dict[str, list[tuple[int, str, str]]]] | None:
        if name not in self._cache:
            path = self.path_of(name)
            text = self.root.read_text(path, 1 << 20) if path else None
            self._cache[name] = (path, _parse_unit(text)) if path and text is not None else None
        return self._cache[name]

    def reachable(self) -> list[str]:
        order: list[str] = []
        seen: set[str] = set()
        queue = [self.default_target]
        while queue:
            name = queue.pop(0)
            if name in seen:
                continue
            seen.add(name)
            order.append(name)
            unit = self.load(name)
            deps: list[str] = []
            if unit is not None:
                for section in unit[1].values():
                    for _line, key, value in section:
                        if key in ("Wants", "Requires", "Also"):
                            deps.extend(value.split())
            for directory in self.dirs:
                for suffix in (".wants", ".requires"):
                    for link in self.root.listdir(posixpath.join(directory, name + suffix)):
                        deps.append(posixpath.basename(link))
            if name.endswith(".timer") and unit is not None:
                timer = unit[1].get("Timer", [])
                deps.append(
                    next(
                        (v for _, k, v in timer if k == "Unit"), name[: -len(".timer")] + ".service"
                    )
                )
            queue.extend(d for d in deps if d not in seen)
        return order


def _parse_unit(text: str) -> dict[str, list[tuple[int, str, str]]]:
    sections: dict[str, list[tuple[int, str, str]]] = {}
    current: list[tuple[int, str, str]] | None = None
    pending = ""
    pending_line = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if pending:
            line = pending + " " + line
        elif not line or line[0] in "#;":
            continue
        if line.endswith("\\"):
            pending = line[:-1].strip()
            pending_line = pending_line or number
            continue
        start_line = pending_line or number
        pending, pending_line = "", 0
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        if current is None or "=" not in line:
            continue
        key, _, value = line.partition("=")
        current.append((start_line, key.strip(), value.strip()))
    return sections
