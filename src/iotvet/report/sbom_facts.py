"""What both SBOM writers (CycloneDX, SPDX) need from a report, worked out once.

A report is written by many stages and may hold anything a scan of a strange image produces:
components without versions, duplicate names, names with spaces or non-ASCII characters, purls
that do not parse, CPEs that are not CPE 2.3, hashes in more than one spelling. This module turns
that into checked facts — a valid purl for every component (the given one, or a ``pkg:generic``
one built from name and version), a CPE only when it is well-formed, normalised hashes per
component and per file, the layer each component sits in — so the writers only translate.

The vocabularies (evidence methods, VEX justifications, component types) live in
``sbom_vocabulary.yaml`` next to this module, with their sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from packageurl import PackageURL
from spdx_tools.spdx.validation.external_package_ref_validator import CPE23TYPE_REGEX

from ..datafiles import package_file, read_yaml
from ..model import Component, Evidence, Layer, Report, Vulnerability
from .sanitize import safe_report
from .summary import target_name

_CPE23 = re.compile(CPE23TYPE_REGEX)

#: Hex digest length of every hash algorithm the writers accept, keyed by normalised name.
HASH_LENGTHS: dict[str, int] = {
    "md5": 32,
    "sha1": 40,
    "sha256": 64,
    "sha384": 96,
    "sha512": 128,
    "sha3-256": 64,
    "sha3-384": 96,
    "sha3-512": 128,
}
_HEX = re.compile(r"^[0-9a-fA-F]+$")


@cache
def vocabulary() -> dict[str, Any]:
    """The mapping tables of ``sbom_vocabulary.yaml``."""
    data: dict[str, Any] = read_yaml(package_file(__package__, "sbom_vocabulary.yaml"))
    return data


@dataclass(frozen=True)
class Technique:
    technique: str
    confidence: float


def technique_for(evidence: Evidence) -> Technique:
    """The CycloneDX analysis technique (and confidence) behind an evidence method."""
    vocab = vocabulary()
    entry = vocab["evidence_methods"].get(evidence.method)
    if entry is None:
        entry = next(
            (
                value
                for prefix, value in vocab["evidence_method_prefixes"].items()
                if evidence.method.startswith(prefix)
            ),
            vocab["default_evidence_method"],
        )
    confidence = float(entry["confidence"])
    own = (evidence.model_extra or {}).get("confidence")
    if isinstance(own, int | float) and 0 <= own <= 1:
        confidence = float(own)
    return Technique(str(entry["technique"]), confidence)


def component_kind(component_type: str, standard: str) -> str | None:
    """``component_type`` in the vocabulary of ``standard`` ("cyclonedx" or "spdx")."""
    entry = vocabulary()["component_types"].get(component_type.strip().lower())
    return None if entry is None else str(entry[standard])


def normalise_algorithm(name: str) -> str | None:
    """``"SHA-256"``, ``"sha_256"``, ``"SHA256"`` → ``"sha256"``; unknown algorithms → None."""
    key = name.strip().lower().replace("_", "-")
    key = "sha3-" + key[4:].lstrip("-") if key.startswith("sha3") else key.replace("-", "")
    return key if key in HASH_LENGTHS else None


def _checked(algorithm: str, digest: str) -> tuple[str, str] | None:
    algo = normalise_algorithm(algorithm)
    digest = digest.strip().lower()
    if algo is None or len(digest) != HASH_LENGTHS[algo] or not _HEX.match(digest):
        return None
    return algo, digest


def _guess_algorithm(digest: str) -> str | None:
    """The algorithm of a bare hex digest, from its length (SHA-2 family preferred)."""
    by_length = {32: "md5", 40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}
    return by_length.get(len(digest.strip()))


def _parse_file_hash(value: object) -> dict[str, str]:
    """A per-file hash given as ``"sha256:hex"``, bare ``"hex"`` or ``{"sha256": "hex"}``."""
    pairs: list[tuple[str, str]] = []
    if isinstance(value, dict):
        pairs = [(str(k), str(v)) for k, v in value.items()]
    elif isinstance(value, str):
        algo, sep, digest = value.partition(":")
        if sep:
            pairs = [(algo, digest)]
        elif (guess := _guess_algorithm(value)) is not None:
            pairs = [(guess, value)]
    found: dict[str, str] = {}
    for algo, digest in pairs:
        checked = _checked(algo, digest)
        if checked is not None:
            found[checked[0]] = checked[1]
    return found


def split_hashes(component: Component) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(hashes of the component itself, hashes of each of its files by inner path).

    ``Component.hashes`` holds algorithm → digest for the component; keys that are inner paths
    (``"/bin/busybox": "sha256:…"``) are per-file hashes, as are the entries of
    ``Component.file_hashes`` (path → {algorithm: digest}). Malformed digests are dropped: an SBOM
    must never carry a hash that does not check out.
    """
    own: dict[str, str] = {}
    per_file: dict[str, dict[str, str]] = {}
    for key, value in component.hashes.items():
        if key.startswith("/"):
            per_file.setdefault(key, {}).update(_parse_file_hash(value))
        elif (checked := _checked(key, value)) is not None:
            own[checked[0]] = checked[1]
    for path, digests in component.file_hashes.items():
        if path.startswith("/"):
            per_file.setdefault(path, {}).update(_parse_file_hash(digests))
    per_file = {path: hashes for path, hashes in per_file.items() if hashes}
    return own, per_file


