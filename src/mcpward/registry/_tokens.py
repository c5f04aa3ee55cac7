"""API tokens (stored as their sha256) and the web application's sign-in sessions."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from mcpward.registry._audit_trail import AuditTrail, _digest, _state, _utc
from mcpward.registry._persons import SSO_PREFIX, acting, folded, person_of
from mcpward.registry._tables import SessionRow, TokenRow
from mcpward.registry.interface import InvalidInput, Principal, RegistryError, Role

SESSION_HOURS = 8
#: Browser sessions a token (or a signed-in person's row) keeps, the newest: a person's browsers
#: and devices. A sign-in in a loop stored a row per request for eight hours, without end.
SESSIONS_PER_TOKEN = 20


def _keep_newest_sessions(session: Session, token_id: int) -> None:
    """Ends the token's sessions past its :data:`SESSIONS_PER_TOKEN` newest."""
    session.flush()
    last_kept = session.execute(
        select(SessionRow.expires_at, SessionRow.id_hash)
        .where(SessionRow.token_id == token_id)
        .order_by(SessionRow.expires_at.desc(), SessionRow.id_hash.desc())
        .offset(SESSIONS_PER_TOKEN - 1)
        .limit(1)
    ).first()
    if last_kept is None:
        return
    expires, id_hash = last_kept
    older = or_(
        SessionRow.expires_at < expires, and_(SessionRow.expires_at == expires, SessionRow.id_hash < id_hash)
    )
    session.execute(delete(SessionRow).where(SessionRow.token_id == token_id, older))


def _csrf_token(session_id: str) -> str:
    """Derived from the session id (which only the browser holds), so nothing is stored."""
    return _digest("csrf:" + session_id)


