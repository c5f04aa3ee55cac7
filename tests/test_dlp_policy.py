"""An organisation's DLP policy: custom rules, allow-lists, actions per rule and per tool."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mcpward.dlp._engine import Engine
from mcpward.dlp.policy import DlpPolicy, PolicyError, decision, load_policy

GITHUB = "ghp_" + "R8xkq2Vb7LmN4pZs1TyW9cUf3HjD6gAe0K5o"

POLICY = """
[[rules]]
id = "acme-employee-id"
type = "internal-id"
pattern = 'ACME-\\d{6}'
severity = "critical"
action = "block"

[[rules]]
id = "project-codenames"
keywords = ["Project Falcon", "Bluebird"]
action = "redact"

[actions]
pii = "redact"
"email-address" = "alert"

[allow]
values = ["AKIAQ3EGRKL5M7ZXN2TB"]
domains = ["partner.io"]

[tools."crm.lookup_customer"]
actions = { "email-address" = "block", "pii" = "alert" }
allow = { paths = ["$.result.content[*].text"] }
"""


@pytest.fixture
def policy(tmp_path: Path) -> DlpPolicy:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    return load_policy(path)


def found(matches: list[Any]) -> list[tuple[str, str]]:
    return [(m.rule, m.action) for m in matches]


def test_custom_rules_by_pattern_and_keywords(policy: DlpPolicy) -> None:
    matches = policy.scan_text("Badge ACME-204811 works on project falcon, not ACME-12.")
    assert found(matches) == [("acme-employee-id", "block"), ("project-codenames", "redact")]
    assert decision(matches) == "block"
    assert all("204811" not in m.redacted for m in matches)
    assert policy.scan_text("Bluebirds and ACME-2048 are other things.") == []


def test_allow_lists_by_value_and_domain(policy: DlpPolicy) -> None:
    text = "keys AKIAQ3EGRKL5M7ZXN2TB and AKIAZ7TBN2XK5Q3EGRLM; mail a@partner.io, b@rival.io"
    assert [(m.rule, text[m.start : m.end]) for m in policy.scan_text(text)] == [
        ("aws-access-key-id", "AKIAZ7TBN2XK5Q3EGRLM"),
        ("email-address", "b@rival.io"),
    ]
    # sub-domains of an allowed domain are allowed; look-alikes are not
    assert policy.scan_text("x@mail.partner.io") == []
    assert len(policy.scan_text("x@notpartner.io")) == 1


def test_actions_the_most_specific_setting_wins(policy: DlpPolicy) -> None:
    text = "mail b@rival.io, call +44 20 7946 0958"
    assert found(policy.scan_text(text)) == [("email-address", "alert"), ("phone-number", "redact")]
    # the tool's own settings come first, and "server.tool" finds "crm.lookup_customer"
    tool_matches = policy.scan_text(text, tool="crm.lookup_customer")
    assert found(tool_matches) == [("email-address", "block"), ("phone-number", "alert")]
    assert decision(policy.scan_text("nothing here")) == "pass"


def test_allowed_field_paths_for_one_tool_only(policy: DlpPolicy) -> None:
    message = {"result": {"content": [{"type": "text", "text": "owner b@rival.io"}]}}
    assert policy.scan_json(message, tool="crm.lookup_customer") == []
    [match] = policy.scan_json(message, tool="mail.send")
    assert (match.rule, match.path) == ("email-address", "$.result.content[0].text")
    # a wildcard index does not reach into other fields
    other = {"result": {"content": [{"type": "text", "text": "ok"}], "meta": "b@rival.io"}}
    assert len(policy.scan_json(other, tool="crm.lookup_customer")) == 1


def test_native_and_python_matchers_agree_with_custom_rules(policy: DlpPolicy) -> None:
    text = f"ACME-204811, Bluebird, {GITHUB}, b@rival.io"
    python = Engine(policy.engine.rules, use_hyperscan=False)
    assert policy.engine.native
    assert [(m.rule, m.start) for m in policy.engine.scan(text)] == [
        (m.rule, m.start) for m in python.scan(text)
    ]


@pytest.mark.parametrize(
    "document,message",
    [
        ("[[rules]\nid = 'x'", "not valid TOML"),
        ("[[rules]]\nid = 'x'\npattern = 'a('\n", "not a regular expression"),
        ("[[rules]]\nid = 'x'\npattern = '(?<=key)\\d+'\n", "look-around"),
        ("[[rules]]\nid = 'x'\npattern = 'a'\nkeywords = ['b']\n", "either pattern or keywords"),
        ("[[rules]]\nid = 'x'\n", "either pattern or keywords"),
        ("[[rules]]\nid = 'github-token'\npattern = 'a'\n", "used twice"),
        ("[[rules]]\nid = 'x'\npattern = 'a'\naction = 'drop'\n", "rules.0.action"),
        ("[allow]\nvalue = ['a']\n", "allow.value"),
        ("[tools.t]\nactions = { pii = 'quarantine' }\n", "tools.t.actions.pii"),
    ],
)
def test_bad_policies_are_clear_errors(tmp_path: Path, document: str, message: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(document)
    with pytest.raises(PolicyError, match=message.replace("(", r"\(")):
        load_policy(path)


def test_cli_policy_block_exits_4_and_reports_actions(tmp_path, cli) -> None:  # type: ignore[no-untyped-def]
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    call = tmp_path / "call.json"
    call.write_text(json.dumps({"params": {"arguments": {"note": "badge ACME-204811", "to": "b@rival.io"}}}))
    result = cli("dlp", "scan", str(call), "--policy", str(policy), "-f", "json")
    assert result.exit_code == 4
    actions = {(f["rule"], f["action"], f["severity"]) for f in result.json()["findings"]}
    assert actions == {("acme-employee-id", "block", "critical"), ("email-address", "alert", "medium")}
    assert "204811" not in result.stdout

    allowed = cli("dlp", "scan", str(call), "--policy", str(policy), "--tool", "crm.lookup_customer")
    assert allowed.exit_code == 4  # the custom rule still blocks for this tool


def test_cli_tool_without_a_policy_is_a_usage_error(tmp_path: Path) -> None:
    # --tool without --policy was ignored without a word: no policy, no tool settings.
    import subprocess
    import sys

    call = tmp_path / "call.json"
    call.write_text(json.dumps({"params": {"arguments": {"to": "b@rival.io"}}}))
    result = subprocess.run(
        [sys.executable, "-m", "mcpward", "dlp", "scan", str(call), "--tool", "crm.lookup_customer"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (2, "")
    assert (
        result.stderr
        == "mcpward: --tool is used with --policy (it picks that policy's settings for a tool)\n"
    )


def test_cli_bad_policy_is_one_clear_line(tmp_path, cli) -> None:  # type: ignore[no-untyped-def]
    policy = tmp_path / "policy.toml"
    policy.write_text("[[rules]]\nid = 'x'\npattern = 'a('\n")
    call = tmp_path / "call.txt"
    call.write_text("hello")
    result = cli("dlp", "scan", str(call), "--policy", str(policy))
    assert result.exit_code == 2
    assert "not a regular expression" in result.stderr and "Traceback" not in result.stderr + result.stdout


def test_redacted_copy_masks_what_the_policy_says(tmp_path, cli) -> None:  # type: ignore[no-untyped-def]
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    call = tmp_path / "call.json"
    message = {"params": {"arguments": {"note": f"badge ACME-204811 for b@rival.io, key {GITHUB}"}}}
    call.write_text(json.dumps(message))
    masked = tmp_path / "masked.json"
    result = cli("dlp", "scan", str(call), "--policy", str(policy), "--redacted", str(masked))
    assert result.exit_code == 4
    note = json.loads(masked.read_text())["params"]["arguments"]["note"]
    # what the policy blocks or redacts is masked; what it only alerts on (this e-mail address,
    # secrets, for which this policy sets no action) is left as it was
    assert note == f"badge **** for b@rival.io, key {GITHUB}"

    # without a policy every match is masked, and text stays text
    text = tmp_path / "reply.txt"
    text.write_text(f"mail b@rival.io\ntoken {GITHUB}\n")
    masked_text = tmp_path / "masked.txt"
    plain = cli("dlp", "scan", str(text), "--redacted", str(masked_text))
    assert plain.exit_code == 0
    assert masked_text.read_text() == "mail ****\ntoken ghp_****\n"


def test_redact_json_masks_keys_and_nested_strings() -> None:
    from mcpward.dlp.scanning import redact_json, scan_json

    value = {"outer": [{"b@rival.io": "x"}, {"deep": {"text": f"use {GITHUB} now"}}], "n": 3}
    masked = redact_json(value, scan_json(value))
    assert masked == {"outer": [{"****": "x"}, {"deep": {"text": "use ghp_**** now"}}], "n": 3}
