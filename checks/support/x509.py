"""The expiry date of a DER certificate, read without a crypto library."""

from __future__ import annotations

from datetime import UTC, datetime

# Only the path to validity.notAfter is walked (RFC 5280 4.1): importing `cryptography`
# would cost more start-up than the whole rest of check-http, and the ssl module gives
# no parsed certificate when verification is off (--insecure).

_SEQUENCE = 0x30
_EXPLICIT_VERSION = 0xA0
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18


class CertificateError(ValueError):
    """Bytes that are not a certificate this reader understands."""


def _element(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER element at `pos`."""
    if pos + 2 > len(data):
        raise CertificateError("truncated certificate")
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise CertificateError("bad length in certificate")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise CertificateError("truncated certificate")
    return tag, pos, pos + length


def not_after(der: bytes) -> datetime:
    """When the certificate stops being valid (UTC)."""
    tag, start, _ = _element(der, 0)
    if tag != _SEQUENCE:
        raise CertificateError("not a certificate")
    tag, pos, _ = _element(der, start)  # tbsCertificate
    if tag != _SEQUENCE:
        raise CertificateError("not a certificate")
    tag, _, end = _element(der, pos)
    if tag == _EXPLICIT_VERSION:
        pos = end
    for _ in range(3):  # serialNumber, signature algorithm, issuer
        _, _, pos = _element(der, pos)
    tag, validity, _ = _element(der, pos)
    if tag != _SEQUENCE:
        raise CertificateError("no validity in certificate")
    _, _, pos = _element(der, validity)  # notBefore
    tag, start, end = _element(der, pos)
    text = der[start:end].decode("ascii", "replace")
    try:
        if tag == _UTC_TIME:
            # Two-digit years: 50-99 are 19xx, 00-49 are 20xx (RFC 5280; strptime's %y differs).
            century = "19" if text[:2] >= "50" else "20"
            moment = datetime.strptime(century + text, "%Y%m%d%H%M%S%z")  # %z reads the trailing Z as UTC
        elif tag == _GENERALIZED_TIME:
            moment = datetime.strptime(text, "%Y%m%d%H%M%S%z")
        else:
            raise CertificateError("no expiry time in certificate")
    except ValueError:
        raise CertificateError(f"unreadable expiry time {text!r} in certificate") from None
    return moment.astimezone(UTC)
