"""Readers for the configuration of network daemons: which ports a started daemon listens on, with
which protocol, whether TLS is on, and the settings that decide authentication.

Why separate from services.py: each daemon has its own configuration language (lighttpd's
conditionals, nginx blocks, mosquitto listeners, UCI…). Each reader here turns one language into
the same :class:`ServiceFacts`; services.py applies one policy to all of them. Readers never
raise on malformed input: what they cannot read stays at the daemon's documented default and is
noted in ``facts["notes"]``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..rootfs import RootFS
from .boot import Launch
from .shell import Shell, boot_knowledge, read_uci, unquote

_MAX_CONF = 1 << 20
_MAX_INCLUDE_DEPTH = 5  # nested include directives followed by the lighttpd and nginx readers


@dataclass
class Port:
    port: int | None
    proto: str
    protocol: str
    encrypted: bool
    listen: str | None = None
    redirect_only: bool = False

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "port": self.port,
            "proto": self.proto,
            "protocol": self.protocol,
            "encrypted": self.encrypted,
        }
        if self.listen:
            out["listen"] = self.listen
        if self.redirect_only:
            out["redirect_only"] = True
        return out


@dataclass
class ServiceFacts:
    ports: list[Port] = field(default_factory=list)
    config_file: str | None = None
    authentication: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    def note(self, text: str) -> None:
        self.facts.setdefault("notes", []).append(text)

    def set_anonymous(self, allowed: bool) -> None:
        """Record whether clients get in without credentials (FTP, MQTT brokers)."""
        self.facts["anonymous"] = allowed
        self.authentication = "anonymous allowed" if allowed else "password"


Reader = Callable[[RootFS, Launch, dict[str, Any], dict[str, Any]], ServiceFacts]


def split_endpoint(text: str) -> tuple[str | None, int | None]:
    """ "[addr:]port", "[::]:443", "0.0.0.0:80", "http://*:80" -> (listen or None, port)."""
    text = re.sub(r"^\w+://", "", text.strip().strip('"'))
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    host = host.strip("[]")
    listen = None if host in ("", "*", "0.0.0.0", "::") else host
    return listen, int(port) if port.isdigit() and 0 < int(port) < 65536 else None


def protocol_of(default: str, encrypted: bool) -> str:
    secure = {"http": "https", "mqtt": "mqtts", "ftp": "ftps"}
    return secure.get(default, default) if encrypted else default


def config_path(root: RootFS, launch: Launch, spec: dict[str, Any]) -> str | None:
    path = launch.option(*spec.get("config_options", [])) if spec.get("config_options") else None
    if path is None and spec.get("config_positional"):
        positional = [a for a in launch.argv[1:] if not a.startswith("-")]
        path = positional[-1] if positional else None
    path = path or spec.get("config_default")
    return path if path and path.startswith("/") else None


def _read(root: RootFS, path: str | None, facts: ServiceFacts) -> str | None:
    if path is None:
        return None
    text = root.read_text(path, _MAX_CONF)
    if text is None:
        facts.note(f"configuration {path} is not in the image; defaults assumed")
    else:
        facts.config_file = path
    return text


def _configured(root: RootFS, launch: Launch, spec: dict[str, Any]) -> tuple[ServiceFacts, str]:
    """New facts and the text of the daemon's configuration file (see config_path); "" when the
    image does not have it, which leaves ``facts.config_file`` unset."""
    facts = ServiceFacts()
    return facts, _read(root, config_path(root, launch, spec), facts) or ""


def _included(root: RootFS, path: str, target: str) -> list[str]:
    """The files an include directive in ``path`` names: relative to that file, globs expanded."""
    if not target.startswith("/"):
        target = posixpath.join(posixpath.dirname(path), target)
    return Shell(root, follow=False).glob(target) if "*" in target else [target]


def _default_ports(spec: dict[str, Any], encrypted: bool | None = None) -> list[Port]:
    out = []
    for item in spec.get("ports", []):
        enc = (
            bool(encrypted)
            if encrypted is not None
            else item["protocol"] in ("https", "ssh", "mqtts", "ftps", "openvpn")
        )
        out.append(Port(int(item["port"]), item["proto"], protocol_of(item["protocol"], enc), enc))
    return out


def _port_option_ports(
    launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> list[Port] | None:
    values = launch.options(*spec.get("port_options", [])) if spec.get("port_options") else []
    tls_values = (
        launch.options(*spec.get("tls_port_options", [])) if spec.get("tls_port_options") else []
    )
    if not values and not tls_values:
        return None
    default = spec.get("ports", [{}])[0] if spec.get("ports") else {}
    base = default.get("protocol", "http")
    proto = default.get("proto", "tcp")
    tls_flag = bool(spec.get("tls_flags")) and launch.flag(*spec["tls_flags"])
    out = []
    for value, enc in [(v, tls_flag) for v in values] + [(v, True) for v in tls_values]:
        listen, port = split_endpoint(value)
        protocol = protocol_of(base, enc)
        out.append(
            Port(
                port,
                proto,
                protocol,
                enc or bool(protocols.get(protocol, {}).get("encrypted")),
                listen,
            )
        )
    return out


# --------------------------------------------------------------------------- generic
def read_port_options(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts = ServiceFacts()
    ports = _port_option_ports(launch, spec, protocols)
    if spec.get("tls_flags") and ports is None and launch.flag(*spec["tls_flags"]):
        ports = _default_ports(spec, encrypted=True)
    facts.ports = ports if ports is not None else _default_ports(spec)
    return facts


def read_telnetd(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts = read_port_options(root, launch, spec, protocols)
    bind = launch.option(*spec.get("bind_options", []))
    if bind:
        for port in facts.ports:
            port.listen = bind
    login = launch.option(*spec.get("login_options", [])) or spec.get("default_login")
    facts.facts["login_program"] = login
    shells = set(boot_knowledge()["shells"])
    name = posixpath.basename(str(login))
    if name in shells:
        facts.authentication = f"none (spawns {login} without authentication)"
        facts.facts["unauthenticated_shell"] = True
    else:
        facts.authentication = f"password ({login})"
    return facts


def read_dropbear(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts = read_port_options(root, launch, spec, protocols)
    root_login = not launch.flag("-w")
    password = not launch.flag("-s")
    root_password = root_login and password and not launch.flag("-g")
    facts.facts.update(
        root_login=root_login,
        password_auth=password,
        root_password_auth=root_password,
        blank_passwords=launch.flag("-B"),
    )
    methods = "password+publickey" if password else "publickey only"
    facts.authentication = f"{methods}, root login {'allowed' if root_login else 'disabled'}"
    return facts


def read_sshd(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts, text = _configured(root, launch, spec)
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.lower().startswith("match "):
            if line:
                break  # Match blocks apply to some clients only; the global part ends here
            continue
        key, _, value = line.partition(" ")
        settings.setdefault(key.lower(), []).append(value.strip())
    ports = [int(p) for p in settings.get("port", []) if p.isdigit()]
    option_ports = [int(p) for p in launch.options("-p") if p.isdigit()]
    listens = settings.get("listenaddress", [])
    facts.ports = [
        Port(p, "tcp", "ssh", True, split_endpoint(listens[0])[0] if listens else None)
        for p in (option_ports or ports or [22])
    ]
    root_login = (settings.get("permitrootlogin", ["prohibit-password"])[0]).lower()
    password = settings.get("passwordauthentication", ["yes"])[0].lower() == "yes"
    empty = settings.get("permitemptypasswords", ["no"])[0].lower() == "yes"
    facts.facts.update(
        root_login=root_login != "no",
        password_auth=password,
        root_password_auth=password and root_login == "yes",
        blank_passwords=empty,
    )
    facts.authentication = (
        f"{'password+publickey' if password else 'publickey only'}, PermitRootLogin {root_login}"
    )
    return facts


# --------------------------------------------------------------------------- lighttpd
_LIGHTTPD_TOKEN = re.compile(
    r'\s+|#[^\n]*|"(?:\\.|[^"\\])*"|\$\w+\["[^"]*"\]|==|!=|=~|!~|=>|\+=|:=|[=(){},+]|[^\s=(){},+#"]+'
)


@dataclass
class _LBlock:
    cond: tuple[str, str, str] | None  # ($SERVER["socket"], "==", ":443")
    settings: list[tuple[str, list[str]]] = field(default_factory=list)
    children: list[_LBlock] = field(default_factory=list)


def _lighttpd_tokens(root: RootFS, path: str, depth: int = 0) -> list[str]:
    text = root.read_text(path, _MAX_CONF) or ""
    tokens = [t for t in _LIGHTTPD_TOKEN.findall(text) if t.strip() and not t.startswith("#")]
    out: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token == "include" and index + 1 < len(tokens) and depth < _MAX_INCLUDE_DEPTH:
            for included in _included(root, path, unquote(tokens[index + 1])):
                out.extend(_lighttpd_tokens(root, included, depth + 1))
            index += 2
            continue
        if token == "include_shell":
            index += 2
            continue
        out.append(token)
        index += 1
    return out


def _lighttpd_parse(tokens: list[str]) -> _LBlock:
    root = _LBlock(None)
    stack = [root]
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.startswith("$") and index + 3 < len(tokens) and tokens[index + 3] == "{":
            block = _LBlock((token, tokens[index + 1], unquote(tokens[index + 2])))
            stack[-1].children.append(block)
            stack.append(block)
            index += 4
            continue
        if token == "else" and index + 1 < len(tokens) and tokens[index + 1] == "{":
            block = _LBlock(("else", "", ""))
            stack[-1].children.append(block)
            stack.append(block)
            index += 2
            continue
        if token == "}":
            if len(stack) > 1:
                stack.pop()
            index += 1
            continue
        if index + 1 < len(tokens) and tokens[index + 1] in ("=", "+=", ":="):
            value: list[str] = []
            depth = 0
            index += 2
            while index < len(tokens):
                tok = tokens[index]
                if tok == "(":
                    depth += 1
                elif tok == ")":
                    depth -= 1
                value.append(tok)
                index += 1
                if depth <= 0 and (
                    index >= len(tokens)
                    or (
                        tokens[index] not in ("+", "(", ")", ",", "=>")
                        and value[-1] not in ("+", ",", "=>", "(")
                    )
                ):
                    break
            stack[-1].settings.append((token, value))
            continue
        index += 1
    return root


def _setting(block: _LBlock, key: str) -> str | None:
    found = None
    for name, value in block.settings:
        if name == key and value:
            found = unquote(value[0])
    return found


_CATCH_ALL = {"", "^(.*)$", "^/(.*)", "^/(.*)$", ".*", "^.*$", "^/.*", "(.*)", "^(.*)"}


def _redirects_all_to_https(block: _LBlock) -> bool:
    for name, value in block.settings:
        if name != "url.redirect":
            continue
        strings = [unquote(v) for v in value if v.startswith('"')]
        pairs = list(zip(strings[::2], strings[1::2], strict=False))
        if any(k in _CATCH_ALL and v.lower().startswith("https://") for k, v in pairs):
            return True
    return False


def read_lighttpd(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts, _ = _configured(root, launch, spec)
    path = facts.config_file
    if path is None:
        facts.ports = _default_ports(spec)
        return facts
    tree = _lighttpd_parse(_lighttpd_tokens(root, path))
    global_tls = (_setting(tree, "ssl.engine") or "disable") == "enable"
    port_text = _setting(tree, "server.port")
    port = int(port_text) if port_text and port_text.isdigit() else (443 if global_tls else 80)
    bind = _setting(tree, "server.bind")
    sockets: list[tuple[str | None, int | None, bool, _LBlock | None]] = [
        (None if bind in (None, "0.0.0.0", "::") else bind, port, global_tls, None)
    ]
    for child in tree.children:
        if child.cond and child.cond[0] == '$SERVER["socket"]' and child.cond[1] == "==":
            listen, sock_port = split_endpoint(child.cond[2])
            engine = _setting(child, "ssl.engine")
            tls = global_tls if engine is None else engine == "enable"
            sockets.append((listen, sock_port, tls, child))
    scheme_redirect = any(
        c.cond
        and c.cond[0] == '$HTTP["scheme"]'
        and (
            (c.cond[1] == "==" and c.cond[2] == "http")
            or (c.cond[1] == "!=" and c.cond[2] == "https")
        )
        and _redirects_all_to_https(c)
        for c in tree.children
    )
    global_redirect = _redirects_all_to_https(tree)
    for listen, sock_port, tls, block in sockets:
        redirect = not tls and (
            scheme_redirect
            or global_redirect
            or (block is not None and _redirects_all_to_https(block))
        )
        facts.ports.append(
            Port(sock_port, "tcp", "https" if tls else "http", tls, listen, redirect_only=redirect)
        )
    return facts


# --------------------------------------------------------------------------- uhttpd (OpenWrt)
def read_uhttpd(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts = ServiceFacts()
    ports = _port_option_ports(launch, spec, protocols)
    redirect = launch.flag("-q")
    if ports is None:
        for _kind, _name, options in read_uci(root, "uhttpd"):
            facts.config_file = "/etc/config/uhttpd"
            for option, protocol, tls in (
                ("listen_http", "http", False),
                ("listen_https", "https", True),
            ):
                for value in options.get(option, "").split():
                    listen, port = split_endpoint(value)
                    facts.ports.append(Port(port, "tcp", protocol, tls, listen))
            redirect = redirect or options.get("redirect_https", "0") in ("1", "on", "true")
            break
    else:
        facts.ports = ports
    https = any(p.encrypted for p in facts.ports)
    for item in facts.ports:
        if not item.encrypted and redirect and https:
            item.redirect_only = True
    return facts


# --------------------------------------------------------------------------- nginx
_NGINX_TOKEN = re.compile(r'#[^\n]*|"(?:\\.|[^"\\])*"|\'[^\']*\'|[{};]|[^\s{};#]+')


def _nginx_tree(root: RootFS, path: str, depth: int = 0) -> list[Any]:
    text = root.read_text(path, _MAX_CONF) or ""
    tokens = [t for t in _NGINX_TOKEN.findall(text) if not t.startswith("#")]
    stack: list[list[Any]] = [[]]
    words: list[str] = []
    for token in tokens:
        if token == ";":
            if words and words[0] == "include" and len(words) > 1 and depth < _MAX_INCLUDE_DEPTH:
                for included in _included(root, path, words[1]):
                    stack[-1].extend(_nginx_tree(root, included, depth + 1))
            elif words:
                stack[-1].append((words, None))
            words = []
        elif token == "{":
            block: list[Any] = []
            stack[-1].append((words, block))
            stack.append(block)
            words = []
        elif token == "}":
            if len(stack) > 1:
                stack.pop()
            words = []
        else:
            words.append(unquote(token))
    return stack[0]


def _nginx_servers(items: list[Any]) -> list[list[Any]]:
    servers: list[list[Any]] = []
    for words, block in items:
        if block is None:
            continue
        if words[:1] == ["server"]:
            servers.append(block)
        else:
            servers.extend(_nginx_servers(block))
    return servers


def read_nginx(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts, _ = _configured(root, launch, spec)
    path = facts.config_file
    if path is None:
        facts.ports = _default_ports(spec)
        return facts
    for server in _nginx_servers(_nginx_tree(root, path)):
        directives = [w for w, b in server if b is None]
        ssl_on = any(w[:2] == ["ssl", "on"] for w in directives)
        redirect = any(
            (w[0] == "return" and len(w) > 2 and w[2].lower().startswith("https://"))
            or (w[0] == "rewrite" and len(w) > 2 and w[2].lower().startswith("https://"))
            for w in directives
        )
        listens = [w[1:] for w in directives if w[0] == "listen" and len(w) > 1] or [["80"]]
        for args in listens:
            listen, port = split_endpoint(args[0])
            tls = ssl_on or "ssl" in args[1:]
            facts.ports.append(
                Port(
                    port,
                    "udp" if "quic" in args else "tcp",
                    "https" if tls else "http",
                    tls,
                    listen,
                    redirect_only=redirect and not tls,
                )
            )
    if not facts.ports:
        facts.ports = _default_ports(spec)
    return facts


# --------------------------------------------------------------------------- key/value configs
def _keyvalues(text: str, separators: str = " \t=") -> list[tuple[str, str]]:
    out = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(rf"^([^{separators}]+)[{separators}]+(.*)$", line)
        if m:
            out.append((m.group(1).strip(), m.group(2).strip()))
        else:
            out.append((line, ""))
    return out


def read_boa(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts, text = _configured(root, launch, spec)
    ports = [int(v) for k, v in _keyvalues(text) if k == "Port" and v.isdigit()]
    listen = next((v for k, v in _keyvalues(text) if k == "Listen"), None)
    facts.ports = [Port(p, "tcp", "http", False, listen) for p in ports] or _default_ports(spec)
    return facts


def read_goahead(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts = ServiceFacts()
    for arg in launch.argv[1:]:
        if arg.startswith("-"):
            continue
        if re.match(r"^(https?://)?[\w.*\[\]:]*:\d+$", arg):
            listen, port = split_endpoint(arg)
            tls = arg.startswith("https://")
            facts.ports.append(Port(port, "tcp", "https" if tls else "http", tls, listen))
    if not facts.ports:
        facts.ports = _default_ports(spec)
    return facts


def read_mini_httpd(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts = read_port_options(root, launch, spec, protocols)
    config = launch.option("-C")
    text = _read(root, config, facts) if config else None
    if text:
        values = dict(_keyvalues(text))
        tls = "ssl" in values or launch.flag("-S")
        port = int(values["port"]) if values.get("port", "").isdigit() else None
        if port or tls:
            facts.ports = [
                Port(port or (443 if tls else 80), "tcp", "https" if tls else "http", tls)
            ]
    return facts


def read_apache(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts, text = _configured(root, launch, spec)
    tls = bool(re.search(r"^\s*SSLEngine\s+on", text, re.M | re.I))
    for m in re.finditer(r"^\s*Listen\s+(\S+)(?:\s+(\w+))?", text, re.M | re.I):
        listen, port = split_endpoint(m.group(1))
        enc = (m.group(2) or "").lower() == "https" or (tls and port == 443)
        facts.ports.append(Port(port, "tcp", "https" if enc else "http", enc, listen))
    if not facts.ports:
        facts.ports = _default_ports(spec)
    return facts


def read_vsftpd(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts, text = _configured(root, launch, spec)
    values = {k.lower(): v for k, v in _keyvalues(text, "=")}
    port = int(values["listen_port"]) if values.get("listen_port", "").isdigit() else 21
    tls = values.get("ssl_enable", "NO").upper() == "YES"
    facts.ports = [Port(port, "tcp", "ftps" if tls else "ftp", tls, values.get("listen_address"))]
    facts.set_anonymous(values.get("anonymous_enable", "NO").upper() == "YES")
    return facts


def read_proftpd(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts, text = _configured(root, launch, spec)
    m = re.search(r"^\s*Port\s+(\d+)", text, re.M | re.I)
    tls = bool(re.search(r"^\s*TLSRequired\s+on", text, re.M | re.I))
    facts.ports = [Port(int(m.group(1)) if m else 21, "tcp", "ftps" if tls else "ftp", tls)]
    facts.set_anonymous(bool(re.search(r"^\s*<Anonymous", text, re.M | re.I)))
    return facts


# --------------------------------------------------------------------------- dnsmasq
def read_dnsmasq(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts = ServiceFacts()
    options: list[tuple[str, str]] = []
    path = config_path(root, launch, spec)
    seen: set[str] = set()

    def load(conf: str | None, depth: int = 0) -> None:
        if conf is None or conf in seen or depth > 4:
            return
        seen.add(conf)
        text = _read(root, conf, facts) if depth == 0 else root.read_text(conf, _MAX_CONF)
        for key, value in _keyvalues(text or "", "="):
            options.append((key, value))
            if key == "conf-file":
                load(value, depth + 1)
            elif key == "conf-dir":
                directory = value.split(",")[0]
                for item in root.listdir(directory):
                    load(item, depth + 1)

    load(path)
    short = {"-p": "port", "-a": "listen-address", "-i": "interface", "-F": "dhcp-range"}
    args = list(launch.argv[1:])
    for index, arg in enumerate(args):
        key, _, value = arg.partition("=")
        if key.startswith("--"):
            options.append((key[2:], value))
        elif key in short and index + 1 < len(args):
            options.append((short[key], args[index + 1]))
    get = {k: v for k, v in options}
    dns_port = int(get["port"]) if get.get("port", "").isdigit() else 53
    listens = [v for k, v in options if k == "listen-address"]
    interfaces = [v for k, v in options if k == "interface"]
    listen = (
        ",".join(listens)
        if listens
        else ("interface " + ",".join(interfaces) if interfaces else None)
    )
    if dns_port:
        facts.ports += [
            Port(dns_port, "udp", "dns", False, listen),
            Port(dns_port, "tcp", "dns", False, listen),
        ]
    ranges = [v for k, v in options if k == "dhcp-range"]
    if any(":" not in r.split(",")[0] for r in ranges):
        facts.ports.append(Port(67, "udp", "dhcp", False, listen))
    if any(":" in r.split(",")[0] for r in ranges):
        facts.ports.append(Port(547, "udp", "dhcpv6", False, listen))
    if "enable-tftp" in get:
        facts.ports.append(Port(69, "udp", "tftp", False, listen))
    return facts


# --------------------------------------------------------------------------- miniupnpd
def read_miniupnpd(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts, text = _configured(root, launch, spec)
    values = {k: v for k, v in _keyvalues(text, "=")}
    listen = values.get("listening_ip")
    port_text = values.get("http_port") or values.get("port") or launch.option("-P") or "0"
    upnp = values.get("enable_upnp", "yes").lower() != "no"
    natpmp = (
        values.get("enable_natpmp", "no").lower() == "yes"
        or values.get("enable_pcp_pmp", "no").lower() == "yes"
    )
    if upnp:
        facts.ports.append(
            Port(
                int(port_text) if port_text.isdigit() and int(port_text) else None,
                "tcp",
                "upnp-http",
                False,
                listen,
            )
        )
        facts.ports.append(Port(1900, "udp", "ssdp", False, listen))
    if natpmp:
        facts.ports.append(Port(5351, "udp", "nat-pmp", False, listen))
    facts.facts.update(
        upnp=upnp, natpmp=natpmp, secure_mode=values.get("secure_mode", "yes").lower() == "yes"
    )
    facts.authentication = "none (UPnP IGD)"
    return facts


# --------------------------------------------------------------------------- mosquitto
def read_mosquitto(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts, text = _configured(root, launch, spec)
    listeners: list[dict[str, Any]] = []
    bridges: list[dict[str, Any]] = []
    allow_anonymous: str | None = None
    password_file = False
    section = "global"
    legacy_port: int | None = None
    for key, value in _keyvalues(text):
        if key == "listener":
            parts = value.split()
            bind = parts[1] if len(parts) > 1 and parts[1] not in ("0.0.0.0", "::") else None
            listeners.append(
                {
                    "port": int(parts[0]) if parts and parts[0].isdigit() else None,
                    "bind": bind,
                    "tls": False,
                    "ws": False,
                }
            )
            section = "listener"
        elif key == "port" and value.isdigit():
            legacy_port = int(value)
        elif key == "connection":
            bridges.append({"name": value, "tls": False, "address": None, "user": None})
            section = "bridge"
        elif key in ("certfile", "psk_hint") and section == "listener" and listeners:
            listeners[-1]["tls"] = True
        elif key == "protocol" and value == "websockets" and listeners:
            listeners[-1]["ws"] = True
        elif key == "allow_anonymous":
            allow_anonymous = value.lower()
        elif key in ("password_file", "psk_file", "auth_plugin", "plugin"):
            password_file = True
        elif section == "bridge" and bridges:
            if key in ("address", "addresses"):
                bridges[-1]["address"] = value.split()[0]
            elif key in ("bridge_cafile", "bridge_capath", "bridge_psk"):
                bridges[-1]["tls"] = True
            elif key == "remote_username":
                bridges[-1]["user"] = value
    if legacy_port is not None:
        listeners.insert(0, {"port": legacy_port, "bind": None, "tls": False, "ws": False})
    elif not listeners:
        # no listener configured: mosquitto 2.x listens on loopback only, 1.x on every address
        bind = None if _mosquitto_v1(root, launch) else "127.0.0.1"
        listeners = [{"port": 1883, "bind": bind, "tls": False, "ws": False}]
    option_ports = launch.options(*spec.get("port_options", []))
    for value in option_ports:
        listen, port = split_endpoint(value)
        listeners.append({"port": port, "bind": listen, "tls": False, "ws": False})
    for item in listeners:
        protocol = "mqtt-ws" if item["ws"] else ("mqtts" if item["tls"] else "mqtt")
        facts.ports.append(Port(item["port"], "tcp", protocol, item["tls"], item["bind"]))
    facts.set_anonymous(
        allow_anonymous == "true"
        or (allow_anonymous is None and not password_file and _mosquitto_v1(root, launch))
    )
    facts.facts["bridges"] = bridges
    return facts


def _mosquitto_v1(root: RootFS, launch: Launch) -> bool:
    """mosquitto before 2.0 allowed anonymous clients by default."""
    data = root.read_bytes(launch.binary, 4 << 20) if launch.binary else None
    m = re.search(rb"mosquitto version (\d+)\.", data or b"")
    return bool(m and int(m.group(1)) < 2)


# --------------------------------------------------------------------------- snmpd
def read_snmpd(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts = read_port_options(root, launch, spec, protocols)
    text = _read(root, config_path(root, launch, spec), facts) or ""
    communities: list[dict[str, str]] = []
    for key, value in _keyvalues(text):
        parts = value.split()
        if key in ("rocommunity", "rwcommunity", "rocommunity6", "rwcommunity6") and parts:
            communities.append({"community": parts[0], "access": key[:2]})
        elif key == "com2sec" and len(parts) >= 3:
            communities.append({"community": parts[-1], "access": "mapped"})
        elif key == "agentaddress" and parts:
            listen, port = split_endpoint(parts[0].split(",")[0].split(":", 1)[-1])
            if port:
                facts.ports = [Port(port, "udp", "snmp", False, listen)]
    community_option = (
        launch.option("-c") if spec.get("names") and launch.program == ("mini_snmpd") else None
    )
    if community_option:
        communities.append({"community": community_option, "access": "ro"})
    facts.facts["communities"] = communities
    facts.authentication = "community strings (SNMPv1/v2c)" if communities else None
    return facts


# --------------------------------------------------------------------------- openvpn / hostapd
def read_openvpn(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts, text = _configured(root, launch, spec)
    values: dict[str, str] = {}
    for key, value in _keyvalues(text):
        if key.startswith("<"):
            continue
        values.setdefault(key, value)
    client = "client" in values or ("remote" in values and "server" not in values)
    facts.facts["mode"] = "client" if client else "server"
    if not client:
        port = values.get("port") or values.get("lport") or "1194"
        proto = "tcp" if values.get("proto", "udp").startswith("tcp") else "udp"
        facts.ports = [
            Port(int(port) if port.isdigit() else 1194, proto, "openvpn", True, values.get("local"))
        ]
    facts.authentication = "TLS certificates" if "ca" in values or "<ca>" in text else None
    return facts


def read_hostapd(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts, text = _configured(root, launch, spec)
    if facts.config_file is None:
        return facts
    values = {k: v for k, v in _keyvalues(text, "=")}
    wpa = values.get("wpa", "0")
    wep = any(k.startswith("wep_key") for k in values)
    key_mgmt = values.get("wpa_key_mgmt", "WPA-PSK" if wpa != "0" else "")
    if wpa in ("0", "") and not wep and values.get("ieee8021x", "0") != "1":
        security = "open"
    elif wpa in ("0", "") and wep:
        security = "wep"
    elif wpa == "1":
        security = "wpa1"
    else:
        security = "wpa2" if "SAE" not in key_mgmt else "wpa3"
    facts.facts.update(wifi_security=security, ssid=values.get("ssid"), key_mgmt=key_mgmt)
    facts.authentication = {
        "open": "none (open network)",
        "wep": "WEP",
        "wpa1": "WPA (TKIP)",
        "wpa2": f"WPA2 ({key_mgmt})",
        "wpa3": f"WPA3 ({key_mgmt})",
    }[security]
    return facts


def read_ntpd(
    root: RootFS, launch: Launch, spec: dict[str, Any], protocols: dict[str, Any]
) -> ServiceFacts:
    facts = ServiceFacts()
    if launch.flag(*spec.get("server_flags", [])):
        item = spec["server_port"]
        facts.ports = [Port(int(item["port"]), item["proto"], item["protocol"], False)]
    return facts


READERS: dict[str, Reader] = {
    "port_options": read_port_options,
    "telnetd": read_telnetd,
    "dropbear": read_dropbear,
    "sshd": read_sshd,
    "lighttpd": read_lighttpd,
    "uhttpd": read_uhttpd,
    "nginx": read_nginx,
    "boa": read_boa,
    "goahead": read_goahead,
    "mini_httpd": read_mini_httpd,
    "apache": read_apache,
    "vsftpd": read_vsftpd,
    "proftpd": read_proftpd,
    "dnsmasq": read_dnsmasq,
    "miniupnpd": read_miniupnpd,
    "mosquitto": read_mosquitto,
    "snmpd": read_snmpd,
    "openvpn": read_openvpn,
    "hostapd": read_hostapd,
    "ntpd": read_ntpd,
}
