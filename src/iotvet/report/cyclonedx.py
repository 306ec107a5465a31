"""CycloneDX 1.6 SBOM (JSON and XML) through cyclonedx-python-lib.

Structure: the scanned target is ``metadata.component`` (type ``firmware``, with its SHA-256); each
layer of the layer tree is a ``file`` component nested in its parent layer, and each software
component is nested in the layer (root file system) it sits in — CycloneDX's way of saying "is part
of". The same containment is repeated in ``dependencies`` so that tools which only read the
dependency graph still see the structure. Components the report could not place in a known layer
sit at the top level.

Per component: name, version, purl, CPE 2.3, hashes, supplier, licenses, type; the files that prove
it as ``evidence.occurrences`` and the identification methods as ``evidence.identity``; the distro
revision and package name as properties; files with known hashes as nested ``file`` components.
Vulnerabilities on the report become ``vulnerabilities`` with ratings, CWEs, affected refs and,
when triaged, an ``analysis`` (see ``vulnerability_to_cdx``, reused by VEX writers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlsplit

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import HashAlgorithm, HashType, Property, XsUri
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentType
from cyclonedx.model.component_evidence import (
    AnalysisTechnique,
    ComponentEvidence,
    Identity,
    IdentityField,
    Method,
    Occurrence,
)
from cyclonedx.model.contact import OrganizationalContact, OrganizationalEntity
from cyclonedx.model.dependency import Dependency
from cyclonedx.model.impact_analysis import ImpactAnalysisJustification, ImpactAnalysisState
from cyclonedx.model.license import DisjunctiveLicense, License, LicenseExpression
from cyclonedx.model.vulnerability import (
    BomTarget,
    VulnerabilityAdvisory,
    VulnerabilityAnalysis,
    VulnerabilityRating,
    VulnerabilityReference,
    VulnerabilityScoreSource,
    VulnerabilitySeverity,
    VulnerabilitySource,
)
from cyclonedx.model.vulnerability import Vulnerability as CdxVulnerability
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.output.xml import XmlV1Dot6
from packageurl import PackageURL

from ..model import Cvss, Report, Vulnerability
from .interface import OutputFormat
from .sbom_facts import (
    ComponentFact,
    FileFact,
    LayerFact,
    SbomFacts,
    collect,
    component_kind,
    split_supplier,
    technique_for,
    vocabulary,
)

_HASH_ALGORITHMS: dict[str, HashAlgorithm] = {
    "md5": HashAlgorithm.MD5,
    "sha1": HashAlgorithm.SHA_1,
    "sha256": HashAlgorithm.SHA_256,
    "sha384": HashAlgorithm.SHA_384,
    "sha512": HashAlgorithm.SHA_512,
    "sha3-256": HashAlgorithm.SHA3_256,
    "sha3-384": HashAlgorithm.SHA3_384,
    "sha3-512": HashAlgorithm.SHA3_512,
}
_CVSS_METHODS: dict[str, VulnerabilityScoreSource] = {
    "2": VulnerabilityScoreSource.CVSS_V2,
    "2.0": VulnerabilityScoreSource.CVSS_V2,
    "3": VulnerabilityScoreSource.CVSS_V3,
    "3.0": VulnerabilityScoreSource.CVSS_V3,
    "3.1": VulnerabilityScoreSource.CVSS_V3_1,
    "4": VulnerabilityScoreSource.CVSS_V4,
    "4.0": VulnerabilityScoreSource.CVSS_V4,
}
_CWE = re.compile(r"^(?:CWE-)?(\d+)$", re.IGNORECASE)
_TARGET_REF = "target"


def _prop(name: str, value: object) -> Property:
    return Property(name=f"iotvet:{name}", value=str(value))


def _hashes(hashes: dict[str, str]) -> list[HashType]:
    return [HashType(alg=_HASH_ALGORITHMS[a], content=d) for a, d in sorted(hashes.items())]


def _license(text: str) -> License:
    try:
        return LicenseFactory().make_from_string(text)
    except Exception:  # license-expression fails on some malformed input: keep the text
        return DisjunctiveLicense(name=text)


def _licenses(texts: list[str]) -> list[License]:
    """CycloneDX allows either license entries or ONE expression per component, never a mix."""
    made = [_license(t.strip()) for t in texts if t.strip()]
    if len(made) <= 1 or not any(isinstance(m, LicenseExpression) for m in made):
        return made
    if all(isinstance(m, LicenseExpression) or getattr(m, "id", None) for m in made):
        parts = [m.value if isinstance(m, LicenseExpression) else str(m.id) for m in made]
        return [LicenseExpression(" AND ".join(f"({p})" if " " in p else p for p in parts))]
    return [DisjunctiveLicense(name=t.strip()) for t in texts if t.strip()]


def _supplier(text: str | None) -> OrganizationalEntity | None:
    parsed = split_supplier(text)
    if parsed is None:
        return None
    name, email = parsed
    contacts = [OrganizationalContact(email=email)] if email else None
    return OrganizationalEntity(name=name, contacts=contacts)


def _evidence(fact: ComponentFact) -> ComponentEvidence | None:
    methods: list[Method] = []
    for file in fact.files:
        for ev in file.evidence:
            tech = technique_for(ev)
            value = f"{ev.path}: {ev.detail}" if ev.detail else ev.path
            methods.append(
                Method(
                    technique=AnalysisTechnique(tech.technique),
                    confidence=Decimal(str(tech.confidence)),
                    value=value,
                )
            )
    identity = []
    if methods:
        identity.append(
            Identity(
                field=IdentityField.PURL,
                confidence=max(m.confidence for m in methods),
                concluded_value=fact.purl,
                methods=methods,
            )
        )
    occurrences = [
        Occurrence(
            location=file.path,
            additional_context="; ".join(
                f"{ev.method}: {ev.detail}" if ev.detail else ev.method for ev in file.evidence
            )
            or None,
        )
        for file in fact.files
    ]
    if not identity and not occurrences:
        return None
    return ComponentEvidence(identity=identity, occurrences=occurrences)


def _file_component(owner: ComponentFact, file: FileFact) -> CdxComponent:
    return CdxComponent(
        type=ComponentType.FILE,
        name=file.path,
        bom_ref=f"{owner.ref}|file:{file.path}",
        hashes=_hashes(file.hashes),
    )


def _component(fact: ComponentFact) -> CdxComponent:
    c = fact.component
    props = [_prop("layer", c.layer)] if c.layer and fact.layer_ref is None else []
    if c.revision:
        props.append(_prop("revision", c.revision))
    if c.package:
        props.append(_prop("package", c.package))
    if fact.purl_derived:
        props.append(_prop("purl-derived", "true"))
    props += [_prop(f"invalid-{key}", value) for key, value in fact.invalid_identifiers.items()]
    kind = component_kind(c.type, "cyclonedx")
    return CdxComponent(
        type=ComponentType(kind) if kind else ComponentType.LIBRARY,
        name=fact.name,
        version=c.version or None,
        bom_ref=fact.ref,
        purl=PackageURL.from_string(fact.purl),
        cpe=fact.cpe,
        hashes=_hashes(fact.hashes),
        supplier=_supplier(c.supplier),
        licenses=_licenses(c.licenses),
        properties=props,
        evidence=_evidence(fact),
        components=[_file_component(fact, f) for f in _files_to_list(fact)],
    )


def _files_to_list(fact: ComponentFact) -> list[FileFact]:
    """Hashed files as nested ``file`` components, unless the component is that one file."""
    hashed = [f for f in fact.files if f.hashes]
    if len(fact.files) == 1 and hashed and hashed[0].hashes == fact.hashes:
        return []
    return hashed


def _layer_component(fact: LayerFact) -> CdxComponent:
    layer = fact.layer
    props = [_prop("layer:format", layer.format), _prop("layer:offset", layer.offset)]
    props.append(_prop("layer:size", layer.size))
    if layer.role:
        props.append(_prop("layer:role", layer.role))
    if layer.entropy is not None:
        props.append(_prop("layer:entropy", f"{layer.entropy:.3f}"))
    sha256 = (layer.model_extra or {}).get("sha256")
    hashes = _hashes({"sha256": sha256}) if isinstance(sha256, str) and len(sha256) == 64 else []
    return CdxComponent(
        type=ComponentType.FILE,
        name=layer.path,
        bom_ref=fact.ref,
        hashes=hashes,
        properties=props,
        description=f"{layer.format} layer" + (f" ({layer.role})" if layer.role else ""),
    )


def _target_component(facts: SbomFacts) -> CdxComponent:
    report = facts.report
    target = report.target
    hashes = _hashes({"sha256": target.sha256}) if target.sha256 else []
    return CdxComponent(
        type=ComponentType.FILE if target.kind == "binary" else ComponentType.FIRMWARE,
        name=facts.target_name,
        bom_ref=_TARGET_REF,
        hashes=hashes,
        properties=[
            _prop("target:path", target.path),
            _prop("target:size", target.size),
            _prop("target:kind", target.kind),
            *(_prop(f"os:{key}", value) for key, value in report.os.items()),
        ],
    )


def _severity(text: str | None) -> VulnerabilitySeverity | None:
    if not text:
        return None
    try:
        return VulnerabilitySeverity(text.strip().lower())
    except ValueError:
        return VulnerabilitySeverity.UNKNOWN


def _qualitative(cvss: Cvss) -> str | None:
    """Severity from the score: CVSS v3.x/v4.0 qualitative rating scale (FIRST, CVSS v3.1
    specification section 5 and v4.0 section 6); v2 had none, NVD's v2 bands are used."""
    bands: tuple[tuple[float, str], ...]
    if cvss.version.startswith("2"):
        bands = ((7.0, "high"), (4.0, "medium"), (0.0, "low"))
    else:
        bands = ((9.0, "critical"), (7.0, "high"), (4.0, "medium"), (0.1, "low"), (0.0, "none"))
    return next((name for floor, name in bands if cvss.score >= floor), None)


