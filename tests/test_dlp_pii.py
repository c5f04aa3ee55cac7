"""Personal data the engine must find, and realistic clean text it must leave alone: telephone
numbers in national formats confirmed against numbering plans, IBANs in any case, card numbers
that a letter-prefixed identifier cannot pass for. Every case is written here; none is a corpus
row."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcpward.dlp import _pii
from mcpward.dlp._engine import Engine, builtin_rules
from mcpward.dlp.policy import DlpPolicy, PolicyError, load_policy


@pytest.fixture(scope="module", params=[True, False], ids=["hyperscan", "python"])
def engine(request: pytest.FixtureRequest) -> Engine:
    return Engine(use_hyperscan=request.param)


def _found(engine: Engine, text: str, rule: str) -> list[str]:
    return [text[m.start : m.end] for m in engine.scan(text) if m.rule == rule]


PHONES = [
    # the label on the line before
    ("Phone:\n020 7946 0958", "020 7946 0958"),
    ("Fax\n  0351 4567890\nOpening hours 9-17", "0351 4567890"),
    # the label glued on with a hyphen, before or after
    ("0612345678-Fax", "0612345678"),
    ("Office-0171 2345678", "0171 2345678"),
    # no label at all, or one the context words do not know: the numbering plan decides
    ("Contact Pia on 030 12345678 for the keys.", "030 12345678"),
    ("Rufen Sie uns an: 0171 2345678", "0171 2345678"),
    ("Notre standard : 01 42 68 53 00", "01 42 68 53 00"),
    ("reach the Sydney branch at (02) 9374 4000 after lunch", "(02) 9374 4000"),
    ("Chiamami al 345 678 9012 domani", "345 678 9012"),
    ("Llámame al 612 34 56 78", "612 34 56 78"),
    ("Support desk (212) 555-0143, weekdays", "(212) 555-0143"),
    ("Zentrale 076 121 38 75", "076 121 38 75"),
    ("Chiamami al 345 6789012", "345 6789012"),
    # international formats as before
    ("call +44 20 7946 0958 tomorrow", "+44 20 7946 0958"),
    ("ring 0044 20 7946 0958 from abroad", "20 7946 0958"),
    # E.123 and its common variants: the country code in parentheses, the trunk prefix in
    # parentheses before a one-digit area code, a slash after the area code, no separators
    ("(+44) 20 7946 0958 is the switchboard", "(+44) 20 7946 0958"),
    ("Portable +33 (0)6 12 34 56 78.", "+33 (0)6 12 34 56 78"),
    ("Büro +49 30/1234567", "+49 30/1234567"),
    ("whatsapp me on +447911123456!", "+447911123456"),
    ("+1 (212) 555-0143 extension 12", "+1 (212) 555-0143 extension 12"),
    # North American, the area code in parentheses with no space after it
    ("reach the desk at (212)555-0143x204", "(212)555-0143x204"),
    # national formats with dots (France, Belgium, Switzerland) or a slash (German-speaking)
    ("Tél. 01.42.68.53.00 du lundi au vendredi", "01.42.68.53.00"),
    ("Telefon 030/12345678", "030/12345678"),
    ("ring 03-3224-5000 in Tokyo", "03-3224-5000"),
    # a word before the number that calls it one, up to two short words away
    ("Contact: 6123 4567", "6123 4567"),
    ("mob. 07911 123456", "07911 123456"),
    ("My phone number is 555 0143.", "555 0143"),
    ("ring us on 2345 6789", "2345 6789"),
    ("contact me at 2345 6789", "2345 6789"),
    # a country whose own format leaves the trunk prefix out (Brazil)
    ("Ligue (11) 2345-6789 ou (21) 98765-4321", "(11) 2345-6789"),
]


@pytest.mark.parametrize(("text", "number"), PHONES)
def test_phone_numbers_are_found(engine: Engine, text: str, number: str) -> None:
    found = _found(engine, text, "phone-number")
    assert any(number in value or value in number for value in found), (text, found)


#: Text full of numbers that are no telephone numbers: each must stay clean of phone matches.
NOT_PHONES = [
    '{"order_id": "4155552671", "status": "shipped"}',  # a bare run of digits, no label
    "created 1733212800 updated 1733216400",  # epoch seconds
    "service        requests    5xx  4xx\nbilling   21492145 238 6013",  # table columns
    "ISBN 978-0-306-40615-7, 2nd edition",
    "released 2026-12-03 14:05:11, build 10.4.2.1873",
    "Meeting ID 845 1234 5678, passcode 4417",
    "dial in with meeting ID 388 9069 8800",  # grouped as an Italian mobile number, but an ID
    "Total 1 234 567 EUR, of which VAT 197 123 EUR",
    "bytes=104857600 took 1234 ms pid=48213",
    "Die Sitzung am 03.12.2026 um 14:30 in Raum 3.14",
    "invoice INV-2026-118273 for order 112-4567890-1234567",
    "lat 48.856613, lon 2.352222, elevation 35 m",
    '  File "/srv/app/handlers.py", line 2381, in handle_request',
    "coverage 93.4 %, 1287 tests, 0 failed, 12 skipped in 345.67 s",
    "Payment reference 3820 1596 5381",  # a number that fits Italy's plan, not its grouping
    "refund for order 330-318-2331-64 approved",
    "billing          35801053 310 2956   4.58%",  # seven digits: a local number at most
    "order 12345678 contact support",  # "contact" says so only before a number
    "Umsatz 123.456.789 EUR, Stand 03.12.2026",  # thousands separated by dots, a date
    "see section 3.2.2.1 of the spec, step 1.2.3.4.",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "took 0:01:23.456, eta 00:12:30",
    "pages 030/12, volume 1990/2",  # a slash, but too short for a number
    "+5 10/20/2024 at 14:00",  # a date after a plus sign
]


@pytest.mark.parametrize("text", NOT_PHONES)
def test_numbers_that_are_not_phone_numbers_stay_clean(engine: Engine, text: str) -> None:
    assert [m.rule for m in engine.scan(text) if m.kind == "pii"] == [], text


IBANS = [
    ("IBAN de89 3704 0044 0532 0130 00 please", "de89 3704 0044 0532 0130 00"),
    ("iban: gb82west12345698765432", "gb82west12345698765432"),
    ("Konto DE89370400440532013000.", "DE89370400440532013000"),
    # an IBAN whose last group is whole, followed by a word of four letters
    ("send to BE68 5390 0754 7034 then confirm", "BE68 5390 0754 7034"),
    ("account Nl91 Abna 0417 1643 00", "Nl91 Abna 0417 1643 00"),
]


@pytest.mark.parametrize(("text", "iban"), IBANS)
def test_ibans_are_found_in_any_case(engine: Engine, text: str, iban: str) -> None:
    assert _found(engine, text, "iban") == [iban], text


NOT_IBANS = [
    "sha de89370400440532013001 in the lock file",  # fails mod-97
    "commit de893704004405320130009f1e2d3c4b5a6f7e8d9c0b",  # a longer hex run
    "the user id is ab12cd34ef56ab78cd90ef12",
]


@pytest.mark.parametrize("text", NOT_IBANS)
def test_iban_shaped_strings_that_fail_the_check_stay_clean(engine: Engine, text: str) -> None:
    assert _found(engine, text, "iban") == [], text


CARDS = [
    # Maestro numbers are 12 to 19 digits; RuPay and JCB's older ranges are issuers'
    # too (the numbers here are made up, with their Luhn check digit)
    ("Maestro 6759 6498 2643 8453 on file", "6759 6498 2643 8453"),
    ("maestro=501800000009", "501800000009"),
    ("RuPay 6080 1234 5678 9015 ok", "6080 1234 5678 9015"),
    ("old JCB 3088 0000 0000 0009", "3088 0000 0000 0009"),
    ("Card 4539 1488 0343 6467 expires 04/29", "4539 1488 0343 6467"),
    ("card=4539148803436467;", "4539148803436467"),
    ("Amex 3782 822463 10005 on file", "3782 822463 10005"),
    ("pay with 5555-5555-5555-4444 now", "5555-5555-5555-4444"),
    ("old Visa 4222222222222 on file", "4222222222222"),
    ("JCB 213100000000001, please", "213100000000001"),
]


@pytest.mark.parametrize(("text", "card"), CARDS)
def test_card_numbers_are_found(engine: Engine, text: str, card: str) -> None:
    assert _found(engine, text, "credit-card") == [card], text


NOT_CARDS = [
    "Driver licence D4539148803436467 issued 2019",  # a letter before the digits
    "licence no. S4539148803436467X",
    "requests 21492145 238 6013 5xx 12",  # columns of a table, not a card's groups
    "ISBN 978-1-4028-9462-6",
    "transaction 8122052971482 settled",  # 13 digits that pass Luhn, no card issuer's prefix
    "transaction_id,6729995036124",  # 67... is Maestro's only in its own ranges
    "ref 4539 1488 0343 6468",  # fails Luhn
    "batch 214921452386013",  # Diners Club enRoute's prefix: its numbers had no check digit
    "ticket 123456789015 closed",  # 12 digits that pass Luhn: a card's only in Maestro's ranges
    "ref 102030405060702",  # 15 digits that pass Luhn after UATP's single 1: not taken
]


@pytest.mark.parametrize("text", NOT_CARDS)
def test_identifiers_that_are_not_card_numbers_stay_clean(engine: Engine, text: str) -> None:
    assert _found(engine, text, "credit-card") == [], text


def test_phone_regions_are_configurable() -> None:
    text = "reach the Sydney branch at (02) 9374 4000 after lunch"
    assert _found(Engine(builtin_rules(phone_regions=("AU",))), text, "phone-number")
    assert not _found(Engine(builtin_rules(phone_regions=("US", "CA"))), text, "phone-number")
    # North American numbers are found in any case, by their 3-3-4 shape
    assert _found(Engine(builtin_rules(phone_regions=("AU",))), "(212) 555-0143", "phone-number")


def test_policy_sets_phone_regions() -> None:
    policy = DlpPolicy.model_validate({"phone_regions": ["us"]})
    assert not [m for m in policy.scan_text("Sydney: (02) 9374 4000") if m.rule == "phone-number"]
    assert [m for m in policy.scan_text("New York: (212) 555-0143") if m.rule == "phone-number"]
    # a word saying it is a telephone number is enough in any region
    assert [m for m in policy.scan_text("Phone (02) 9374 4000") if m.rule == "phone-number"]


def test_an_unknown_phone_region_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('phone_regions = ["XX"]\n')
    with pytest.raises(PolicyError, match="XX"):
        load_policy(path)


IP_ADDRESSES = [
    # an address at the end of a sentence, or with its octets zero-padded
    ("The request came from 82.165.12.74.", "82.165.12.74"),
    ("src=082.165.012.074 dst=…", "082.165.012.074"),
    # "::" for a run of zero groups anywhere, and an IPv4 address as the last two groups
    ("resolved to 2a00:1450:4001:82a::200e via DNS", "2a00:1450:4001:82a::200e"),
    ("peer [2606:4700:3033::6815:3e2]:443 closed", "2606:4700:3033::6815:3e2"),
    ("client 2a02:8071::82.165.12.74 seen", "2a02:8071::82.165.12.74"),
    ("Teredo client 2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:0:4136:e378:8000:63bf:3fff:fdd2"),
    # eight groups outside 2000::/3: not allocated yet, but written out as a logged address is
    ("from a3f1:22:9bc0:1:0:77:abcd:1 at noon", "a3f1:22:9bc0:1:0:77:abcd:1"),
]


@pytest.mark.parametrize(("text", "address"), IP_ADDRESSES)
def test_ip_addresses_are_found_in_their_written_forms(engine: Engine, text: str, address: str) -> None:
    assert [text[m.start : m.end] for m in engine.scan(text) if m.rule.startswith("ip")] == [address], text


NOT_IP_ADDRESSES = [
    "as RFC 7231 sec 3.1.1.1 says, and section 2.3.2.3.",  # section numbers
    "node@0.10.33 v8@3.14.5.9 ECMA 262 7.1.12.1.",  # versions
    "queries to the 1.1.1.1 and 8.8.8.8 resolvers",  # public resolvers: no one's
    "anycast 192.0.0.9 and 2001:1::1, benchmark 198.18.0.5",  # IANA special-purpose blocks
    "at 12:30:45 the MAC 00:1a:2b:3c:4d:5e and std::vector<int>",
    "prefix 2a00:1450:4001:: and v 1.2.3.4.5",  # a network prefix, a five-part version
    "examples dead:beef::1 and a00::1",  # short forms in unallocated space: examples
    "loopback 0:0:0:0:0:0:0:1, multicast ff02:0:0:0:0:0:0:1",
]


@pytest.mark.parametrize("text", NOT_IP_ADDRESSES)
def test_numbers_that_are_not_ip_addresses_stay_clean(engine: Engine, text: str) -> None:
    assert [m.rule for m in engine.scan(text) if m.rule.startswith("ip")] == [], text


# -- the validators written for speed give the plain versions' answers ------------------------


def _plain_luhn(text: str) -> bool:
    digits = [int(c) for c in text if c.isdigit()]
    if not 12 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _plain_ipv4_nobodys(text: str) -> bool:
    address = ipaddress.IPv4Address(".".join(str(int(octet)) for octet in text.split(".")))
    documentation = [n for n in _pii._DOCUMENTATION if n.version == 4]
    return (
        address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or any(address in network for network in documentation)
    )


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="0123456789 -٣", min_size=0, max_size=24))
def test_the_luhn_check_answers_as_the_plain_loop(text: str) -> None:
    assert _pii.luhn_valid(text) == _plain_luhn(text)


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(0, 255), st.sampled_from([0, 10, 127, 169, 192, 198, 203, 224, 239, 240, 254, 255])
        ),
        min_size=4,
        max_size=4,
    ),
    st.booleans(),
)
def test_an_ipv4_address_is_judged_as_ipaddress_judges_it(octets: list[int], padded: bool) -> None:
    text = ".".join(f"{octet:03d}" if padded else str(octet) for octet in octets)
    plain = (
        sum(octet >= 10 for octet in octets) >= 2
        and octets[0] != 0
        and octets[3] != 0
        and not _plain_ipv4_nobodys(text)
    )
    assert _pii.ipv4_valid(text) == plain


def _plain_ipv6_valid(text: str) -> bool:
    """The IPv6 judgement as first written, asking ``ipaddress`` for each property."""
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return False
    if text.count(":") < 2 or text.endswith("::"):
        return False
    special = [ipaddress.ip_network(n) for n in ("::/8", "100::/64")]
    pointless = address.is_unspecified or address.is_loopback or address.is_link_local or address.is_multicast
    if address.is_reserved and "::" not in text and not any(address in n for n in special):
        return not pointless
    documentation = [n for n in _pii._DOCUMENTATION if n.version == 6]
    return not (
        pointless
        or address.is_reserved
        or (any(address in n for n in documentation) and address not in ipaddress.ip_network("2001::/32"))
    )


#: The edges of the networks ``ipaddress`` judges by (its own lists: the oracle's, not the code
#: under test's) and of the special and documentation ones, with a neighbour on either side.
_IPV6_NETWORKS = [
    *ipaddress._IPv6Constants._reserved_networks,  # the oracle's own table
    ipaddress._IPv6Constants._linklocal_network,
    ipaddress._IPv6Constants._multicast_network,
    *map(ipaddress.ip_network, ("::/8", "100::/64", "2001:db8::/32", "2001::/23", "2001::/32", "::/127")),
]
_IPV6_EDGES = sorted(
    {
        edge + step
        for network in _IPV6_NETWORKS
        for edge in (int(network.network_address), int(network.broadcast_address))
        for step in (-1, 0, 1)
        if 0 <= edge + step < 1 << 128
    }
)


#: The networks' first groups and their neighbours.
_IPV6_FIRST_GROUPS = sorted({edge >> 112 for edge in _IPV6_EDGES})


@settings(max_examples=1500, deadline=None)
@given(
    st.one_of(
        st.integers(0, (1 << 128) - 1),
        st.sampled_from(_IPV6_EDGES),
        # a first group from the tables, then seven with runs of zeros (the "::" forms)
        st.tuples(
            st.sampled_from(_IPV6_FIRST_GROUPS),
            st.lists(st.one_of(st.just(0), st.integers(0, 0xFFFF)), min_size=7, max_size=7),
        ).map(lambda groups: int("".join(f"{group:04x}" for group in (groups[0], *groups[1])), 16)),
    ),
)
def test_an_ipv6_address_is_judged_as_ipaddress_judges_it(value: int) -> None:
    address = ipaddress.IPv6Address(value)
    # written shortened (with "::" where it may be), in full, and in eight groups without zeros
    groups = ":".join(f"{int(group, 16):x}" for group in address.exploded.split(":"))
    for text in (address.compressed, address.exploded, groups):
        assert _pii.ipv6_valid(text) == _plain_ipv6_valid(text), text


def test_the_edges_of_each_range_no_one_holds() -> None:
    for low, high in _pii._IPV4_NOBODYS:
        for value in (low - 1, low, high, high + 1):
            if 0 < value < 1 << 32:
                text = str(ipaddress.IPv4Address(value))
                octets = [int(o) for o in text.split(".")]
                expected = (
                    sum(octet >= 10 for octet in octets) >= 2
                    and octets[0] != 0
                    and octets[3] != 0
                    and not _plain_ipv4_nobodys(text)
                )
                assert _pii.ipv4_valid(text) == expected, text
