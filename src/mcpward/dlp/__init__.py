"""Finding and masking secrets in configuration values.

This is the part of the DLP engine the scan needs: known credential formats, the judgement of
``name=value`` pairs by key name, URL userinfo and query secrets, and masking. Callers keep
only the masked text; the raw value never leaves the function that looked at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import NamedTuple

from mcpward._program_name import PROGRAM_SUFFIXES, program_name
from mcpward._regex import compiled
from mcpward.dlp._credentials import (
    CREDENTIAL_FORMATS,
    VARIABLE_WITH_DEFAULT_OPENING,
    CredentialMatch,
    find_credentials,
    is_placeholder,
    is_plausible,
    is_reference,
    is_secret_key,
    looks_like_literal_secret,
    mask,
    redact_text,
    redact_url,
    url_secret_parts,
)

__all__ = [
    "CREDENTIAL_FORMATS",
    "VARIABLE_WITH_DEFAULT_OPENING",
    "CredentialMatch",
    "SecretHit",
    "assess_value",
    "find_credentials",
    "is_placeholder",
    "is_plausible",
    "is_reference",
    "is_secret_key",
    "looks_like_literal_secret",
    "mask",
    "redact_argv",
    "redact_command_line",
    "redact_text",
    "redact_url",
    "shell_words",
    "url_secret_parts",
]


@dataclass(frozen=True, slots=True)
class SecretHit:
    """A literal secret found at a place in a config: where, what kind, how it was recognised."""

    where: str  # "env:NAME", "header:NAME", "arg[3]", "url"
    kind: str  # a credential format, "keyed-secret", "url-password", "url-query:token"
    redacted: str
    by_format: bool


def assess_value(where: str, name: str | None, value: str) -> list[SecretHit]:
    """Secrets in one configured value; ``name`` is its key, if it has one."""
    hits = [
        SecretHit(where, m.kind, redact_text(value), by_format=True)
        for m in find_credentials(value)
        if is_plausible(m, value)
    ]
    if not hits:  # the engine's other formats (cfat_, hvs., ...): one table of what a secret is
        hits = [SecretHit(where, kind, redact_text(value), by_format=True) for kind in _engine_formats(value)]
    if not hits:
        for part in url_secret_parts(value):
            kind = "url-password" if part == "password" else f"url-{part}"
            hits.append(SecretHit(where, kind, redact_url(value), by_format=True))
    if not hits and name is not None and looks_like_literal_secret(name, value):
        hits.append(SecretHit(where, "keyed-secret", _mask_keyed(value), by_format=False))
    return hits


#: Engine rules judged here by other means: key names, and URLs by their parts.
_JUDGED_HERE = frozenset(
    (
        "keyed-secret",
        "authorization-header",
        "curl-user-password",
        "url-password",
        "url-user-key",
        "url-path-key",
        "database-url-password",
    )
)


def _engine_formats(value: str) -> list[str]:
    """The credential formats of the DLP engine that ``value`` holds, beyond those of
    ``find_credentials``."""
    from mcpward.dlp.scanning import scan_text  # the engine is built on this package

    return sorted({m.rule for m in scan_text(value) if m.kind == "secret" and m.rule not in _JUDGED_HERE})


#: ``--token=X``, and ``--token:X`` or ``/token:X`` as some command lines (.NET's, Windows')
#: spell it.
_FLAG_VALUE = compiled(r"^(--?[A-Za-z][\w.-]*|/[A-Za-z][\w.-]*)[=:](.*)$", re.DOTALL)
#: A short flag glued to its value: curl's ``-HAuthorization: Bearer X``, ``-eAPI_KEY=X``.
_GLUED_SHORT_FLAG = compiled(r"-[A-Za-z](?=.)", re.DOTALL)
_ASSIGNMENT = compiled(r"^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$", re.DOTALL)
_HEADER = compiled(r"^([A-Za-z][A-Za-z0-9-]*)\s*:\s*(.+)$", re.DOTALL)


def redact_argv(
    args: list[str] | tuple[str, ...], command: str | None = None
) -> tuple[tuple[str, ...], list[SecretHit]]:
    """Mask secrets in a launch line: known formats anywhere, and values of secret-named flags
    (``--api-key X``, ``--token=X``), assignments (``API_KEY=X``), headers
    (``Authorization: Bearer X``), the same inside a flag's value (``--set api.key=X``,
    ``--env=TOKEN=X``, ``--set a=1,api.key=X``), secret-named members of a JSON argument, and
    the password of a ``-p`` that is one (``mysql -pX``, ``sshpass -p X``; ``command`` is the
    program ``args`` are given to, where it is not their first word; see ``_PASSWORD_FLAGS``),
    in a shell string too (``sh -c "mysql -pX ..."``)."""
    return _redacted_words(args, command, 0)


def _redacted_words(
    args: list[str] | tuple[str, ...], command: str | None, depth: int
) -> tuple[tuple[str, ...], list[SecretHit]]:
    redacted: list[str] = []
    hits: list[SecretHit] = []
    previous_flag: str | None = None
    given_to = program_name(command) if command else None
    password_flag = _PASSWORD_FLAGS.get(given_to) if given_to else None
    registry_tool = given_to in _REGISTRY_LOGINS
    after_flag = False
    tool_option_value = False  # the word after a container tool's own option (-H tcp://...)
    for index, arg in enumerate(args):
        where = f"arg[{index}]"
        if (
            password_flag is not None
            and (password := _flag_password(arg, password_flag, after_flag)) is not None
        ):
            after_flag = False
            if found := assess_value(where, "password", password):
                hits.extend(found)
                redacted.append(arg[: len(arg) - len(password)] + "****")
                previous_flag = None
                continue
        after_flag = password_flag is not None and password_flag.next_word and arg == password_flag.flag
        named = index > 0 and args[index - 1] in _NAMING_FLAGS  # a container's or host's name
        if (program := program_name(arg)) in _PASSWORD_FLAGS and not named:
            password_flag = _PASSWORD_FLAGS[program]
        if program in _REGISTRY_LOGINS and not named:
            registry_tool = True
        elif tool_option_value:
            pass  # an option's value (a context named login is no login)
        elif registry_tool and arg == "login":
            password_flag = _LOGIN_PASSWORD
        elif registry_tool and not arg.startswith("-") and arg != "registry":
            registry_tool = False  # another subcommand, an image: its -p is a port or its own
        # Before its subcommand a tool's option may take the next word (``docker -H tcp://h
        # login``, ``--config DIR``, ``helm --kube-context prod registry login``): unless it is
        # one of the switches that take none, that word is its value, not the subcommand.
        tool_option_value = (
            registry_tool
            and password_flag is not _LOGIN_PASSWORD
            and arg.startswith("-")
            and "=" not in arg
            and arg not in _TOOL_SWITCHES
        )
        if previous_flag is not None and _is_flag(arg):
            previous_flag = None
        if depth < _MAX_NESTING and (script := _script_words(arg)) is not None:
            # A shell string (``sh -c "mysql -pX shop"``) naming a listed program: its words
            # are judged as a line's, and shown as them, masked.
            inner, inner_hits = _redacted_words(script, None, depth + 1)
            if inner_hits:
                hits.extend(replace(hit, where=where) for hit in inner_hits)
                redacted.append(" ".join(inner))
                previous_flag = None
                continue
        masked, found = _masked_word(where, arg, previous_flag)
        # A JSON argument (``--config '{"apiKey": "..."}'``) is no secret whole: its
        # secret-named members are, masked as text is; so are a list's pairs past those
        # judged one by one.
        as_text = not found and (arg.lstrip().startswith(("{", "[")) or "=" in arg)
        if as_text and (masked := redact_text(arg)) != arg:
            found = [SecretHit(where, "keyed-secret", masked[:300], by_format=False)]
        hits.extend(found)
        redacted.append(masked if found else arg)
        # A word taken as the flag's value (``--token -abc...``) is no flag of its own.
        taken = previous_flag is not None and found
        takes_value = arg.startswith("-") and "=" not in arg and not arg.endswith(_NO_VALUE_SUFFIXES)
        previous_flag = arg.lstrip("-") if takes_value and not taken else None
    return tuple(redacted), hits


def _script_words(word: str) -> list[str] | None:
    """The shell's words of ``word`` when it is a script naming a program of
    ``_PASSWORD_FLAGS`` or ``_REGISTRY_LOGINS`` (None otherwise: one word, or a script naming
    none)."""
    if not any(blank in word for blank in " \t\n"):
        return None
    # Most long words name none: found in one pass before the word is split (a 5 MB argument of
    # plain words was split and each word named, 2 million names, 7 s).
    if _NAMES_A_SCRIPT_PROGRAM.search(word.lower().translate(_QUOTES_DROPPED)) is None:
        return None
    words = shell_words(word)
    return words if any(program_name(w) in _SCRIPT_PROGRAMS for w in words) else None


#: A list's separator: a comma, but not one Helm's ``\\,`` escapes.
_LIST_COMMA = compiled(r"(?<!\\),")


def _list_items(word: str) -> list[str]:
    """The pairs of ``a=1,api.key=X``: a piece with no ``=`` continues the pair before it (a
    value with a comma, ``api.key=Xq7v,R2mK...``, was judged as two short pieces, and printed)."""
    items: list[str] = []
    for piece in _LIST_COMMA.split(word, _MAX_LIST_ITEMS):
        if items and "=" not in piece:
            items[-1] += "," + piece
        else:
            items.append(piece)
    return items


class _PasswordFlag(NamedTuple):
    """A program's short flag that takes a password: glued to it (``-pPASSWORD``), and whether
    the next word is it too (``-p PASSWORD``; getopt takes that word whatever it begins with)."""

    flag: str
    glued: bool
    next_word: bool


#: Programs whose short flag takes a password (a short list, kept to clients an MCP server's
#: line starts: database, directory and cache clients, sshpass before ssh). The MySQL and
#: MariaDB clients take it glued only (``-p`` alone asks for it, and the next word is the
#: database, or their own options); sshpass, the MongoDB shell and tools (``-p``), SQL Server's
#: (``-P``) and OpenLDAP's (``-w``) glued or as the next word; redis-cli's ``-a`` and its forks'
#: as the next word only. The same flag of any other program is no password (``-p`` a port,
#: ``-a`` anything).
_MYSQL_CLIENTS = (
    "mysql", "mysqldump", "mysqladmin", "mysqlsh", "mysqlimport", "mysqlshow", "mysqlcheck",
    "mysqlslap", "mysqlpump", "mysqlbinlog", "mysql_upgrade",
    "mariadb", "mariadb-dump", "mariadb-admin", "mariadb-import", "mariadb-show", "mariadb-check",
    "mariadb-slap", "mariadb-binlog", "mariadb-upgrade",
)  # fmt: skip
_MONGO_CLIENTS = (
    "mongosh", "mongo", "mongodump", "mongorestore", "mongoexport", "mongoimport", "mongostat",
    "mongotop", "mongofiles",
)  # fmt: skip
_LDAP_CLIENTS = (
    "ldapsearch", "ldapadd", "ldapmodify", "ldapdelete", "ldapmodrdn", "ldapcompare", "ldapwhoami",
    "ldappasswd", "ldapexop",
)  # fmt: skip
_PASSWORD_FLAGS = {
    **dict.fromkeys(_MYSQL_CLIENTS, _PasswordFlag("-p", glued=True, next_word=False)),
    **dict.fromkeys(_MONGO_CLIENTS, _PasswordFlag("-p", glued=True, next_word=True)),
    **dict.fromkeys(("sqlcmd", "bcp", "osql"), _PasswordFlag("-P", glued=True, next_word=True)),
    **dict.fromkeys(_LDAP_CLIENTS, _PasswordFlag("-w", glued=True, next_word=True)),
    "sshpass": _PasswordFlag("-p", glued=True, next_word=True),
    **dict.fromkeys(
        ("redis-cli", "valkey-cli", "keydb-cli"), _PasswordFlag("-a", glued=False, next_word=True)
    ),
}
#: Container tools whose ``login`` takes the registry's password with ``-p``, glued or as the
#: next word (``docker login -u deploy -p X registry``; ``helm registry login``); ``-p`` of their
#: other subcommands is a port or a project, printed as written.
_REGISTRY_LOGINS = frozenset({"docker", "podman", "nerdctl", "buildah", "skopeo", "oras", "helm"})
_LOGIN_PASSWORD = _PasswordFlag("-p", glued=True, next_word=True)
#: Their options before a subcommand that take no value (any other is read as taking one, so
#: that an option unknown here does not hide a login after it).
_TOOL_SWITCHES = frozenset(
    {"-D", "--debug", "--tls", "--tlsverify", "-v", "--version", "-h", "--help", "-r", "--remote"}
    | {"--syslog", "--noout", "--debug-full", "--experimental", "--insecure-registry", "--insecure-policy"}
)
#: The programs a shell string is read for (``sh -c "mysql -pX ..."``).
_SCRIPT_PROGRAMS = frozenset(_PASSWORD_FLAGS) | _REGISTRY_LOGINS
#: Where a shell string may name one of them, in its text lowered with its quotes and
#: backslashes dropped (``_QUOTES_DROPPED``): a name, a suffix ``program_name`` drops and slashes
#: at a word's end. Finds every string ``program_name`` would (and more, which are then split and
#: judged exactly): a backslash outside quotes escapes, inside them it separates a path.
_NAMES_A_SCRIPT_PROGRAM = compiled(
    "(?:"
    + "|".join(sorted(map(re.escape, _SCRIPT_PROGRAMS), key=lambda name: (-len(name), name)))
    + ")(?:"
    + "|".join(map(re.escape, PROGRAM_SUFFIXES))
    + r")?/*(?=\s|$)"
)
_QUOTES_DROPPED = str.maketrans(dict.fromkeys("'\"\\"))
#: Secret-named flags that take no value: the secret comes from elsewhere, and the next word is
#: something else (``docker login --password-stdin registry``: the registry was masked).
_NO_VALUE_SUFFIXES = ("-stdin", "_stdin")
#: Flags whose next word names a container or a host (``docker run --name mysql -p3306:3306``,
#: ``-h mongo``), not the program the words after it are given to.
_NAMING_FLAGS = frozenset({"--name", "--hostname", "-h", "--container-name", "--network-alias"})


def _flag_password(word: str, password_flag: _PasswordFlag, after_flag: bool) -> str | None:
    """The password in ``word`` after a password flag: the word after it (``after_flag``), or
    glued to it."""
    if after_flag:
        return word or None
    flag = password_flag.flag
    if password_flag.glued and word.startswith(flag) and len(word) > len(flag):
        return word[len(flag) :]
    return None


#: How deep a value is read for the pairs inside it (``--set=a.key=X`` is one level, a list in it
#: one more), and how many items of a list (``--set a=1,b=2``) are judged one by one.
_MAX_NESTING = 3
_MAX_LIST_ITEMS = 64


def _masked_word(where: str, word: str, flag: str | None, depth: int = 0) -> tuple[str, list[SecretHit]]:
    """``word`` with its secret masked, and what was found: judged as a keyed pair of its own,
    then under the flag before it, then the pairs in its value and the items of its list."""
    key, value, prefix = _split_keyed(word)
    judgements: list[tuple[str | None, str, str]] = []
    if key is not None and not (flag is not None and word.startswith("-")):
        judgements.append((key, value, prefix))
    if flag is not None:
        # ``--token X``; ``--auth admin:PASSWORD``, split as the header ``admin``; ``--token
        # -abc=...``, a value that begins with a dash, not a flag of its own.
        judgements.append((flag, word, ""))
    if not judgements:
        judgements.append((None, word, ""))
    for name, text, before in judgements:
        found = assess_value(where, name, text)
        if found:
            if any(h.by_format for h in found):
                return before + (redact_url(text) if "://" in text else redact_text(text)), found
            return before + _mask_keyed(text), found
    if depth >= _MAX_NESTING:
        return word, []
    if key is not None and value != word:
        # ``--set=api.key=X``, ``--env=TOKEN=X``, ``--header=Authorization: Bearer X``: a flag's
        # value is judged under the flag (``set``, no secret word) and then as a pair itself.
        masked, found = _masked_word(where, value, None, depth + 1)
        if found:
            return prefix + masked, found
    if (glued := _GLUED_SHORT_FLAG.match(word)) is not None:
        masked, found = _masked_word(where, word[glued.end() :], None, depth + 1)
        if found:
            return glued[0] + masked, found
    items = _list_items(word)
    if len(items) > 1 and "=" in word:
        # ``log.level=debug,api.key=X``: Helm's ``--set`` list, judged item by item.
        results = [_masked_word(where, item, None, depth + 1) for item in items]
        found = [hit for _, item_hits in results for hit in item_hits]
        if found:
            return ",".join(masked for masked, _ in results), found
    return word, []


#: What a flag is called: a letter (``-y``), words with their version digits (``--log-level``,
#: ``--http2``, ``-Dfile.encoding=UTF-8``) or camelCase words (``--maxRetries``). A word after
#: a secret-named flag that begins with a dash but is no such name is its value: keys and
#: passwords may begin with a dash (``--token -Xq7vR2mK...``), and were taken for the next flag,
#: never judged, until 2026-12-06. Unambiguous, so linear: separators part the words.
_FLAG_NAME = compiled(
    r"--?(?:[A-Za-z]|D?[a-z]+\d{0,3}(?:[-_.](?:[a-z]+\d{0,3}|\d{1,3}))*|[a-z]+(?:[A-Z][a-z]+)+\d{0,3})"
    r"(?:=.*)?",
    re.DOTALL,
)


def _is_flag(word: str) -> bool:
    return word.startswith("-") and _FLAG_NAME.fullmatch(word) is not None


def redact_command_line(text: str) -> str:
    """A shell command line with the secrets of its words masked (``KEY=value``, ``--token x``,
    known formats), for showing a script as evidence."""
    words = shell_words(text)
    masked, hits = redact_argv(words)
    return " ".join(masked) if hits else redact_text(text)


def shell_words(text: str) -> list[str]:
    """The words ``shlex.split`` makes of ``text`` (POSIX quoting, no comments), in one pass:
    ``shlex`` adds each character to its word as an attribute, the square of the word's length
    (a 200 KB launch line took 0.7 s, a 32 MB one hours). Text with an unclosed quote or a
    trailing backslash is split at white space."""
    words: list[str] = []
    position, end = 0, len(text)
    while True:
        position = _BLANK.match(text, position).end()  # type: ignore[union-attr] # matches empty
        if position == end:
            return words
        word = _SHELL_WORD.match(text, position)
        if word is None:  # what shlex refuses: "No closing quotation", "No escaped character"
            return text.split()
        words.append("".join(map(_unquoted, _WORD_PART.findall(word[0]))))
        position = word.end()


#: shlex's white space, and a word's parts: plain text, '...' (literal), "..." (with its
#: escapes) and a backslash with the character it escapes. Possessive, so that an unclosed
#: quote costs one pass.
_BLANK = compiled(r"[ \t\r\n]*+")
_PART = r"""[^ \t\r\n'"\\]++|'[^']*+'|"(?:[^"\\]++|\\[\s\S])*+"|\\[\s\S]"""
_SHELL_WORD = compiled(f"(?:{_PART})++")
_WORD_PART = compiled(_PART)
_QUOTED_ESCAPE = compiled(r"\\([\s\S])")


def _unquoted(part: str) -> str:
    first = part[0]
    if first == "'":
        return part[1:-1]
    if first == '"':  # a backslash escapes only a quote or a backslash there, as in shlex
        return _QUOTED_ESCAPE.sub(lambda m: m[1] if m[1] in '"\\' else m[0], part[1:-1])
    if first == "\\":
        return part[1]
    return part


def _split_keyed(arg: str) -> tuple[str | None, str, str]:
    """``(key, value, text before the value)`` of ``--key=value``, ``KEY=value`` or
    ``Header: value``; ``(None, arg, "")`` for anything else. A URL is judged whole (its
    ``scheme:`` is no header name) unless it is the value of a flag or an assignment."""
    patterns = (_FLAG_VALUE, _ASSIGNMENT) if "://" in arg else (_FLAG_VALUE, _ASSIGNMENT, _HEADER)
    for pattern in patterns:
        match = pattern.match(arg)
        if match:
            return match.group(1).lstrip("-"), match.group(2), arg[: match.start(2)]
    return None, arg, ""


def _mask_keyed(value: str) -> str:
    scheme, sep, _ = value.partition(" ")
    if sep and scheme.lower() in {"bearer", "basic", "token"}:
        return f"{scheme} ****"
    return "****"