class TokenStore(AuditTrail):
    def create_token(
        self, name: str, role: Role, actor: str, *, token_id: int | None = None, person: str | None = None
    ) -> str:
        """A new API token; only its hash is stored, so this is the one time it is seen. Its
        ``name`` is stored as given (it is the actor of what the token does), so one that holds
        what DLP masks (a token pasted as the name) is refused. It is bound to ``person``, who
        holds it (their SSO name where they sign in; default: the name), and records the person
        of ``actor`` as who made it: separation of duties compares these (see _persons.py)."""
        from mcpward.dlp import redact_text

        if redact_text(name) != name or (person is not None and redact_text(person) != person):
            raise RegistryError("a token's name must not hold a secret (it is stored and shown as given)")
        if folded(name).startswith(SSO_PREFIX):
            # The name of an SSO sign-in's row: the person's sign-in would take this row, whose
            # token its maker holds, as theirs.
            raise InvalidInput(
                f"a token's name must not start with {SSO_PREFIX} (sign-ins' rows are named so)"
            )
        holder = person_of(name if person is None else person)
        if not holder:
            raise InvalidInput("a token must name the person or machine that holds it")
        token = "mcpw_" + secrets.token_urlsafe(32)
        with self._changing() as session:
            maker = acting(session, actor, token_id).person
            row = TokenRow(
                name=name,
                role=role.value,
                token_hash=_digest(token),
                created_at=self.now(),
                person=holder,
                minted_by=maker,
            )
            session.add(row)
            session.flush()
            detail = {"name": name, "role": role.value, "person": holder}
            state = _state(session, tokens=[row.id], acting=token_id)
            self._append(session, actor, "token-create", None, detail, state)
        return token

    def revoke_tokens(self, name: str, actor: str) -> int:
        with self._changing() as session:
            revoked = list(
                session.scalars(
                    select(TokenRow.id).where(TokenRow.name == name, TokenRow.revoked_at.is_(None))
                )
            )
            count = 0
            if revoked:
                result = session.execute(  # by name, not by the ids read: no list of parameters
                    update(TokenRow)
                    .where(TokenRow.name == name, TokenRow.revoked_at.is_(None))
                    .values(revoked_at=self.now())
                )
                count = int(result.rowcount)  # type: ignore[attr-defined]
            if count:
                state = _state(session, tokens=revoked)
                self._append(session, actor, "token-revoke", None, {"name": name, "count": count}, state)
        return count

    def tokens(self) -> list[tuple[str, Role, datetime, bool]]:
        with self.database.reading() as session:
            rows = session.scalars(select(TokenRow).order_by(TokenRow.id)).all()
            return [(r.name, Role(r.role), _utc(r.created_at), r.revoked_at is not None) for r in rows]

    def authenticate(self, token: str) -> Principal | None:
        with self.database.reading() as session:
            row = session.scalar(
                select(TokenRow).where(TokenRow.token_hash == _digest(token), TokenRow.revoked_at.is_(None))
            )
            return Principal(name=row.name, role=Role(row.role), token_id=row.id) if row else None

    def open_session(self, token: str) -> tuple[str, str] | None:
        """A browser session for a valid token: (session id for the cookie, CSRF token)."""
        with self.database.writing() as session:
            row = session.scalar(
                select(TokenRow).where(TokenRow.token_hash == _digest(token), TokenRow.revoked_at.is_(None))
            )
            if row is None:
                return None
            session_id = secrets.token_urlsafe(32)
            session.execute(delete(SessionRow).where(SessionRow.expires_at < self.now()))
            session.add(
                SessionRow(
                    id_hash=_digest(session_id),
                    token_id=row.id,
                    expires_at=self.now() + timedelta(hours=SESSION_HOURS),
                )
            )
            _keep_newest_sessions(session, row.id)
        return session_id, _csrf_token(session_id)

    def open_sso_session(
        self, person: str, role: Role, *, role_read_at: datetime | None = None
    ) -> tuple[str, str]:
        """A browser session for ``person``, whom the identity provider signed in, with the role
        their groups map to (decided there, at each sign-in): their ``sso:PERSON`` row carries
        it; a changed role replaces the row, both recorded in the audit trail. The session
        records when the role was read, ``role_read_at`` (default now; never later): its
        decisions are taken only for a while after."""
        name = SSO_PREFIX + person
        with self._changing() as session:
            row = self._live_sso_row(session, name)
            if row is not None and row.role != role.value:
                self._revoke_sso_row(session, row)
                row = None
            if row is None:
                unheld = _digest(secrets.token_urlsafe(32))
                row = TokenRow(
                    name=name,
                    role=role.value,
                    token_hash=unheld,
                    created_at=self.now(),
                    person=person_of(name),
                )
                session.add(row)
                session.flush()
                detail = {"name": name, "role": role.value, "sso": True}
                self._append(session, name, "token-create", None, detail, _state(session, tokens=[row.id]))
            session_id = secrets.token_urlsafe(32)
            session.execute(delete(SessionRow).where(SessionRow.expires_at < self.now()))
            read_at = min(role_read_at, self.now()) if role_read_at is not None else self.now()
            expires = self.now() + timedelta(hours=SESSION_HOURS)
            session.add(
                SessionRow(
                    id_hash=_digest(session_id), token_id=row.id, expires_at=expires, role_read_at=read_at
                )
            )
            _keep_newest_sessions(session, row.id)
        return session_id, _csrf_token(session_id)

    def end_sso_role(self, person: str) -> bool:
        """Ends the ``sso:PERSON`` row of ``person``, whom the identity provider signed in with
        no group that maps to a role here (removed from them there): every session of it ends,
        recorded in the audit trail. False when they had none."""
        with self._changing() as session:
            row = self._live_sso_row(session, SSO_PREFIX + person)
            if row is None:
                return False
            self._revoke_sso_row(session, row)
        return True

    @staticmethod
    def _live_sso_row(session: Session, name: str) -> TokenRow | None:
        return session.scalar(select(TokenRow).where(TokenRow.name == name, TokenRow.revoked_at.is_(None)))

    def _revoke_sso_row(self, session: Session, row: TokenRow) -> None:
        row.revoked_at = self.now()
        session.flush()
        state = _state(session, tokens=[row.id])
        detail = {"name": row.name, "count": 1, "sso": True}
        self._append(session, row.name, "token-revoke", None, detail, state)

    def session_principal(self, session_id: str) -> tuple[Principal, str] | None:
        with self.database.reading() as session:
            found = session.execute(
                select(SessionRow, TokenRow)
                .join(TokenRow, TokenRow.id == SessionRow.token_id)
                .where(SessionRow.id_hash == _digest(session_id), TokenRow.revoked_at.is_(None))
            ).first()
            if found is None or _utc(found[0].expires_at) < self.now():
                return None
            opened, row = found
            read_at: datetime | None = None
            if row.name.startswith(SSO_PREFIX):  # a single sign-on's row (no token signs in to it)
                # A session from before 0010 recorded no time: its role is as old as it may be.
                read_at = (
                    _utc(opened.role_read_at)
                    if opened.role_read_at is not None
                    else datetime.min.replace(tzinfo=UTC)
                )
            principal = Principal(name=row.name, role=Role(row.role), token_id=row.id, role_read_at=read_at)
            return principal, _csrf_token(session_id)

    def close_session(self, session_id: str) -> None:
        with self.database.writing() as session:
            session.execute(delete(SessionRow).where(SessionRow.id_hash == _digest(session_id)))
