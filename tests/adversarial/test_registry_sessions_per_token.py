"""One token could open browser sessions without end.

Every sign-in to the registry's pages (``POST /login`` with an API token, or a single sign-on)
stored a session row for eight hours, however many the token already had. A holder of any
token (a viewer's, or one that leaked) signing in in a loop added a row per request: tens of
requests a second are millions of rows within the eight hours, every one kept and searched,
until 2026-12-05.

Now a token keeps its ``SESSIONS_PER_TOKEN`` (20: a person's browsers and devices) newest
sessions: opening one more ends its oldest. The newest keep working, and other tokens' sessions
are untouched."""

from __future__ import annotations

from sqlalchemy import func, select

from mcpward.registry import Registry, Role
from mcpward.registry._tables import SessionRow
from mcpward.registry._tokens import SESSIONS_PER_TOKEN


def _rows(registry: Registry) -> int:
    with registry.database.reading() as session:
        return int(session.scalar(select(func.count()).select_from(SessionRow)) or 0)


def test_a_token_signing_in_in_a_loop_keeps_a_bounded_number_of_sessions(registry: Registry) -> None:
    other = registry.open_session(registry.create_token("olga", Role.REVIEWER, "admin"))
    assert other is not None
    token = registry.create_token("vic", Role.VIEWER, "admin")
    opened = []
    for _ in range(3 * SESSIONS_PER_TOKEN):
        session = registry.open_session(token)
        assert session is not None
        opened.append(session[0])
    assert _rows(registry) <= SESSIONS_PER_TOKEN + 1
    assert all(registry.session_principal(s) is not None for s in opened[-SESSIONS_PER_TOKEN:])
    assert registry.session_principal(opened[0]) is None
    assert registry.session_principal(other[0]) is not None  # another token's: untouched


def test_single_sign_ons_of_one_person_are_bounded_alike(registry: Registry) -> None:
    opened = [
        registry.open_sso_session("rita@example.com", Role.REVIEWER)[0] for _ in range(2 * SESSIONS_PER_TOKEN)
    ]
    assert _rows(registry) <= SESSIONS_PER_TOKEN
    assert registry.session_principal(opened[-1]) is not None
    assert registry.session_principal(opened[0]) is None
