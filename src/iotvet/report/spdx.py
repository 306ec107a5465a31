"""SPDX 2.3 SBOM (JSON) through spdx-tools.

Structure: the document DESCRIBES one package for the scanned target (purpose FIRMWARE, with its
SHA-256); the target CONTAINS a package per layer, each layer CONTAINS its child layers and the
component packages found in it (components the report could not place hang off the target).

Per component package (SPDX 2.3 chapter 7): SPDXID, name, version, supplier (or NOASSERTION),
downloadLocation NOASSERTION (a firmware image does not say where its parts came from), checksums,
licenseDeclared from the report (non-SPDX licence texts become LicenseRef-… with the text kept in
hasExtractedLicensingInfos), licenseConcluded NOASSERTION (iotvet does not conclude licences),
externalRefs PACKAGE-MANAGER purl and SECURITY cpe23Type, SECURITY advisory refs for the
vulnerabilities on the report (SPDX 2.3 Annex K), primaryPackagePurpose. The files that prove a
component become File elements (package CONTAINS file) when their SHA-1 is known — SPDX 2.3 makes
SHA-1 mandatory for files — and FilesAnalyzed is true exactly for those packages; the other proving
files and the identification methods are recorded in sourceInfo.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from spdx_tools.common.spdx_licensing import spdx_licensing
from spdx_tools.spdx.model import (
    Actor,
    ActorType,
    Checksum,
    ChecksumAlgorithm,
    CreationInfo,
    Document,
    ExternalPackageRef,
    ExternalPackageRefCategory,
    ExtractedLicensingInfo,
    File,
    Package,
    PackagePurpose,
    PackageVerificationCode,
    Relationship,
    RelationshipType,
    SpdxNoAssertion,
)
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

from ..model import Report, Vulnerability
from .interface import OutputFormat
from .sbom_facts import (
    ComponentFact,
    FileFact,
    LayerFact,
    SbomFacts,
    UniqueRefs,
    collect,
    component_kind,
    split_supplier,
)

_CHECKSUMS: dict[str, ChecksumAlgorithm] = {
    "md5": ChecksumAlgorithm.MD5,
    "sha1": ChecksumAlgorithm.SHA1,
    "sha256": ChecksumAlgorithm.SHA256,
    "sha384": ChecksumAlgorithm.SHA384,
    "sha512": ChecksumAlgorithm.SHA512,
    "sha3-256": ChecksumAlgorithm.SHA3_256,
    "sha3-384": ChecksumAlgorithm.SHA3_384,
    "sha3-512": ChecksumAlgorithm.SHA3_512,
}
_NOT_ID = re.compile(r"[^A-Za-z0-9.-]+")
_ACTOR_UNSAFE = str.maketrans("()", "[]")
_DOCUMENT_ID = "SPDXRef-DOCUMENT"
_PACKAGE_MANAGER = ExternalPackageRefCategory.PACKAGE_MANAGER
_SECURITY = ExternalPackageRefCategory.SECURITY


def _slug(text: str, limit: int = 80) -> str:
    """``text`` reduced to the characters SPDX ids allow (``bibliothèque`` → ``bibliotheque``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"-{2,}", "-", _NOT_ID.sub("-", ascii_text)).strip("-.")[:limit].strip("-.")


class _Ids:
    """Document-unique SPDX ids ``SPDXRef-<kind>-<readable part>`` (ASCII letters, digits, . -)."""

    def __init__(self) -> None:
        self._refs = UniqueRefs(separator="-")

    def take(self, kind: str, text: str) -> str:
        return self._refs.take(f"SPDXRef-{kind}-{_slug(text) or 'x'}")


@dataclass
class _Licences:
    """Licence texts → SPDX expressions; texts that are no SPDX expression become LicenseRefs."""

    refs: dict[str, ExtractedLicensingInfo] = field(default_factory=dict)
    _declared: dict[tuple[str, ...], object] = field(default_factory=dict)

    def _part(self, text: str) -> str:
        try:
            info = spdx_licensing.validate(text)
        except Exception:  # license-expression itself fails on some malformed input
            info = None
        if info is not None and not info.errors and not info.invalid_symbols:
            return str(info.normalized_expression)
        ref = self.refs.get(text)
        if ref is None:
            slug = _slug(text, 60) or "unnamed"
            license_id = f"LicenseRef-{slug}"
            if any(r.license_id == license_id for r in self.refs.values()):
                license_id = f"{license_id}-{len(self.refs) + 1}"
            ref = ExtractedLicensingInfo(
                license_id=license_id,
                extracted_text=text,
                license_name=text,
                comment="licence as reported by the inventory stage; not an SPDX expression",
            )
            self.refs[text] = ref
        return str(ref.license_id)

    def declared(self, texts: list[str]) -> object:
        """licenseDeclared for these texts (parsed once per distinct list: parsing is slow)."""
        key = tuple(t.strip() for t in texts if t.strip())
        if key not in self._declared:
            parts = [self._part(t) for t in key]
            joined = " AND ".join(f"({p})" if " " in p else p for p in parts)
            self._declared[key] = spdx_licensing.parse(joined) if parts else SpdxNoAssertion()
        return self._declared[key]