def _rating(cvss: Cvss) -> VulnerabilityRating:
    method = _CVSS_METHODS.get(cvss.version.strip(), VulnerabilityScoreSource.OTHER)
    return VulnerabilityRating(
        score=Decimal(str(cvss.score)),
        severity=_severity(cvss.severity or _qualitative(cvss)),
        method=method,
        vector=cvss.vector or None,
    )


def _ratings(v: Vulnerability) -> list[VulnerabilityRating]:
    scores = list(v.cvss_all)
    if v.cvss is not None and v.cvss not in scores:
        scores.insert(0, v.cvss)
    ratings = [_rating(c) for c in scores]
    if not ratings and v.severity:
        ratings.append(VulnerabilityRating(severity=_severity(v.severity)))
    return ratings


def _cwes(texts: Iterable[str]) -> list[int]:
    return sorted({int(m.group(1)) for t in texts if (m := _CWE.match(t.strip()))})


def _datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def _url(text: str) -> XsUri | None:
    """An absolute http(s)/ftp URL as XsUri; anything else (free text, bare ids) is not a URL."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https", "ftp") or not parts.netloc:
        return None
    return XsUri(text.strip())


def _reference(alias: str) -> VulnerabilityReference:
    """An alias (``GHSA-…``, ``CVE-…``) with its id scheme as the source name."""
    scheme = alias.split("-", 1)[0] if "-" in alias else "alias"
    url = _url(f"https://www.cve.org/CVERecord?id={alias}") if scheme == "CVE" else None
    return VulnerabilityReference(id=alias, source=VulnerabilitySource(name=scheme, url=url))


def _analysis(v: Vulnerability) -> VulnerabilityAnalysis | None:
    vocab = vocabulary()
    state = vocab["vulnerability_states"].get(v.status)
    if state is None:
        return None
    justification = None
    if v.justification:
        key = v.justification.strip().lower().replace("-", "_")
        mapped = vocab["vex_justifications"].get(key)
        justification = ImpactAnalysisJustification(mapped) if mapped else None
    detail = v.reason
    if v.justification and justification is None:
        detail = f"{v.justification}: {v.reason}" if v.reason else v.justification
    return VulnerabilityAnalysis(
        state=ImpactAnalysisState(state), justification=justification, detail=detail
    )


def vulnerability_to_cdx(
    v: Vulnerability, affects: Iterable[str], bom_ref: str | None = None
) -> CdxVulnerability:
    """One report vulnerability as a CycloneDX vulnerability affecting the given bom-refs."""
    props = []
    if v.kev:
        props.append(_prop("kev", "true"))
        props += [
            _prop(f"kev:{name}", value)
            for name, value in (
                ("date-added", v.kev_date_added),
                ("due-date", v.kev_due_date),
                ("ransomware", v.kev_ransomware),
            )
            if value
        ]
    if v.epss is not None:
        props.append(_prop("epss", v.epss))
    if v.epss_percentile is not None:
        props.append(_prop("epss:percentile", v.epss_percentile))
    props += [_prop("source", s) for s in v.sources]
    refs = list(affects)
    if not refs:
        props.append(_prop("component", v.component))
    advisories = [VulnerabilityAdvisory(url=u) for r in v.references if (u := _url(r))]
    fixed = ", ".join(v.fixed_in)
    return CdxVulnerability(
        bom_ref=bom_ref,
        id=v.id,
        source=VulnerabilitySource(name=v.sources[0]) if v.sources else None,
        references=[_reference(a) for a in v.aliases if a and a != v.id],
        ratings=_ratings(v),
        cwes=_cwes(v.cwes),
        description=v.description,
        recommendation=f"Upgrade {v.component} to a fixed version: {fixed}" if fixed else None,
        advisories=advisories,
        published=_datetime(v.published),
        analysis=_analysis(v),
        affects=[BomTarget(ref=r) for r in refs],
        properties=props,
    )


def build_bom(report: Report) -> Bom:
    """The report as a CycloneDX ``Bom`` object (serialise with ``JsonV1Dot6``/``XmlV1Dot6``)."""
    facts = collect(report)
    report = facts.report  # with every string made writable
    target = _target_component(facts)
    bom = Bom()
    bom.metadata.component = target
    tool = CdxComponent(
        type=ComponentType.APPLICATION, name=report.tool.name, version=report.tool.version
    )
    bom.metadata.tools.components.add(tool)

    made = {fact.ref: _component(fact) for fact in facts.components}
    layers = {fact.ref: _layer_component(fact) for fact in facts.layers}
    children: dict[str | None, list[CdxComponent]] = {}
    for layer_fact in facts.layers:
        children.setdefault(layer_fact.parent_ref, []).append(layers[layer_fact.ref])
    for comp_fact in facts.components:
        children.setdefault(comp_fact.layer_ref, []).append(made[comp_fact.ref])
    for ref, layer in layers.items():
        layer.components = children.get(ref, [])
    bom.components = children.get(None, [])
    # The containment again as a dependency graph. Built directly: Bom.register_dependency
    # searches the graph linearly per call, quadratic in the number of components.
    parents = [(target, bom.components), *((layers[ref], children.get(ref, [])) for ref in layers)]
    bom.dependencies = [
        *(
            Dependency(ref=p.bom_ref, dependencies=[Dependency(ref=c.bom_ref) for c in cs])
            for p, cs in parents
        ),
        *(Dependency(ref=c.bom_ref) for c in made.values()),
    ]

    for n, v in enumerate(report.vulnerabilities, 1):
        affects = facts.component_refs_for(v)
        bom.vulnerabilities.add(vulnerability_to_cdx(v, affects, bom_ref=f"vuln-{n}:{v.id}"))
    return bom


def render_json(report: Report) -> str:
    return JsonV1Dot6(build_bom(report)).output_as_string(indent=2) + "\n"


def render_xml(report: Report) -> str:
    return XmlV1Dot6(build_bom(report)).output_as_string(indent=2) + "\n"


FORMATS = (
    OutputFormat(
        name="cyclonedx-json",
        suffix=".cdx.json",
        render=render_json,
        description="CycloneDX 1.6 SBOM (JSON)",
        media_type="application/vnd.cyclonedx+json",
    ),
    OutputFormat(
        name="cyclonedx-xml",
        suffix=".cdx.xml",
        render=render_xml,
        description="CycloneDX 1.6 SBOM (XML)",
        media_type="application/vnd.cyclonedx+xml",
    ),
)
