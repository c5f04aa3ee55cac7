"""Personal data formats and their validators (Luhn and issuer ranges, IBAN mod-97, SSN ranges,
IP ranges, telephone numbering plans)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from phonenumbers import (
    SUPPORTED_REGIONS,
    NumberParseException,
    PhoneMetadata,
    PhoneNumber,
    PhoneNumberFormat,
    PhoneNumberType,
    country_code_for_valid_region,
    example_number_for_type,
    format_number,
    is_valid_number,
    is_valid_number_for_region,
    parse,
)

from mcpward._regex import compiled

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
    # the rest of the IBAN registry's countries
    "AL": 28,
    "AZ": 28,
    "BA": 20,
    "BH": 22,
    "BR": 29,
    "BY": 28,
    "CR": 22,
    "DO": 28,
    "EG": 29,
    "FO": 18,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GT": 28,
    "IQ": 23,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MR": 27,
    "MU": 30,
    "PK": 24,
    "PS": 29,
    "RS": 22,
    "SC": 31,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
    "LY": 25,
    "SD": 18,
    "BI": 27,
    "DJ": 27,
    "RU": 33,
    "SO": 23,
    "NI": 28,
    "MN": 20,
    "FK": 18,
    "OM": 23,
    "YE": 30,
    "HN": 28,
}


def iban_pattern() -> str:
    """IBANs of every country in the table, each with exactly its length: compact or in
    groups of four, any case. A pattern of one open length took the word after an IBAN whose
    last group was whole ("BE68 5390 0754 7034 then") and the check then failed. Country codes
    are spelt in both cases, first letter then second (an alternation of 90 codes under
    IGNORECASE cost 30 times as much on hostile text, and not in proportion to its length)."""
    by_length: dict[int, list[str]] = {}
    for country, length in sorted(_IBAN_LENGTHS.items()):
        by_length.setdefault(length, []).append(country)
    alternatives = []
    for length, countries in sorted(by_length.items()):
        rest = length - 4  # after the country code and the two check digits
        grouped = rf"(?: [A-Za-z0-9]{{4}}){{{rest // 4}}}" + (
            rf" [A-Za-z0-9]{{{rest % 4}}}" if rest % 4 else ""
        )
        seconds: dict[str, str] = {}
        for country in countries:
            seconds[country[0]] = seconds.get(country[0], "") + country[1]
        codes = "|".join(
            f"[{first}{first.lower()}][{second}{second.lower()}]" for first, second in sorted(seconds.items())
        )
        alternatives.append(rf"(?:{codes})\d{{2}}(?:[A-Za-z0-9]{{{rest}}}|{grouped})")
    return r"(?<![A-Za-z0-9])(?=[A-Za-z]{2}\d\d)(?:" + "|".join(alternatives) + r")(?![A-Za-z0-9])"


#: Card issuers' number ranges (ISO/IEC 7812 issuer identification numbers) and the lengths
#: each issues: (first digits from, to, lengths), the prefixes of one entry of equal length.
#: The networks of the public IIN tables, current and withdrawn (cards of a closed network
#: stay in old records), but not UATP (any 15 digits starting with a 1) nor China T-Union
#: (19 digits starting 31): a prefix that short would take identifiers by the thousand; nor
#: Diners Club's enRoute (2014, 2149), whose numbers carry no Luhn check digit.
_CARD_ISSUERS: tuple[tuple[int, int, tuple[int, ...]], ...] = (
    (4, 4, (13, 16, 19)),  # Visa (Visa Electron, Dankort's and Switch's co-brands included)
    (51, 55, (16,)),  # Mastercard
    (2221, 2720, (16,)),  # Mastercard's 2-series
    (34, 34, (15,)),  # American Express
    (37, 37, (15,)),
    (300, 305, (14, 16, 17, 18, 19)),  # Diners Club
    (3095, 3095, (14, 16, 17, 18, 19)),
    (36, 36, (14, 16, 17, 18, 19)),
    (38, 39, (14, 16, 17, 18, 19)),
    (6011, 6011, (16, 17, 18, 19)),  # Discover
    (644, 649, (16, 17, 18, 19)),
    (65, 65, (16, 17, 18, 19)),  # Discover, RuPay, Troy
    (3528, 3589, (16, 17, 18, 19)),  # JCB
    (3088, 3094, (16,)),  # JCB's older ranges
    (3096, 3102, (16,)),
    (3112, 3120, (16,)),
    (3158, 3159, (16,)),
    (3337, 3349, (16,)),
    (1800, 1800, (15,)),
    (2131, 2131, (15,)),
    (62, 62, (16, 17, 18, 19)),  # UnionPay
    (8100, 8171, (16, 17, 18, 19)),
    (2200, 2204, (16, 17, 18, 19)),  # Mir
    (2205, 2205, (16,)),  # BORICA
    (60, 60, (16,)),  # RuPay
    (81, 82, (16,)),
    (508, 508, (16,)),
    (353, 353, (16,)),
    (356, 356, (16,)),
    (636, 636, (16, 17, 18, 19)),  # InterPayment
    (637, 639, (16,)),  # InstaPayment
    (5019, 5019, (16,)),  # Dankort
    (9792, 9792, (16,)),  # Troy
    (506099, 506198, (16, 18, 19)),  # Verve
    (507865, 507964, (16, 18, 19)),
    (8600, 8600, (16,)),  # Uzcard
    (5614, 5614, (16,)),
    (9860, 9860, (16,)),  # Humo
    (9704, 9704, (16, 19)),  # Napas
    (5610, 5610, (16,)),  # Bankcard (withdrawn)
    (560221, 560225, (16,)),
    (6706, 6706, (16, 17, 18, 19)),  # Laser (withdrawn; 6304 is Maestro's too)
    (6709, 6709, (16, 17, 18, 19)),
    (6771, 6771, (16, 17, 18, 19)),
    (6334, 6334, (16, 18, 19)),  # Solo (withdrawn)
    (6767, 6767, (16, 18, 19)),
    (564182, 564182, (16, 18, 19)),  # Switch (withdrawn)
    (633110, 633110, (16, 18, 19)),
    (6333, 6333, (16, 18, 19)),
    # Maestro: its own ranges, 12 to 19 digits, not all of 50 and 56-69 (which took every
    # 13-digit number starting with a 6 that passed Luhn)
    *((iin, iin, tuple(range(12, 20))) for iin in (5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763)),
    (676770, 676770, tuple(range(12, 20))),  # Maestro UK
    (676774, 676774, tuple(range(12, 20))),
)


def card_issued(digits: str) -> bool:
    """Whether a card issuer gives out numbers that begin so and are this long."""
    return len(digits) in _issued_lengths(digits[:6])


def _issuers_by_prefix() -> dict[str, frozenset[int]]:
    """Every prefix of ``_CARD_ISSUERS`` written out (948 of them), with the lengths issued."""
    issued: dict[str, set[int]] = {}
    for low, high, lengths in _CARD_ISSUERS:
        width = len(str(low))
        for prefix in range(low, high + 1):
            issued.setdefault(str(prefix).zfill(width), set()).update(lengths)
    return {prefix: frozenset(lengths) for prefix, lengths in issued.items()}


_ISSUED_BY_PREFIX = _issuers_by_prefix()


@lru_cache(maxsize=4096)
def _issued_lengths(first_six: str) -> frozenset[int]:
    """The lengths of the card numbers issued that begin with these six digits."""
    # Six lookups, not a pass over the table: ids and timestamps (JSON numbers among them)
    # bring first digits by the thousand, each a miss of the cache.
    return frozenset().union(
        *(_ISSUED_BY_PREFIX.get(first_six[:width], ()) for width in range(1, min(len(first_six), 6) + 1))
    )


def card_valid(text: str) -> bool:
    """A card number: an issuer's range and length, and the Luhn check."""
    digits = "".join(filter(str.isdigit, text))
    return card_issued(digits) and luhn_valid(digits)