def _checksums(hashes: dict[str, str]) -> list[Checksum]:
    return [Checksum(_CHECKSUMS[a], d) for a, d in sorted(hashes.items())]


def _actor_text(text: str) -> str:
    """SPDX writes an actor as ``Organization: NAME (EMAIL)`` on one line: a name may hold
    neither a line break nor parentheses, or readers take part of it for the e-mail."""
    return " ".join(text.translate(_ACTOR_UNSAFE).split())


def _supplier(text: str | None) -> Actor | SpdxNoAssertion:
    parsed = split_supplier(text)
    if parsed is None:
        return SpdxNoAssertion()
    name, email = _actor_text(parsed[0]), _actor_text(parsed[1] or "")
    if not name:
        return SpdxNoAssertion()
    return Actor(ActorType.ORGANIZATION, name, email or None)


def _purpose(component_type: str) -> PackagePurpose:
    kind = component_kind(component_type, "spdx")
    return PackagePurpose[kind] if kind else PackagePurpose.OTHER


def _advisory(v: Vulnerability) -> ExternalPackageRef | None:
    """SPDX 2.3 Annex K: a SECURITY ``advisory`` ref per vulnerability, to an advisory URL."""
    if v.id.upper().startswith("CVE-"):
        url = f"https://nvd.nist.gov/vuln/detail/{v.id.upper()}"
    else:
        url = next((r for r in v.references if r.startswith(("https://", "http://"))), "")
    if not url or " " in url:
        return None
    facts = [f"{v.id}: {v.status}"]
    if v.justification:
        facts.append(f"justification {v.justification}")
    if v.severity:
        facts.append(f"severity {v.severity}")
    if v.kev:
        facts.append("in CISA KEV")
    return ExternalPackageRef(_SECURITY, "advisory", url, comment="; ".join(facts))


def _source_info(fact: ComponentFact, listed: set[str]) -> str | None:
    lines = []
    for file in fact.files:
        for ev in file.evidence:
            detail = f" ({ev.detail})" if ev.detail else ""
            lines.append(f"identified by {ev.method} in {ev.path}{detail}")
    unlisted = [f.path for f in fact.files if f.path not in listed]
    if unlisted:
        lines.append("files: " + ", ".join(unlisted))
    return "; ".join(lines) or None


def _comment(fact: ComponentFact) -> str | None:
    c = fact.component
    notes = []
    if c.package:
        notes.append(f"distribution package {c.package}")
    if c.revision:
        notes.append(f"distribution revision {c.revision}")
    if c.layer and fact.layer_ref is None:
        notes.append(f"found in layer {c.layer}")
    if fact.purl_derived:
        notes.append("purl derived from name and version")
    notes += [f"invalid {key} in report: {bad}" for key, bad in fact.invalid_identifiers.items()]
    return "; ".join(notes) or None


