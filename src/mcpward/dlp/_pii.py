"""Personal data formats and their validators (Luhn, IBAN mod-97, SSN ranges, IP ranges)."""

from __future__ import annotations

import ipaddress
import re

_IBAN_LENGTHS = {
    "AD": 24,
    "AE": 23,
    "AT": 20,
    "BE": 16,
    "BG": 22,
    "CH": 21,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "EE": 20,
    "ES": 24,
    "FI": 18,
    "FR": 27,
    "GB": 22,
    "GR": 27,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IS": 26,
    "IT": 27,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MT": 31,
    "NL": 18,
    "NO": 15,
    "PL": 28,
    "PT": 25,
    "RO": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "TR": 26,
    "SA": 24,
    "QA": 29,
    "IL": 23,
}


def luhn_valid(text: str) -> bool:
    digits = [int(c) for c in text if c.isdigit()]
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def iban_valid(text: str) -> bool:
    compact = re.sub(r"\s", "", text).upper()
    if len(compact) < 15 or _IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def ssn_valid(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if len(digits) != 9:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return (
        area not in ("000", "666")
        and not area.startswith("9")
        and group != "00"
        and serial != "0000"
        and (digits not in ("123456789", "078051120"))
    )


#: Documentation ranges (RFC 5737, RFC 3849).
_DOCUMENTATION = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)


def _nobodys(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, link-local, multicast, reserved, unspecified and documentation addresses point
    at no one: code and docs are full of them."""
    return (
        address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or any(address in network for network in _DOCUMENTATION if network.version == address.version)
    )


#: Domains reserved for documentation and testing (RFC 2606, RFC 6761): no one's mailbox.
_RESERVED_MAIL_DOMAIN = re.compile(
    r"(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost)$", re.IGNORECASE
)


def email_valid(text: str) -> bool:
    return not _RESERVED_MAIL_DOMAIN.search(text.rpartition("@")[2])


def ipv4_valid(text: str) -> bool:
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError:
        return False
    # x.x.x.0 is a network, not a host
    return not (_nobodys(address) or text.startswith("0.") or text.endswith(".0"))


def ipv6_valid(text: str) -> bool:
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return False
    # an address ending in "::" is a network prefix, not a host
    return text.count(":") >= 2 and not text.endswith("::") and not _nobodys(address)


_EXTENSION = re.compile(r"\s?(?:x|ext\.?)\s?\d{1,6}$", re.IGNORECASE)
_DATE_OR_TIME = re.compile(r"\b(?:19|20)\d\d[-./]\d\d?[-./]\d\d?\b|\b\d\d?[-./]\d\d?[-./](?:19|20)\d\d\b")


def phone_valid(text: str) -> bool:
    digits = re.sub(r"\D", "", _EXTENSION.sub("", text))
    return 10 <= len(digits) <= 15 and len(set(digits)) > 2


def phone_in_context_valid(text: str) -> bool:
    """A number that a nearby word calls a telephone number: national lengths (7 to 15 digits
    without the extension), not a date."""
    number = _EXTENSION.sub("", text)
    digits = re.sub(r"\D", "", number)
    return 7 <= len(digits) <= 15 and len(set(digits)) > 2 and not _DATE_OR_TIME.search(number)