#: A digit doubled, less 9 when that makes two digits (the Luhn check's second digits).
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_valid(text: str) -> bool:
    # In C where it can be (map, filter, sum, slices): a card a match in text dense with them.
    digits = list(map(int, filter(str.isdigit, text)))
    if not 12 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    total = sum(digits[-1::-2]) + sum(map(_DOUBLED.__getitem__, digits[-2::-2]))
    return total % 10 == 0


_SPACE = compiled(r"\s")


def iban_valid(text: str) -> bool:
    compact = _SPACE.sub("", text).upper()
    if not compact[2:4].isdigit():
        return False
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


#: Documentation ranges (RFC 5737, RFC 3849), and IANA's special-purpose blocks for protocol
#: assignments and benchmarking (RFC 6890: 192.0.0.0/24, 198.18.0.0/15, 2001::/23), which hold
#: anycast services and test networks, not hosts of anyone's. Teredo's 2001::/32 is left out:
#: a Teredo address carries its client's public IPv4 address.
_DOCUMENTATION = tuple(
    ipaddress.ip_network(n)
    for n in (
        *("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"),
        *("192.0.0.0/24", "198.18.0.0/15", "2001::/23"),
    )
)


def _ranges(*networks: str) -> tuple[tuple[int, int], ...]:
    """Networks as (first, last) address integers: a membership test of a few comparisons
    (``ipaddress`` searched a list of networks for each property, 10 to 55 us an address; a
    match in text dense with addresses)."""
    return tuple(
        (int(network.network_address), int(network.broadcast_address))
        for network in map(ipaddress.ip_network, networks)
    )


