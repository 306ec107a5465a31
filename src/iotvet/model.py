"""The shared vocabulary of iotvet: every stage speaks in these types.

The classes mirror the JSON report contract of DESIGN.md (``iotvet/report/1``). They are pydantic
models so that a report can be written and read back without hand-written (de)serialisers, and so
that a report produced by one iotvet version can be validated by another.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

REPORT_SCHEMA = "iotvet/report/1"

Severity = Literal["critical", "high", "medium", "low", "info"]
SEVERITY_ORDER: dict[str, int] = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}

ThemeResult = Literal["pass", "fail", "inconclusive"]
VerdictResult = Literal["pass", "fail", "not-applicable", "needs-declaration", "inconclusive"]

#: The baseline themes of DESIGN.md. Findings and verdicts use exactly these ids.
THEMES: tuple[str, ...] = (
    "no-universal-default-password",
    "secure-communication",
    "secure-storage-of-secrets",
    "software-update-integrity",
    "logging",
    "minimised-attack-surface",
    "known-vulnerabilities",
    "binary-hardening",
    "vulnerability-disclosure",
    "support-period",
    "data-deletion",
    "sbom",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Tool(_Model):
    name: str = "iotvet"
    version: str


class Target(_Model):
    path: str
    sha256: str | None = None
    size: int = 0
    kind: Literal["image", "directory", "binary"] = "image"


class Layer(_Model):
    """One unpacked (or unrecognised) region of the input, with what it contains."""

    path: str
    format: str
    offset: int = 0
    size: int = 0
    entropy: float | None = None
    extracted_to: str | None = None
    role: str | None = None  # "rootfs", "kernel", "initramfs", "unknown", "encrypted" …
    children: list[Layer] = Field(default_factory=list)


class Evidence(_Model):
    path: str
    method: str  # "package-db", "binary-signature", "elf-soname", "os-release", "kernel-banner" …
    detail: str | None = None


class Component(_Model):
    name: str
    version: str | None = None
    revision: str | None = None  # distribution revision kept apart from the upstream version
    purl: str | None = None
    cpe: str | None = None
    supplier: str | None = None
    type: str = "library"  # cyclonedx-ish: application, library, operating-system, firmware
    licenses: list[str] = Field(default_factory=list)
    hashes: dict[str, str] = Field(default_factory=dict)
    files: list[str] = Field(default_factory=list)
    file_hashes: dict[str, dict[str, str]] = Field(default_factory=dict)  # path → {sha1, sha256}
    evidence: list[Evidence] = Field(default_factory=list)
    layer: str | None = None  # path of the layer (root file system) the component sits in
    package: str | None = None  # the distribution package name, when one is known
    package_version: str | None = None  # the package's full native version (epoch, revision)
    source_package: str | None = None  # distribution source package (for distro fix data)

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}" if self.version else self.name


class Finding(_Model):
    id: str = ""
    check: str
    severity: Severity
    cwe: str | None = None
    path: str | None = None
    title: str
    detail: str = ""
    themes: list[str] = Field(default_factory=list)
    data: dict[str, object] = Field(default_factory=dict)  # machine-readable facts of the finding


class Cvss(_Model):
    version: str
    score: float
    vector: str
    severity: str | None = None


class Vulnerability(_Model):
    id: str
    aliases: list[str] = Field(default_factory=list)
    component: str
    severity: str | None = None
    cvss: Cvss | None = None
    cvss_all: list[Cvss] = Field(default_factory=list)
    cwes: list[str] = Field(default_factory=list)
    kev: bool = False
    kev_date_added: str | None = None
    kev_due_date: str | None = None
    kev_ransomware: str | None = None
    epss: float | None = None
    epss_percentile: float | None = None
    status: Literal["affected", "not_affected", "fixed", "under_investigation", "inconclusive"] = (
        "affected"
    )
    justification: str | None = None
    reason: str | None = None
    fixed_in: list[str] = Field(default_factory=list)
    published: str | None = None
    description: str | None = None
    references: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)


class ThemeVerdict(_Model):
    theme: str
    result: ThemeResult
    findings: list[str] = Field(default_factory=list)
    reason: str = ""


class Verdict(_Model):
    regime: str
    requirement: str
    result: VerdictResult
    evidence: list[str] = Field(default_factory=list)
    reason: str = ""


class Skipped(_Model):
    path: str
    reason: str
    stage: str | None = None


class Stats(_Model):
    duration_s: float = 0.0
    stages: dict[str, float] = Field(default_factory=dict)
    bytes_unpacked: int = 0
    files: int = 0
    peak_rss_mb: float | None = None
    workdir: str | None = None  # set when the scan was asked to keep its work directory
    sandboxed: bool | None = None  # extraction ran in unblob's sandbox (Landlock)


class Report(_Model):
    schema_: str = Field(default=REPORT_SCHEMA, alias="schema")
    tool: Tool
    target: Target
    scanned_at: str | None = None  # ISO 8601 UTC time the scan started
    layers: list[Layer] = Field(default_factory=list)
    rootfs: list[dict[str, object]] = Field(default_factory=list)
    os: dict[str, str] = Field(default_factory=dict)
    components: list[Component] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    vulnerabilities: list[Vulnerability] = Field(default_factory=list)
    themes: list[ThemeVerdict] = Field(default_factory=list)
    conformity: list[Verdict] = Field(default_factory=list)
    skipped: list[Skipped] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # how the scan ran (sandbox, fallbacks used)
    data_sources: dict[str, object] = Field(default_factory=dict)  # feed freshness used for vulns
    stats: Stats = Field(default_factory=Stats)

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(by_alias=True, indent=indent, exclude_none=False)
