"""Supplier links derived from a scan's components (rules in ``supply_chain.yaml``).

Three facts a scan gives about who supplied a component:

* a distribution package URL (``pkg:deb/debian/...``): the distribution packaged it; the package
  database's maintainer line is kept as the link's detail;
* a supplier field without a distribution package URL (an SBOM supplier, an opkg maintainer):
  that organisation supplied it, in a role the data cannot tell (``unclassified``);
* a CPE: its vendor field names who makes the component (role ``cpe_vendor_role``), with the
  evidence methods that identified it (package database, binary signature …).

Declared links in the sourcing file take precedence; these only fill the gaps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packageurl import PackageURL

from ..model import Component
from ..report.sbom_facts import split_supplier
from .config import supply_chain

_CPE_SPLIT = re.compile(r"(?<!\\):")


@dataclass(frozen=True)
class DerivedLink:
    supplier: str
    role: str
    source: str  # purl-namespace | sbom-supplier | cpe-vendor
    component: str
    detail: str
    email: str | None = None


def cpe_vendor(cpe: str | None) -> str | None:
    """The vendor field of a CPE 2.3 formatted string (unescaped), or None."""
    if not cpe:
        return None
    parts = _CPE_SPLIT.split(cpe)
    if len(parts) < 5 or parts[0] != "cpe" or parts[1] != "2.3":
        return None
    vendor = parts[3].replace("\\", "")
    return None if vendor in ("*", "-", "") else vendor


def distribution_of(component: Component) -> str | None:
    """Display name of the distribution a component's package URL names, if any."""
    rules = supply_chain()
    if not component.purl:
        return None
    try:
        purl = PackageURL.from_string(component.purl)
    except ValueError:
        return None
    if purl.type not in rules.distribution_purl_types or not purl.namespace:
        return None
    return rules.distribution_names.get(purl.namespace.lower(), purl.namespace)


def derive_links(components: list[Component]) -> list[DerivedLink]:
    """Every supplier link the components' own data supports (deduplicated)."""
    rules = supply_chain()
    found: dict[tuple[str, str, str], DerivedLink] = {}
    for component in components:
        supplier = split_supplier(component.supplier)
        distribution = distribution_of(component)
        if distribution:
            detail = f"package URL {component.purl}"
            if supplier:
                detail += f"; maintainer {component.supplier}"
            link = DerivedLink(
                distribution,
                "distribution",
                "purl-namespace",
                component.name,
                detail,
                supplier[1] if supplier else None,
            )
            found.setdefault((link.supplier, link.role, link.component), link)
        elif supplier:
            link = DerivedLink(
                supplier[0],
                "unclassified",
                "sbom-supplier",
                component.name,
                f"supplier field {component.supplier}",
                supplier[1],
            )
            found.setdefault((link.supplier, link.role, link.component), link)
        vendor = cpe_vendor(component.cpe)
        if vendor:
            methods = sorted({e.method for e in component.evidence})
            detail = f"CPE {component.cpe}"
            if methods:
                detail += f"; identified by {', '.join(methods)}"
            link = DerivedLink(vendor, rules.cpe_vendor_role, "cpe-vendor", component.name, detail)
            found.setdefault((link.supplier, link.role, link.component), link)
    return list(found.values())