def _within(value: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= value <= high for low, high in ranges)


#: IPv6 blocks set aside (RFC 4291, RFC 6666): ::/8 (unspecified, loopback, IPv4-compatible and
#: mapped forms) and the discard prefix.
_IPV6_SPECIAL = _ranges("::/8", "100::/64")
#: What ``ipaddress`` calls a reserved IPv6 address: IANA's address space "reserved by IETF",
#: outside 2000::/3, unique local fc00::/7, link-local fe80::/10, site-local fec0::/10 and
#: multicast ff00::/8 (the same answer, tests/test_dlp_pii.py).
_IPV6_RESERVED = _ranges(
    "::/8", "100::/8", "200::/7", "400::/6", "800::/5", "1000::/4", "4000::/3", "6000::/3",
    "8000::/3", "a000::/3", "c000::/3", "e000::/4", "f000::/5", "f800::/6", "fe00::/9",
)  # fmt: skip
#: Link-local (fe80::/10) and multicast (ff00::/8) addresses; with :: and ::1, no one's.
_IPV6_LINK_LOCAL_OR_MULTICAST = _ranges("fe80::/10", "ff00::/8")
_IPV6_DOCUMENTATION = _ranges(*(str(n) for n in _DOCUMENTATION if n.version == 6))
#: Teredo's 2001::/32, inside 2001::/23: its addresses carry a client's public IPv4 address.
_TEREDO = _ranges("2001::/32")


#: IPv4 addresses no one holds, as ranges of integers (the same answer as asking ``ipaddress``, which
#: cost 55 us an address: each property searches its networks; a match in text dense with
#: addresses): 0.0.0.0 is the unspecified address (0.0.0.0/8's others are dropped by the caller,
#: whose first octet may not be 0), then ``is_loopback``, ``is_link_local``, ``is_multicast``,
#: ``is_reserved`` and the documentation ranges (none of which is Teredo's, an IPv6 block).
_IPV4_NOBODYS = _ranges(
    "0.0.0.0/32", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
    *(str(n) for n in _DOCUMENTATION if n.version == 4),
)  # fmt: skip


#: Domains reserved for documentation and testing (RFC 2606, RFC 6761): no one's mailbox.
_RESERVED_MAIL_DOMAIN = compiled(
    r"(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost)$", re.IGNORECASE
)


def email_valid(text: str) -> bool:
    return not _RESERVED_MAIL_DOMAIN.search(text.rpartition("@")[2])


def ipv4_valid(text: str) -> bool:
    """A host's address, its octets with or without leading zeros ("010.001.002.003", as
    fixed-width logs write them). Not four numbers of which three are below 10: section and
    version numbers ("RFC 7231 sec 3.1.1.1", "v8@3.14.5.9", "ECMA 262 7.1.12.1."), or the
    public resolvers 1.1.1.1, 8.8.8.8 and 9.9.9.9, no one's; three octets of a random
    address are below 10 about once in 4,000."""
    octets = text.split(".")
    if len(octets) != 4 or not all(octet.isdigit() and int(octet) <= 255 for octet in octets):
        return False
    numbers = list(map(int, octets))
    if sum(number >= 10 for number in numbers) < 2:
        return False
    # x.x.x.0 is a network, not a host
    if numbers[0] == 0 or numbers[3] == 0:
        return False
    value = (numbers[0] << 24) | (numbers[1] << 16) | (numbers[2] << 8) | numbers[3]
    return not _within(value, _IPV4_NOBODYS)