def valid_purl(text: str | None) -> str | None:
    """``text`` in canonical form if it is a purl that parses, else None."""
    if not text:
        return None
    try:
        return PackageURL.from_string(text.strip()).to_string()
    except ValueError:
        return None


def valid_cpe(text: str | None) -> str | None:
    """``text`` if it is a well-formed CPE 2.3 formatted string, else None."""
    if not text:
        return None
    text = text.strip()
    return text if _CPE23.match(text) else None


def display_name(component: Component) -> str:
    return component.name.strip() or "unnamed"


def generic_purl(component: Component) -> str:
    """``pkg:generic/NAME@VERSION``: the purl spec's type for software with no package ecosystem."""
    return PackageURL(
        type="generic", name=display_name(component), version=component.version or None
    ).to_string()


def split_supplier(text: str | None) -> tuple[str, str | None] | None:
    """``"Debian X Team <x@lists.debian.org>"`` → (name, email); a bare name → (name, None)."""
    if not text or not text.strip():
        return None
    text = text.strip()
    if text.endswith(">") and "<" in text:  # the "Name <address>" of Debian/opkg control files
        name, _, email = text[:-1].rpartition("<")
        if "@" in email and "<" not in email:
            return (name.strip() or email.strip(), email.strip())
    return text, None


@dataclass
class FileFact:
    """One file that proves a component: its inner path, known hashes and evidence."""

    path: str
    hashes: dict[str, str] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class ComponentFact:
    component: Component
    ref: str  # unique within the document; CycloneDX bom-ref
    purl: str  # always a valid purl
    purl_derived: bool  # True when built from name/version (none given, or the given one broken)
    cpe: str | None
    hashes: dict[str, str]
    files: list[FileFact]
    layer_ref: str | None  # ref of the layer the component sits in, if that layer is known

    @property
    def name(self) -> str:
        return display_name(self.component)

    @property
    def invalid_identifiers(self) -> dict[str, str]:
        """Identifiers the report gave that are not valid (kept as properties, not as ids)."""
        bad: dict[str, str] = {}
        given_purl = self.component.purl
        if given_purl and self.purl_derived:
            bad["purl"] = given_purl
        if self.component.cpe and self.cpe is None:
            bad["cpe"] = self.component.cpe
        return bad


@dataclass
class LayerFact:
    layer: Layer
    ref: str
    parent_ref: str | None
    depth: int


