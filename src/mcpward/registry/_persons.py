"""Who acts in the registry, as a person: separation of duties (a requester does not approve
their own request nor grant it write; Tier-0 needs two different reviewers) compares persons,
never the names actors act under. One person has an API token (``alice``, or one named as they
like), an SSO sign-in (``sso:alice@example.com``) and ``--as`` on the CLI; compared by name they
were three people.

A person is a name in canonical form (:func:`person_of`). A token is bound to its holder's person
when it is made (the name it is made for unless another is given), and records the person of
whoever made it: they saw the token once, so what it does may be theirs. Two actors may be one
person (:func:`one_person`) when their persons match, or when one acted with a token the other
made; persons match when equal, or when a bare name is the local part of the other's e-mail
(``alice`` and ``alice@example.com``). Matching errs towards one person: a false match only
makes the approval another reviewer's."""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

from sqlalchemy.orm import Session

from mcpward.registry._tables import EntryRow, ReviewRow, TokenRow

#: The api_tokens row of a person signed in through the identity provider is named this and
#: their name there; its hash is of a random value nobody holds, so it signs in only by SSO.
SSO_PREFIX = "sso:"
#: The SSO name of a person named by a claim other than a verified e-mail (see web/_oidc.py).
_USERNAME_PREFIX = "preferred_username:"


class Acting(NamedTuple):
    """An actor as a person: who, and who made the token they acted with (None: no token, an
    SSO sign-in, or a token from before tokens recorded it)."""

    person: str
    minted_by: str | None = None


def folded(name: str) -> str:
    """``name`` as compared: NFKC (full-width and other compatibility forms as their plain
    letters), case folded, without format characters (zero-width, direction marks) and with its
    whitespace collapsed."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = unicodedata.normalize("NFKC", text.casefold())
    return " ".join(text.split())


def person_of(name: str) -> str:
    """The person an actor's name stands for: folded, without the ``sso:`` of a sign-in's row
    (the SSO person ``alice@example.com`` and a token named ``alice@example.com`` are one)."""
    return folded(folded(name).removeprefix(SSO_PREFIX))


def _matched_as(person: str) -> set[str]:
    """The names ``person`` is matched on: itself; a username's value; an e-mail's local part
    (without a ``+tag``), which is the bare name of a token made before tokens were bound."""
    names = {person}
    value = person.removeprefix(_USERNAME_PREFIX)
    names.add(value)
    local, at, _domain = value.rpartition("@")
    if at and local and not value.startswith("sub:"):
        names |= {local, local.partition("+")[0]}
    return names


def same_person(one: str, other: str) -> bool:
    return bool(_matched_as(one) & _matched_as(other))


def one_person(one: Acting, other: Acting) -> bool:
    """Whether two actors may be one person: the same person, or one acted with a token the
    other made. Two tokens made by one admin do not make their holders one person."""
    pairs = [(one.person, other.person), (one.person, other.minted_by), (one.minted_by, other.person)]
    return any(a is not None and b is not None and same_person(a, b) for a, b in pairs)


def token_acting(row: TokenRow) -> Acting:
    # A row from before 0008 has no person: its name is its holder's.
    return Acting(row.person or person_of(row.name), row.minted_by)


def acting(session: Session, actor: str, token_id: int | None) -> Acting:
    """``actor`` as a person: the holder of the token it acts with (read in the change's own
    transaction), else (the CLI's ``--as``) the person its name stands for."""
    row = session.get(TokenRow, token_id) if token_id is not None else None
    return token_acting(row) if row is not None else Acting(person_of(actor))


def requester_of(row: EntryRow) -> Acting:
    return Acting(row.requester_person or person_of(row.requested_by), row.requester_minted_by)


def reviewer_of(row: ReviewRow) -> Acting:
    return Acting(row.reviewer_person or person_of(row.reviewer), row.reviewer_minted_by)