def ipv6_valid(text: str) -> bool:
    try:
        value = int(ipaddress.IPv6Address(text))
    except ValueError:
        return False
    # an address ending in "::" is a network prefix, not a host
    if text.count(":") < 2 or text.endswith("::"):
        return False
    # unspecified, loopback, link-local, multicast: loopback, link and group addresses point at
    # no one, and code and docs are full of them
    pointless = value <= 1 or _within(value, _IPV6_LINK_LOCAL_OR_MULTICAST)
    reserved = _within(value, _IPV6_RESERVED)
    if reserved and "::" not in text and not _within(value, _IPV6_SPECIAL):
        # ``ipaddress`` calls "reserved" most of the space outside 2000::/3, which IANA has
        # not allocated yet rather than set aside: no host has such an address today, but one
        # written out in eight groups is what a logged or generated address looks like; the
        # short ones there are examples ("dead:beef::1", "a00::1")
        return not pointless
    documentation = _within(value, _IPV6_DOCUMENTATION) and not _within(value, _TEREDO)
    return not (pointless or reserved or documentation)


_EXTENSION = compiled(r"\s?(?:x|ext\.?|extension)\s?\d{1,6}$", re.IGNORECASE)
_DATE_OR_TIME = compiled(r"\b(?:19|20)\d\d[-./]\d\d?[-./]\d\d?\b|\b\d\d?[-./]\d\d?[-./](?:19|20)\d\d\b")


def phone_valid(text: str) -> bool:
    number = _EXTENSION.sub("", text)
    digits = re.sub(r"\D", "", number)
    return 10 <= len(digits) <= 15 and len(set(digits)) > 2 and not _DATE_OR_TIME.search(number)


def phone_in_context_valid(text: str) -> bool:
    """A number that a nearby word calls a telephone number: national lengths (7 to 15 digits
    without the extension), not a date."""
    number = _EXTENSION.sub("", text)
    digits = re.sub(r"\D", "", number)
    return 7 <= len(digits) <= 15 and len(set(digits)) > 2 and not _DATE_OR_TIME.search(number)


#: Regions whose national formats are tried for a telephone number written without its country
#: code and without a word saying it is one. Each is checked against its numbering plan and
#: must be written as that country writes it (with its trunk prefix where it has one), so more
#: regions find more numbers at little cost in false alarms; a policy sets its own list. North
#: American numbers need none: their 3-3-4 shape is a rule of its own.
DEFAULT_PHONE_REGIONS: tuple[str, ...] = (
    "GB",
    "IE",
    "DE",
    "AT",
    "CH",
    "FR",
    "BE",
    "NL",
    "IT",
    "ES",
    "AU",
    "IN",
    "JP",
    "CN",
    "KR",
    "BR",
    "ZA",
    "NZ",
    "SE",
)

#: Amounts and counts written with thousands separators ("1 234 567", "123.456.789"), and
#: IPv4 addresses, not numbers to call.
_THOUSANDS = compiled(r"^\d{1,2}(?:[ .]\d{3}){2,}$|^\d{3}(?:\.\d{3}){2,}$|^\d{1,3}(?:\.\d{1,3}){3}$")


def known_phone_region(region: str) -> bool:
    return region.upper() in SUPPORTED_REGIONS