@dataclass
class SbomFacts:
    report: Report
    layers: list[LayerFact]
    components: list[ComponentFact]
    _names: dict[str, list[str]] | None = field(default=None, repr=False)

    @property
    def target_name(self) -> str:
        return target_name(self.report)

    def component_refs_for(self, vulnerability: Vulnerability) -> list[str]:
        """Refs of the components a vulnerability names (``name@version``, purl or bare name)."""
        return self._by_name().get(vulnerability.component.strip(), [])

    def _by_name(self) -> dict[str, list[str]]:
        if self._names is None:
            self._names = {}
            for fact in self.components:
                c = fact.component
                names = {c.ref, fact.purl, *([c.purl] if c.purl else [])}
                for name in names:
                    self._names.setdefault(name, []).append(fact.ref)
        return self._names


class UniqueRefs:
    """Hands out document-unique refs: the preferred text, or text#2, text#3, … on collision
    (``separator`` replaces "#" where a format's ids may not hold it)."""

    def __init__(self, separator: str = "#") -> None:
        self._separator = separator
        self._used: set[str] = set()

    def take(self, preferred: str) -> str:
        ref, n = preferred, 1
        while ref in self._used:
            n += 1
            ref = f"{preferred}{self._separator}{n}"
        self._used.add(ref)
        return ref


def _walk(
    layers: list[Layer], parent: str | None, depth: int, refs: UniqueRefs
) -> Iterator[LayerFact]:
    for layer in layers:
        fact = LayerFact(layer, refs.take(f"layer:{layer.path}"), parent, depth)
        yield fact
        yield from _walk(layer.children, fact.ref, depth + 1, refs)


def _files(component: Component, per_file: dict[str, dict[str, str]]) -> list[FileFact]:
    by_path: dict[str, FileFact] = {}
    for path in component.files:
        by_path.setdefault(path, FileFact(path))
    for evidence in component.evidence:
        by_path.setdefault(evidence.path, FileFact(evidence.path)).evidence.append(evidence)
    for path, hashes in per_file.items():
        by_path.setdefault(path, FileFact(path)).hashes.update(hashes)
    return sorted(by_path.values(), key=lambda f: f.path)


class _LayerIndex:
    """Which layer a component's ``layer`` names.

    The inventory names the root file system a component sits in; that is a layer's ``path``, its
    ``extracted_to`` directory, or a directory below it (a root found inside an extracted archive).
    The deepest layer whose extraction directory contains the named one wins.
    """

    def __init__(self, layers: list[LayerFact]) -> None:
        self._exact: dict[str, str] = {}
        self._dirs: list[tuple[str, str]] = []
        for fact in layers:
            self._exact.setdefault(fact.layer.path, fact.ref)
            if fact.layer.extracted_to:
                directory = fact.layer.extracted_to.rstrip("/")
                self._exact.setdefault(directory, fact.ref)
                self._dirs.append((directory + "/", fact.ref))
        self._dirs.sort(key=lambda item: -len(item[0]))

    def find(self, name: str | None) -> str | None:
        if not name:
            return None
        found = self._exact.get(name.rstrip("/"))
        if found is None:
            found = next((ref for prefix, ref in self._dirs if name.startswith(prefix)), None)
        return found


def collect(report: Report) -> SbomFacts:
    """Checked, de-duplicated facts about the report's layers and components.

    ``facts.report`` is the report with every string made writable (``sanitize``): writers
    read the report through the facts, never the raw one.
    """
    report = safe_report(report)
    refs = UniqueRefs()
    layers = list(_walk(report.layers, None, 0, refs))
    index = _LayerIndex(layers)
    components: list[ComponentFact] = []
    for component in report.components:
        purl = valid_purl(component.purl)
        own, per_file = split_hashes(component)
        files = _files(component, per_file)
        hashed = [f for f in files if f.hashes]
        if not own and len(files) == 1 and len(hashed) == 1:
            own = dict(hashed[0].hashes)  # a one-file component is that file
        components.append(
            ComponentFact(
                component=component,
                ref=refs.take(purl or generic_purl(component)),
                purl=purl or generic_purl(component),
                purl_derived=purl is None,
                cpe=valid_cpe(component.cpe),
                hashes=own,
                files=files,
                layer_ref=index.find(component.layer),
            )
        )
    return SbomFacts(report, layers, components)
