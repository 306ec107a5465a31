"""Make every string of a report writable as UTF-8 text and as XML 1.0.

Firmware is full of bytes that are not text: file names that are not UTF-8 arrive as
surrogate-escaped strings (``os.fsdecode``), version strings cut out of binaries can carry control
characters. UTF-8 cannot encode a lone surrogate and XML 1.0 forbids most control characters, so
each writer first passes the report through ``safe_report``: a surrogate-escaped byte becomes the
visible text ``\\xNN`` (so ``/bin/\\xff`` still names the file), a control character becomes
``\\xNN`` too, any other unencodable code point becomes U+FFFD. A report without such characters
is returned as it is.
"""

from __future__ import annotations

import re

from ..model import Report

# Not allowed in XML 1.0 (https://www.w3.org/TR/xml/#charsets) or not encodable in UTF-8.
_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _replacement(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # a byte that os.fsdecode could not decode
        return f"\\x{code - 0xDC00:02x}"
    return "\ufffd"


def safe_text(text: str) -> str:
    return _BAD.sub(_replacement, text)


def _has_bad(value: object) -> bool:
    if isinstance(value, str):
        return _BAD.search(value) is not None
    if isinstance(value, dict):
        return any(_has_bad(k) or _has_bad(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_bad(v) for v in value)
    return False


def _clean(value: object) -> object:
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def safe_report(report: Report) -> Report:
    """``report`` itself when all its text is writable, else a cleaned copy."""
    data = report.model_dump(by_alias=True)
    if not _has_bad(data):
        return report
    return Report.model_validate(_clean(data))