def national_phone_validator(regions: Iterable[str]) -> Callable[[str], bool]:
    """A validator of telephone numbers written in a national format ("030 12345678",
    "(02) 9374 4000") or with the 00 international prefix: valid in the numbering plan of one
    of ``regions``, and written there as that country writes its numbers. Only the regions
    whose trunk prefix and lengths fit the number are asked (about 20 us each): the plans are
    sorted beforehand by whether a number starts with 0 and by its length."""
    wanted = list(dict.fromkeys(r.upper() for r in regions))
    unknown = [region for region in wanted if not known_phone_region(region)]
    if unknown:
        raise ValueError(f"unknown telephone region {unknown[0]!r}")
    # Built at the first number asked about: each region's numbering plan is a module of its
    # own (loading them all cost every process that builds an engine about 50 ms, most of which
    # never meet a national number).
    built: list[dict[tuple[bool, int], list[tuple[str, int, str]]]] = []

    def build() -> dict[tuple[bool, int], list[tuple[str, int, str]]]:
        # Made whole, then published: a thread judging beside this one sees all or none.
        plans: dict[tuple[bool, int], list[tuple[str, int, str]]] = {}
        for region in wanted:
            metadata = PhoneMetadata.metadata_for_region(region)
            if metadata is None or metadata.general_desc is None:
                continue  # a code the library lists without a plan: no number is valid there
            code = country_code_for_valid_region(region)
            prefix = metadata.national_prefix or ""
            for length in metadata.general_desc.possible_length or ():
                if prefix == "1":
                    # North America: its numbers are grouped 3-3-4 ("(212) 555-0143"), which
                    # the rule of that shape reports in every region already
                    break
                if prefix:  # written with it, as the country's own numbers are
                    plans.setdefault((prefix == "0", length + len(prefix)), []).append((region, code, prefix))
                    if _written_without_prefix(region, prefix):
                        # and without it where the country's own format leaves it out ("(11)
                        # 2345-6789" in Brazil): then grouped as the country groups them
                        plans.setdefault((False, length), []).append((region, code, ""))
                else:  # none: a leading zero is part of the number (Italy)
                    for zero in (False, True):
                        plans.setdefault((zero, length), []).append((region, code, ""))
        built[:] = [plans]
        return plans

    def valid(text: str) -> bool:
        if _OTHER_RULES_SHAPES.match(text):
            return False
        number = _EXTENSION.sub("", text)
        digits = re.sub(r"\D", "", number)
        if not 7 <= len(digits) <= 15 or len(set(digits)) <= 2:
            return False
        if _DATE_OR_TIME.search(number) or _THOUSANDS.match(number.strip()):
            return False
        if digits.startswith("00"):  # the international prefix of most countries
            try:
                return bool(is_valid_number(parse("+" + digits[2:], None)))
            except NumberParseException:
                return False
        plans = built[0] if built else build()
        fitting = plans.get((digits[0] == "0", len(digits)))
        if not fitting:
            return False
        groups = re.findall(r"\d+", number)
        return any(_valid_in(digits, groups, *plan) for plan in fitting)

    return valid


def _written_without_prefix(region: str, prefix: str) -> bool:
    """Whether the country's national format leaves its trunk prefix out of some numbers (as
    libphonenumber formats its example numbers of each kind)."""
    for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE):
        example = example_number_for_type(region, kind)
        if example is not None:
            written = format_number(example, PhoneNumberFormat.NATIONAL).lstrip("(")
            if not written.startswith(prefix):
                return True
    return False


#: Shapes other rules judge: a US social security number's, a North American number's (the
#: region-free phone rule reports it), a card number's groups of four.
_OTHER_RULES_SHAPES = compiled(
    r"^(?:\d{3}-\d{2}-\d{4}|\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,4})$"
)


def _valid_in(digits: str, groups: list[str], region: str, code: int, prefix: str) -> bool:
    """Whether ``digits`` are a valid number of ``region`` written as the country writes it:
    with its trunk prefix where it has one ("030 ...", "(02) ..."); where it has none (Italy,
    Spain), grouped as the country groups its numbers, since nothing else tells them from
    other runs of digits there."""
    if prefix and not digits.startswith(prefix):
        return False
    national = digits[len(prefix) :]
    zeros = len(national) - len(national.lstrip("0"))
    number = PhoneNumber(
        country_code=code,
        national_number=int(national),
        italian_leading_zero=True if zeros else None,
        number_of_leading_zeros=zeros if zeros > 1 else None,
    )
    if not is_valid_number_for_region(number, region):
        return False
    if prefix:
        return True
    written = re.findall(r"\d+", format_number(number, PhoneNumberFormat.NATIONAL))
    # as the country groups it, or its first group and the rest in one ("345 6789012")
    return groups == written or (len(groups) == 2 and groups[0] == written[0])
