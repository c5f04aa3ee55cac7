"""One error base and one place that turns errors into a line and an exit code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mcpward
from mcpward.cli import main
from mcpward.errors import ExitCode, McpwardError

SOURCE = Path(mcpward.__file__).parent

#: Exceptions that never reach a user: each is caught where it is raised, inside its part.
INTERNAL_SIGNALS = {
    "Uninspectable",  # sandbox outbound inspection: a stream it cannot read is relayed blind or refused
    "ServerNotReading",  # gateway HTTP: a stalled stdio server, answered as a JSON-RPC error
    "UnreadableAnswer",  # inspect fetch: one server's answer, reported as that server's error
    "Refusal",  # gateway: an interceptor refusing a message, answered as a JSON-RPC error
    "HeaderMismatch",  # gateway HTTP (2026-07-28): headers that disagree with the body, answered 400/-32020
    "TokenRefused",  # gateway OAuth: a token that grants nothing, answered 401/403 with WWW-Authenticate
    "IssuerUnavailable",  # gateway OAuth: the issuer's keys out of reach, answered 503
    "ExchangeFailed",  # gateway OAuth: no upstream token for this caller, answered as the call's error
    "BodyTooLarge",  # _http.bounded: an answer past its limit, turned into each client's own error
    "BodyTooSlow",  # _http.bounded: an answer not whole by its deadline, likewise
    "EncodingRefused",  # _http.decoded: an answer in an encoding not asked for, likewise
}


def test_every_error_for_users_derives_from_the_one_base() -> None:
    direct = set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = {getattr(base, "id", getattr(base, "attr", "")) for base in node.bases}
                if bases & {"Exception", "OSError", "ValueError", "RuntimeError"} and not bases & {
                    "McpwardError"
                }:
                    direct.add(node.name)
    direct.discard("McpwardError")  # the base itself
    assert direct == INTERNAL_SIGNALS


def _run(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as ended:
        main(argv)
    code = ended.value.code
    assert isinstance(code, int)
    return code


def test_an_error_no_command_worded_is_one_line_with_its_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from mcpward import scan

    def unreadable(*_: object, **__: object) -> None:
        raise scan.interface.EntryError("alpha", "the entry is not an object")

    monkeypatch.setattr(scan, "run_scan", unreadable)
    assert _run(["scan", "--home", str(tmp_path)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        f"mcpward: {scan.interface.EntryError('alpha', 'the entry is not an object')}"
    ]
    assert "Traceback" not in err


def test_an_unexpected_error_is_internal_not_a_refusal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from mcpward import scan

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(scan, "run_scan", broken)
    code = _run(["scan", "--home", str(tmp_path)])
    assert code == ExitCode.INTERNAL and code not in (ExitCode.NOT_DONE, ExitCode.USAGE)
    err = capsys.readouterr().err
    assert err.startswith("mcpward: internal error (RuntimeError): a bug") and "Traceback" not in err


def test_every_user_error_has_an_exit_code_of_the_table() -> None:
    assert McpwardError.exit_code is ExitCode.USAGE
    assert {code.value for code in ExitCode} == {0, 1, 2, 3, 4, 70, 130}