class _Builder:
    def __init__(self, report: Report) -> None:
        self.facts: SbomFacts = collect(report)
        self.report = self.facts.report  # with every string made writable
        self.ids = _Ids()
        self.licences = _Licences()
        self.packages: list[Package] = []
        self.files: dict[tuple[str | None, str], File] = {}
        self.relationships: list[Relationship] = []
        self.spdx_ids: dict[str, str] = {}  # fact ref → SPDX id

    def contains(self, parent: str, child: str) -> None:
        self.relationships.append(Relationship(parent, RelationshipType.CONTAINS, child))

    def target(self) -> str:
        target = self.report.target
        spdx_id = self.ids.take("Target", self.facts.target_name)
        purpose = PackagePurpose.FILE if target.kind == "binary" else PackagePurpose.FIRMWARE
        self.packages.append(
            Package(
                spdx_id=spdx_id,
                name=self.facts.target_name,
                download_location=SpdxNoAssertion(),
                file_name=target.path,
                files_analyzed=False,
                checksums=_checksums({"sha256": target.sha256}) if target.sha256 else [],
                primary_package_purpose=purpose,
                license_concluded=SpdxNoAssertion(),
                license_declared=SpdxNoAssertion(),
                copyright_text=SpdxNoAssertion(),
                comment="; ".join(
                    [f"scanned {target.kind}, {target.size} bytes"]
                    + [f"os {key}={value}" for key, value in self.report.os.items()]
                ),
            )
        )
        self.relationships.append(Relationship(_DOCUMENT_ID, RelationshipType.DESCRIBES, spdx_id))
        return spdx_id

    def layer(self, fact: LayerFact, parent: str) -> None:
        layer = fact.layer
        spdx_id = self.ids.take("Layer", layer.path)
        self.spdx_ids[fact.ref] = spdx_id
        facts = [f"{layer.format} at offset {layer.offset}, {layer.size} bytes"]
        if layer.role:
            facts.append(f"role {layer.role}")
        if layer.entropy is not None:
            facts.append(f"entropy {layer.entropy:.3f}")
        self.packages.append(
            Package(
                spdx_id=spdx_id,
                name=layer.path,
                download_location=SpdxNoAssertion(),
                files_analyzed=False,
                primary_package_purpose=PackagePurpose.ARCHIVE,
                license_concluded=SpdxNoAssertion(),
                license_declared=SpdxNoAssertion(),
                copyright_text=SpdxNoAssertion(),
                comment="; ".join(facts),
            )
        )
        self.contains(parent, spdx_id)

    def file(self, fact: ComponentFact, file: FileFact) -> str:
        key = (fact.layer_ref, file.path)
        made = self.files.get(key)
        if made is None:
            methods = sorted({ev.method for ev in file.evidence})
            made = File(
                name="." + file.path if file.path.startswith("/") else "./" + file.path,
                spdx_id=self.ids.take("File", file.path),
                checksums=_checksums(file.hashes),
                comment=("evidence: " + ", ".join(methods)) if methods else None,
            )
            self.files[key] = made
        return made.spdx_id

    def component(self, fact: ComponentFact, parent: str, vulns: list[Vulnerability]) -> None:
        c = fact.component
        spdx_id = self.ids.take("Package", f"{fact.name}-{c.version or ''}")
        proven = [f for f in fact.files if "sha1" in f.hashes]
        refs = [ExternalPackageRef(_PACKAGE_MANAGER, "purl", fact.purl)]
        if fact.cpe:
            refs.append(ExternalPackageRef(_SECURITY, "cpe23Type", fact.cpe))
        refs += [ref for v in vulns if (ref := _advisory(v)) is not None]
        code = None
        if proven and len(proven) == len(fact.files):
            # SPDX 2.3 section 7.9: SHA-1 over the sorted, concatenated SHA-1s of the files.
            joined = "".join(sorted(f.hashes["sha1"] for f in proven))
            code = PackageVerificationCode(hashlib.sha1(joined.encode()).hexdigest())
        self.packages.append(
            Package(
                spdx_id=spdx_id,
                name=fact.name,
                download_location=SpdxNoAssertion(),
                version=c.version or None,
                supplier=_supplier(c.supplier),
                files_analyzed=bool(proven),
                verification_code=code,
                checksums=_checksums(fact.hashes),
                source_info=_source_info(fact, {f.path for f in proven}),
                license_concluded=SpdxNoAssertion(),
                license_declared=self.licences.declared(c.licenses),  # type: ignore[arg-type]
                copyright_text=SpdxNoAssertion(),
                comment=_comment(fact),
                external_references=refs,
                primary_package_purpose=_purpose(c.type),
            )
        )
        self.contains(parent, spdx_id)
        for file in proven:
            self.contains(spdx_id, self.file(fact, file))

    def document(self) -> Document:
        target = self.target()
        for layer_fact in self.facts.layers:
            parent = self.spdx_ids.get(layer_fact.parent_ref or "", target)
            self.layer(layer_fact, parent)
        vulns_by_ref: dict[str, list[Vulnerability]] = {}
        for v in self.report.vulnerabilities:
            for ref in self.facts.component_refs_for(v):
                vulns_by_ref.setdefault(ref, []).append(v)
        for fact in self.facts.components:
            parent = self.spdx_ids.get(fact.layer_ref or "", target)
            self.component(fact, parent, vulns_by_ref.get(fact.ref, []))
        slug = _slug(self.facts.target_name) or "target"
        tool = self.report.tool
        creation = CreationInfo(
            spdx_version="SPDX-2.3",
            spdx_id=_DOCUMENT_ID,
            name=f"{tool.name} SBOM of {self.facts.target_name}",
            document_namespace=f"https://spdx.org/spdxdocs/{tool.name}-{slug}-{uuid.uuid4()}",
            creators=[Actor(ActorType.TOOL, _actor_text(f"{tool.name}-{tool.version}"))],
            created=datetime.now(UTC).replace(microsecond=0, tzinfo=None),
        )
        return Document(
            creation_info=creation,
            packages=self.packages,
            files=list(self.files.values()),
            relationships=self.relationships,
            extracted_licensing_info=list(self.licences.refs.values()),
        )


def build_document(report: Report) -> Document:
    """The report as an spdx-tools ``Document`` (SPDX 2.3)."""
    return _Builder(report).document()


def render_json(report: Report) -> str:
    out = io.StringIO()
    # validate=False: the writer's built-in validation costs more than building the document;
    # the tests validate every shape of report with validate_full_spdx_document instead.
    # drop_duplicates=False: the builder makes no duplicates, and the check deep-copies everything.
    write_document_to_stream(build_document(report), out, validate=False, drop_duplicates=False)
    return out.getvalue() + "\n"


FORMAT = OutputFormat(
    name="spdx-json",
    suffix=".spdx.json",
    render=render_json,
    description="SPDX 2.3 SBOM (JSON)",
    media_type="application/spdx+json",
)
