"""Components from an SBOM written by any tool: CycloneDX (JSON or XML) or SPDX (any format).

Each SBOM package becomes a :class:`~iotvet.model.Component` in iotvet's terms: the upstream
project name (via the shared identity data, so ``libssl3`` becomes ``openssl``), the upstream
version with a distribution revision split off for deb/rpm/apk/opkg purls
(``1:1.35.0-4+deb12u1`` → version ``1.35.0``, revision ``4+deb12u1``; Debian Policy 5.6.12), and
the purl and CPE the SBOM carries. SPDX is parsed with spdx-tools (tag-value, JSON, YAML, XML,
RDF); CycloneDX JSON and XML are read as documents so that any spec version 1.2–1.7 works.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from ..inventory import identity
from ..model import Component

_REVISIONED = {"deb", "rpm", "apk", "opkg", "alpm"}


class SbomError(ValueError):
    """The file is not an SBOM iotvet can read (the message says why)."""


def read_sbom(path: Path) -> list[Component]:
    """Components of a CycloneDX or SPDX SBOM file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SbomError(f"{path}: cannot read: {exc}") from exc
    text = raw.lstrip()[:1]
    if text == b"{":
        try:
            doc = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SbomError(f"{path}: not valid JSON: {exc}") from exc
        if isinstance(doc, dict) and doc.get("bomFormat") == "CycloneDX":
            return _cyclonedx_json(doc)
        if isinstance(doc, dict) and "spdxVersion" in doc:
            return _spdx(path)
        raise SbomError(f"{path}: JSON, but neither CycloneDX (bomFormat) nor SPDX (spdxVersion)")
    head = raw[:4096].decode("utf-8", "replace")
    if "cyclonedx.org/schema/bom" in head:
        return _cyclonedx_xml(path)
    if "SPDX" in head or "spdx" in head:
        return _spdx(path)
    raise SbomError(f"{path}: neither a CycloneDX nor an SPDX document")


def component_from(
    name: str, version: str | None, purl: str | None, cpe: str | None, supplier: str | None = None
) -> Component:
    """Turn one SBOM package into a Component with upstream name and version."""
    package = name
    revision = None
    parsed = None
    if purl:
        try:
            parsed = PackageURL.from_string(purl)
        except ValueError:
            parsed = None
    if parsed is not None:
        package = parsed.name or name
        version = parsed.version or version
    upstream = version
    if version and parsed is not None and parsed.type in _REVISIONED:
        upstream, revision = split_revision(version)
    canonical = identity.canonical_name(package)
    if identity.lookup(package) is None and identity.lookup(name) is not None:
        canonical = identity.canonical_name(name)
    return Component(
        name=canonical,
        version=upstream,
        revision=revision,
        purl=purl,
        cpe=cpe,
        supplier=supplier,
        package=package if package != canonical else None,
    )


def split_revision(version: str) -> tuple[str, str | None]:
    """``[epoch:]upstream[-revision]`` → (upstream, revision); the last hyphen separates them."""
    text = re.sub(r"^\d+:", "", version)
    if "-" in text:
        upstream, revision = text.rsplit("-", 1)
        return upstream, revision
    return text, None


def _cyclonedx_json(doc: dict[str, Any]) -> list[Component]:
    out: list[Component] = []

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            if item.get("name") and item.get("type") not in ("file", "data"):
                supplier = (item.get("supplier") or {}).get("name")
                out.append(
                    component_from(
                        str(item["name"]),
                        item.get("version"),
                        item.get("purl"),
                        item.get("cpe"),
                        supplier,
                    )
                )
            walk(item.get("components") or [])

    walk(doc.get("components") or [])
    return out


def _cyclonedx_xml(path: Path) -> list[Component]:
    try:
        tree = ET.parse(path)
    except ET.ParseError as exc:
        raise SbomError(f"{path}: not valid XML: {exc}") from exc
    out = []
    for element in tree.iter():
        if not element.tag.endswith("}component") or element.get("type") in ("file", "data"):
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "").strip() for child in element}
        if fields.get("name"):
            out.append(
                component_from(
                    fields["name"],
                    fields.get("version") or None,
                    fields.get("purl") or None,
                    fields.get("cpe") or None,
                )
            )
    return out


def _spdx(path: Path) -> list[Component]:
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.parse_anything import parse_file

    try:
        document = parse_file(str(path))
    except SPDXParsingError as exc:
        raise SbomError(f"{path}: invalid SPDX: {'; '.join(exc.get_messages()[:3])}") from exc
    except (ValueError, OSError) as exc:
        raise SbomError(f"{path}: cannot parse SPDX: {exc}") from exc
    out = []
    for package in document.packages:
        purl = cpe = None
        for ref in package.external_references:
            kind = str(ref.reference_type).lower()
            if kind == "purl" and purl is None:
                purl = ref.locator
            elif kind.startswith("cpe") and cpe is None:
                cpe = ref.locator
        version = package.version if isinstance(package.version, str) else None
        supplier = getattr(package.supplier, "name", None)
        out.append(component_from(package.name, version, purl, cpe, supplier))
    return out
