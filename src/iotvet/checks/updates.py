"""The updates family: how the firmware updates itself, over which transport, and whether the image
is authenticated before it is written to flash.

Why: an update that is not signed (or signed but flashed whether or not the check passed) lets
anyone who can reach the download or the web UI install their own firmware (EN 303 645 5.3-2/-9,
NIST IR 8425 "software update", CRA Annex I (3)(k)). Update scripts are evaluated with the shell
evaluator (checks/shell.py), so the *order* of commands and the conditions guarding the flash write
are known: a signature check counts only if the flash write happens on its success branch, or if a
failing check leads to ``exit`` before the write. Checksums fetched from the same server are not
authenticity. Update frameworks (RAUC, SWUpdate, Mender) and package feeds (opkg, apt) are read
from their configuration.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from .. import datafiles
from ..context import ScanContext
from ..model import Finding
from ..rootfs import RootFS
from . import filescan
from .boot import BootModel, boot_model
from .shell import Exec, Shell, boot_knowledge

SUI = "software-update-integrity"
COM = "secure-communication"
_URL = re.compile(r"\b(https?|ftps?|tftp)://[^\s'\"<>]+", re.I)


def _know() -> dict[str, Any]:
    return datafiles.load("updates.yaml")


@dataclass
class Mechanism:
    """One way the device installs firmware."""

    script: str
    kind: str = "script"
    urls: list[str] = field(default_factory=list)
    download_tool: str | None = None
    tls_verification: bool | None = None
    ca_certificate: str | None = None
    verification: str = "none"  # none | md5 | sha256 | … | signature
    signature_tool: str | None = None
    public_key: str | None = None
    signature_not_enforced: bool = False
    flash_target: str | None = None
    flash_line: int = 0
    flash_text: str = ""
    anti_rollback: bool = False
    trigger: str = "manual (no boot, cron or web trigger found)"
    evidence: list[str] = field(default_factory=list)

    @property
    def transport(self) -> str | None:
        schemes = {u.split(":", 1)[0].lower() for u in self.urls}
        if not schemes:
            return None
        if schemes <= {"https", "ftps"}:
            return "https"
        return sorted(schemes - {"https", "ftps"})[0]

    def data(self) -> dict[str, object]:
        return {
            "script": self.script,
            "kind": self.kind,
            "urls": self.urls,
            "url": self.urls[0] if self.urls else None,
            "transport": self.transport,
            "download_tool": self.download_tool,
            "tls_certificate_verification": self.tls_verification,
            "ca_certificate": self.ca_certificate,
            "verification": self.verification,
            "signed": self.verification == "signature",
            "signature_tool": self.signature_tool,
            "public_key": self.public_key,
            "flash_target": self.flash_target,
            "anti_rollback": self.anti_rollback,
            "trigger": self.trigger,
        }


class _Analysis:
    """Classifies the commands of one evaluated script."""

    def __init__(self, root: RootFS, path: str, trace: list[Exec]) -> None:
        self.root = root
        self.path = path
        self.trace = [e for e in trace if e.path == path]
        self.by_seq = {e.seq: e for e in trace}
        self.know = _know()
        self.flash_patterns = [re.compile(p) for p in self.know["flash_devices"]]

    def is_flash_device(self, path: str) -> bool:
        return any(p.search(path) for p in self.flash_patterns)

    def flash_writes(self) -> list[tuple[Exec, str | None]]:
        writers: dict[str, dict[str, Any]] = self.know["flash_writers"]
        out: list[tuple[Exec, str | None]] = []
        for ex in self.trace:
            if ex.builtin or not ex.argv:
                continue
            for op, dest in ex.redirects:
                if op in (">", ">>") and self.is_flash_device(dest):
                    out.append((ex, dest))
            name = posixpath.basename(ex.argv[0])
            spec = writers.get(name)
            if spec is None:
                continue
            args = ex.argv[1:]
            subs = spec.get("subcommands")
            if subs and not any(a in subs for a in args):
                continue
            only = spec.get("only_if_args")
            if only and not any(a.split("=", 1)[0] in only for a in args):
                continue
            target = self._target(spec["target"], args)
            if (
                spec["target"] == "none"
                or (target and self.is_flash_device(target))
                or (name == "mtd" and target)
            ):
                out.append((ex, target))
        return out

    @staticmethod
    def _target(kind: str, args: list[str]) -> str | None:
        positional = [a for a in args if not a.startswith("-")]
        if kind == "of":
            return next((a[3:] for a in args if a.startswith("of=")), None)
        if kind == "last":
            return positional[-1] if positional else None
        if kind == "positional_first":
            return positional[0] if positional else None
        if kind == "second_after_write":  # mtd [opts] write <image|-> <partition>
            rest = args[args.index("write") + 1 :] if "write" in args else []
            return rest[1] if len(rest) > 1 else None
        return None

    def downloads(self) -> list[Exec]:
        tools = self.know["downloaders"]
        return [e for e in self.trace if e.argv and posixpath.basename(e.argv[0]) in tools]

    def signature_checks(self) -> list[tuple[Exec, dict[str, Any], str | None]]:
        out = []
        for ex in self.trace:
            if not ex.argv:
                continue
            name = posixpath.basename(ex.argv[0])
            for spec in self.know["signature_verifiers"]:
                if spec["program"] != name:
                    continue
                args = ex.argv[1:]
                if spec.get("subcommands") and not (args and args[0] in spec["subcommands"]):
                    continue
                if spec["requires_any"] and not any(a in spec["requires_any"] for a in args):
                    continue
                key = None
                for index, arg in enumerate(args[:-1]):
                    if arg in spec["key_options"]:
                        key = args[index + 1]
                out.append((ex, spec, key))
                break
        return out

    def checksums(self) -> list[tuple[Exec, str]]:
        programs: dict[str, str] = self.know["checksum_programs"]
        out = []
        for ex in self.trace:
            if not ex.argv:
                continue
            name = posixpath.basename(ex.argv[0])
            if name in programs:
                out.append((ex, programs[name]))
            elif (
                name == "openssl"
                and len(ex.argv) > 1
                and ex.argv[1] == "dgst"
                and not any(a in ("-verify", "-prverify") for a in ex.argv)
            ):
                algo = next(
                    (
                        a[1:]
                        for a in ex.argv[2:]
                        if a.startswith("-")
                        and a[1:] in ("md5", "sha1", "sha256", "sha384", "sha512")
                    ),
                    "sha256",
                )
                out.append((ex, algo))
        return out

    def gates(self, check: Exec, write: Exec, strict: bool = True) -> bool:
        """True if ``write`` only happens when ``check`` succeeded. With ``strict`` False any
        polarity counts (a checksum compared inside ``[ "$(sha256sum …)" != … ]``)."""
        if check.seq >= write.seq:
            return False
        cond_ids = self._condition_ids(check)
        if any((g.expect or not strict) and set(g.cond) & cond_ids for g in write.guards):
            return True
        for ex in self.trace:
            if check.seq < ex.seq < write.seq and ex.argv and ex.argv[0] in ("exit", "return"):
                code = ex.argv[1] if len(ex.argv) > 1 else "1"
                if code != "0" and any(
                    (not g.expect or not strict) and set(g.cond) & cond_ids for g in ex.guards
                ):
                    return True
        return check.set_e and not check.in_condition and not check.background and not check.guards

    def _condition_ids(self, check: Exec) -> set[int]:
        """The check itself, plus a test command that compares its output ($(sha256sum …))."""
        ids = {check.seq}
        if check.substitution:
            for ex in self.trace:
                if ex.seq > check.seq and ex.in_condition and ex.argv[:1] == ["["]:
                    ids.add(ex.seq)
                    break
        return ids

    def anti_rollback(self) -> bool:
        words = self.know["version_words"]
        for ex in self.trace:
            text = ex.text.lower()
            if (
                ex.argv[:1] in (["["], ["test"])
                and any(op in ex.argv for op in ("-gt", "-lt", "-ge", "-le", "<", ">"))
                and any(w in text for w in words)
            ):
                return True
            if "compare-versions" in ex.argv or "compare_versions" in text:
                return True
        return False


class _Updates:
    name = "updates"

    def run(self, root: RootFS, ctx: ScanContext) -> list[Finding]:
        model = boot_model(root)
        mechanisms: list[Mechanism] = []
        for path in self._candidate_scripts(root, ctx):
            mechanism = self._analyse_script(root, path)
            if mechanism is not None:
                mechanism.trigger = self._trigger(root, model, path)
                mechanisms.append(mechanism)
        mechanisms += self._frameworks(root, model)
        findings: list[Finding] = []
        for mechanism in mechanisms:
            findings += self._findings(mechanism)
        findings += self._feeds(root)
        return findings

    # ------------------------------------------------------------------ scripts
    @staticmethod
    def _candidate_scripts(root: RootFS, ctx: ScanContext) -> list[str]:
        words = [w.encode() for w in _know()["prefilter"]]
        interpreters = set(boot_knowledge()["shell_interpreters"])
        out = []
        for content in filescan.contents(root, ctx, "checks/updates"):
            if not content.is_text or content.is_documentation:
                continue
            data = content.data
            first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
            names = (
                {posixpath.basename(w) for w in first[2:].split()[:2]}
                if first.startswith("#!")
                else set()
            )
            is_shell = (
                bool(names & interpreters)
                or "rc.common" in first
                or (not first.startswith("#!") and content.entry.path.endswith(".sh"))
            )
            if is_shell and any(w in data for w in words):
                out.append(content.entry.path)
        return out

    def _analyse_script(self, root: RootFS, path: str) -> Mechanism | None:
        shell = Shell(root, follow=False, exercise_functions=True)
        shell.run_file(path, [], invoked_as=path)
        analysis = _Analysis(root, path, shell.trace)
        writes = analysis.flash_writes()
        if not writes:
            return None
        mechanism = Mechanism(script=path)
        write, target = writes[0]
        mechanism.flash_target = target or posixpath.basename(write.argv[0])
        mechanism.flash_line, mechanism.flash_text = write.line, write.text
        mechanism.evidence.append(f"{path}:{write.line}: {write.text}")
        self._transport(analysis, mechanism)
        signatures = analysis.signature_checks()
        gating = [
            (ex, spec, key)
            for ex, spec, key in signatures
            if all(analysis.gates(ex, w) for w, _ in writes)
        ]
        trusted = [
            (ex, spec, key)
            for ex, spec, key in gating
            if key and not key.startswith(("/tmp/", "/var/", "/run/")) and root.exists(key)
        ]
        if trusted:
            ex, spec, key = trusted[0]
            mechanism.verification = "signature"
            mechanism.signature_tool = str(spec["algorithm"])
            mechanism.public_key = key
            mechanism.evidence.append(f"{path}:{ex.line}: {ex.text}")
        else:
            mechanism.signature_not_enforced = bool(signatures)
            for ex, algo in analysis.checksums():
                if all(analysis.gates(ex, w, strict=False) for w, _ in writes):
                    mechanism.verification = algo
                    mechanism.evidence.append(f"{path}:{ex.line}: {ex.text}")
                    break
        mechanism.anti_rollback = analysis.anti_rollback()
        return mechanism

    @staticmethod
    def _transport(analysis: _Analysis, mechanism: Mechanism) -> None:
        tools = _know()["downloaders"]
        for ex in analysis.downloads():
            tool = posixpath.basename(ex.argv[0])
            urls = [m.group(0) for a in ex.argv[1:] for m in [_URL.match(a)] if m]
            if not urls:
                continue
            mechanism.download_tool = mechanism.download_tool or tool
            mechanism.urls += [u for u in urls if u not in mechanism.urls]
            spec = tools[tool]
            if any(
                a in spec["insecure"] or a.split("=", 1)[0] in spec["insecure"] for a in ex.argv[1:]
            ):
                mechanism.tls_verification = False
            for index, arg in enumerate(ex.argv[1:-1], 1):
                if arg in spec["ca"]:
                    mechanism.ca_certificate = ex.argv[index + 1]
            mechanism.evidence.append(f"{analysis.path}:{ex.line}: {ex.text}")
        if mechanism.transport == "https" and mechanism.tls_verification is None:
            mechanism.tls_verification = True

    @staticmethod
    def _trigger(root: RootFS, model: BootModel, path: str) -> str:
        name = posixpath.basename(path)
        for job in model.cron_jobs:
            if path in job.command or re.search(rf"(^|[/\s]){re.escape(name)}(\s|$)", job.command):
                state = "" if job.active else " (cron daemon not started)"
                return f"cron '{job.schedule}' ({job.path}:{job.line}){state}"
        resolved = {v for v in model.scripts.values()}
        if path in resolved:
            return "at boot"
        if any(launch.binary == path or launch.invoked == path for launch in model.launches):
            return "at boot"
        for web in ("/www", "/var/www", "/usr/www", "/usr/lib/cgi-bin"):
            for entry in (e for p, e in root.entries.items() if p.startswith(web + "/")):
                if not entry.is_file or entry.size > 1 << 20:
                    continue
                data = root.read_bytes(entry.path, 1 << 20) or b""
                if name.encode() in data:
                    return f"web UI ({entry.path})"
        return "manual (no boot, cron or web trigger found)"

    # ------------------------------------------------------------------ frameworks
    def _frameworks(self, root: RootFS, model: BootModel) -> list[Mechanism]:
        out: list[Mechanism] = []
        rauc = root.read_text("/etc/rauc/system.conf", 1 << 20)
        if rauc is not None:
            m = re.search(r"^\s*path\s*=\s*(\S+)", rauc.split("[keyring]", 1)[-1], re.M)
            key = m.group(1) if m and "[keyring]" in rauc else None
            key = key if key is None or key.startswith("/") else f"/etc/rauc/{key}"
            mech = Mechanism(
                script="/etc/rauc/system.conf", kind="rauc", trigger="RAUC bundle install"
            )
            if key and root.exists(key):
                mech.verification, mech.signature_tool, mech.public_key = (
                    "signature",
                    "RAUC signed bundle (CMS)",
                    key,
                )
            mech.evidence.append("/etc/rauc/system.conf: [keyring] " + (key or "missing"))
            out.append(mech)
        for launch in model.launches:
            if launch.program == "swupdate":
                mech = Mechanism(
                    script=launch.started_by,
                    kind="swupdate",
                    trigger=f"daemon started by {launch.started_by}",
                )
                key = launch.option("-k", "--key")
                if key is None:
                    cfg = root.read_text("/etc/swupdate.cfg", 1 << 20) or ""
                    m = re.search(r'public-key-file\s*=\s*"([^"]+)"', cfg)
                    key = m.group(1) if m else None
                if key and root.exists(key):
                    mech.verification, mech.signature_tool, mech.public_key = (
                        "signature",
                        "SWUpdate signed sw-description",
                        key,
                    )
                mech.evidence.append(launch.evidence())
                out.append(mech)
        for conf in ("/etc/mender/mender.conf", "/var/lib/mender/mender.conf"):
            text = root.read_text(conf, 1 << 20)
            if text is None:
                continue
            mech = Mechanism(script=conf, kind="mender", trigger="Mender client")
            m = re.search(r'"ArtifactVerifyKey"\s*:\s*"([^"]+)"', text)
            if m and root.exists(m.group(1)):
                mech.verification, mech.signature_tool, mech.public_key = (
                    "signature",
                    "Mender signed artifact",
                    m.group(1),
                )
            url = re.search(r'"ServerURL"\s*:\s*"([^"]+)"', text)
            if url:
                mech.urls.append(url.group(1))
                mech.tls_verification = "https" in url.group(1) and '"SkipVerify": true' not in text
            out.append(mech)
        return out

    @staticmethod
    def _feeds(root: RootFS) -> list[Finding]:
        findings: list[Finding] = []
        shell = Shell(root, follow=False)
        opkg_files = [p for g in _know()["opkg_configs"] for p in shell.glob(g)]
        texts = {p: root.read_text(p, 1 << 20) or "" for p in opkg_files}
        if texts:
            signed = any(
                re.search(r"^\s*option\s+check_signature\b", t, re.M) for t in texts.values()
            )
            for path, text in texts.items():
                for m in re.finditer(r"^\s*src(?:/gz)?\s+(\S+)\s+(\S+)", text, re.M):
                    url = m.group(2)
                    data = {"feed": m.group(1), "url": url, "signed": signed, "manager": "opkg"}
                    if not signed:
                        findings.append(
                            _unsigned_feed(
                                path,
                                title=f"opkg feed {m.group(1)} is installed without signatures",
                                detail=f"{path}: {m.group(0).strip()} (no check_signature)",
                                data=data,
                            )
                        )
                    if url.lower().startswith(("http://", "ftp://")):
                        findings.append(
                            Finding(
                                check="updates.cleartext-package-feed",
                                severity="low",
                                cwe="CWE-319",
                                path=path,
                                title=f"opkg feed {m.group(1)} is fetched over cleartext {url[:5]}",
                                detail=f"{path}: {m.group(0).strip()}",
                                data=data,
                            )
                        )
        for pattern in _know()["apt_sources"]:
            for path in shell.glob(pattern):
                for m in re.finditer(
                    r"^\s*deb\s+\[[^\]]*trusted=yes[^\]]*\]\s+(\S+)",
                    root.read_text(path, 1 << 20) or "",
                    re.M,
                ):
                    findings.append(
                        _unsigned_feed(
                            path,
                            title=f"apt source {m.group(1)} is trusted without signatures",
                            detail=f"{path}: {m.group(0).strip()}",
                            data={"url": m.group(1), "signed": False, "manager": "apt"},
                        )
                    )
        return findings

    # ------------------------------------------------------------------ findings
    @staticmethod
    def _findings(mechanism: Mechanism) -> list[Finding]:
        path = mechanism.script
        finding = partial(
            Finding, path=path, detail=" | ".join(mechanism.evidence[:6]), data=mechanism.data()
        )
        findings = [
            finding(
                check="updates.mechanism",
                severity="info",
                title=f"firmware update by {mechanism.kind} {path}: "
                f"{mechanism.transport or 'local image'}, verification {mechanism.verification}, "
                f"writes {mechanism.flash_target or 'flash'}",
            )
        ]
        if mechanism.verification == "signature":
            findings.append(
                finding(
                    check="updates.signature-verified",
                    severity="info",
                    title=f"update image is signature-checked ({mechanism.signature_tool}, key "
                    f"{mechanism.public_key}) before it is written",
                )
            )
            if not mechanism.anti_rollback:
                findings.append(
                    finding(
                        check="updates.no-rollback-protection",
                        severity="low",
                        cwe="CWE-1328",
                        title="no version check before flashing: an older signed image "
                        "can be installed (downgrade)",
                    )
                )
        elif mechanism.verification == "none":
            note = (
                " (a signature check exists but its result does not stop the flash write)"
                if mechanism.signature_not_enforced
                else ""
            )
            findings.append(
                finding(
                    check="updates.unsigned",
                    severity="high",
                    cwe="CWE-494",
                    title=f"update image is written to {mechanism.flash_target or 'flash'} without "
                    f"any authenticity check{note}",
                    themes=[SUI],
                )
            )
        else:
            findings.append(
                finding(
                    check="updates.checksum-only",
                    severity="high",
                    cwe="CWE-494",
                    title=f"update image is only checked with a {mechanism.verification} checksum, "
                    "not a signature",
                    themes=[SUI],
                )
            )
        transport = mechanism.transport
        if transport in ("http", "ftp", "tftp"):
            findings.append(
                finding(
                    check="updates.cleartext-download",
                    severity="medium" if mechanism.verification == "signature" else "high",
                    cwe="CWE-319",
                    title=f"firmware is downloaded over cleartext {transport} "
                    f"({mechanism.urls[0]})",
                    themes=[COM],
                )
            )
        if mechanism.tls_verification is False:
            findings.append(
                finding(
                    check="updates.tls-verification-disabled",
                    severity="high",
                    cwe="CWE-295",
                    title="firmware download disables TLS certificate verification",
                    themes=[COM],
                )
            )
        return findings


def _unsigned_feed(path: str, title: str, detail: str, data: dict[str, object]) -> Finding:
    """One finding for a package feed installed without signature checks, whatever the manager."""
    return Finding(
        check="updates.unsigned-package-feed",
        severity="medium",
        cwe="CWE-494",
        path=path,
        title=title,
        detail=detail,
        data=data,
    )


FAMILY = _Updates()
