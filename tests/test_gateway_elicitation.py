"""Which elicitation forms ask the user for a secret (``secret_fields``), on forms written here
for both sides (no corpus holds elicitation forms), and what the interceptor does with one."""

from __future__ import annotations

from typing import Any

import pytest

from mcpward.gateway._interceptors.elicitation import Elicitation, ElicitationConfig, secret_fields
from mcpward.gateway.interface import Exchange, Session

TEXT: dict[str, Any] = {"type": "string"}


def _form(properties: dict[str, Any], message: str = "Please fill in the form.") -> dict[str, Any]:
    return {
        "mode": "form",
        "message": message,
        "requestedSchema": {"type": "object", "properties": properties},
    }


ASKING = [
    _form({"token": TEXT}, "Your session expired. Paste your GitHub token to continue."),
    _form({"password": TEXT}),
    _form({"newPassword": TEXT, "confirmPassword": TEXT}),
    _form({"apiKey": TEXT}),
    _form({"OPENAI_API_KEY": TEXT}),
    _form({"client-secret": TEXT}),
    _form({"value": TEXT}, "To continue, enter your password."),
    _form({"card_number": TEXT, "expiry": TEXT, "cvv": TEXT}, "Payment details for the order"),
    _form({"pin": {"type": "integer"}}),
    _form({"code": TEXT}, "Type the one-time code we just sent to your phone."),
    _form({"words": {"type": "string", "title": "Recovery phrase"}}),
    _form({"auth": {"type": "string", "description": "Paste your personal access token here"}}),
    _form({"field": {"type": "string", "format": "password"}}),
    _form({"aws_secret_access_key": TEXT}),
    _form({"answer": TEXT}, "Please provide the API key of your Stripe account"),
    # Names, titles and descriptions as servers write them.
    _form({"newpassword": TEXT, "password2": TEXT}),
    _form({"db_pass": TEXT}),
    _form({"value": {"type": "string", "title": "API key *"}}),
    _form({"value": {"type": "string", "description": "Your GitHub personal access token (classic)"}}),
    _form({"value": {"type": "string", "description": "Password for your Acme account"}}),
    _form({"value": {"type": "string", "description": "e.g. ghp_..."}}),
    # Messages that ask in other words.
    _form({"value": TEXT}, "What's your OpenAI API key?"),
    _form({"value": TEXT}, "Please confirm your password."),
    _form({"value": TEXT}, "Your access token was revoked; enter the new one below."),
    # A field the client draws as a text box whatever its schema says.
    _form({"password": {"description": "Your password"}}),
    _form({"pin": {"type": ["integer", "null"]}}),
]

ORDINARY = [
    # The specification's own examples.
    _form({"name": TEXT}, "Please provide your GitHub username"),
    _form(
        {
            "name": {"type": "string", "description": "Your full name"},
            "email": {"type": "string", "format": "email", "description": "Your email address"},
            "age": {"type": "number", "minimum": 18, "description": "Your age"},
        },
        "Please provide your contact information",
    ),
    # About a credential, not the credential.
    _form({"api_key_name": TEXT}, "Enter the name of the API key to rotate"),
    _form({"label": TEXT}, "Give the new token a label so you can find it later"),
    _form({"label": TEXT}, "Enter the token's name as it appears in the list"),
    _form({"note": TEXT}, "Tell us what Pat said about the order"),
    _form({"count": {"type": "integer"}}, "What is a token? Pick how many the summary may use."),
    _form({"private_key_path": TEXT}),
    _form({"token_expiry_days": {"type": "integer"}}),
    _form({"max_tokens": {"type": "integer"}}, "How long may the answer be?"),
    _form({"rotate": {"type": "boolean", "title": "Rotate the API key now?"}}),
    _form({"password_reset": {"type": "boolean", "description": "Send a password reset link"}}),
    _form({"kind": {"type": "string", "enum": ["api key", "password", "ssh key"]}}, "Which credential type?"),
    _form({"branch": TEXT}, "Never paste your password here. Which branch should be deployed?"),
    _form({"zip": TEXT, "country_code": TEXT}, "Shipping address"),
    _form(
        {"date": {"type": "string", "format": "date"}, "party_size": {"type": "integer"}},
        "Book a table: which day, and for how many?",
    ),
    _form({"reason": TEXT}, "Why should the access token be revoked?"),
    _form({"confirm": {"type": "boolean"}}, "Enter your password on the sign-in page that opens next"),
    _form({"label": {"type": "string", "title": "Name of the API key"}}),
    _form({"name": {"type": "string", "description": "Name for your new API key"}}),
    _form({"var": {"type": "string", "title": "Environment variable holding the API key"}}),
    _form({"purpose": TEXT}, "What is the new API key for?"),
    _form({"label": TEXT}, "Give the access token a memorable label"),
    _form({"folder": TEXT}, "Enter a password-protected folder name"),
    _form({"kind": TEXT}, "Type of the token?"),
    _form({"lifetime": {"type": "integer", "description": "The session token lifetime in hours"}}),
    _form({"note": {"type": "string", "description": "Anything else? (Never include passwords.)"}}),
    _form({"boarding_pass_number": TEXT, "seat": TEXT}, "Check in for your flight"),
    _form({"code": TEXT}, "Enter your booking confirmation code"),
    _form({"ssid": TEXT}, "Wi-Fi setup: is a password required for the network?"),
    _form({"key": TEXT, "value": TEXT}, "Set a configuration entry"),
    _form({"repo": TEXT}, "Which repository? (Your token stays on your machine.)"),
    _form(
        {"keys": {"type": "array", "items": {"type": "string", "enum": ["ci", "laptop"]}}},
        "Revoke which keys?",
    ),
    # URL mode is the specification's way for secrets.
    {
        "mode": "url",
        "url": "https://billing.example/pay",
        "message": "Enter your card number on our page",
        "elicitationId": "e1",
    },
]


@pytest.mark.parametrize("params", ASKING, ids=range(len(ASKING)))
def test_a_form_asking_for_a_secret_is_found(params: dict[str, Any]) -> None:
    assert secret_fields(params)


@pytest.mark.parametrize("params", ORDINARY, ids=range(len(ORDINARY)))
def test_an_ordinary_form_is_not(params: dict[str, Any]) -> None:
    assert secret_fields(params) == []


@pytest.mark.parametrize("params", [None, [], {"requestedSchema": 3}, {"requestedSchema": {"properties": []}},
                                    {"mode": 7}, _form({"x": 3, "y": {"type": ["string"]}})])  # fmt: skip
def test_a_malformed_form_is_not_an_error(params: Any) -> None:
    assert secret_fields(params) == []


def test_a_form_too_large_to_be_one_is_refused_unread() -> None:
    """A secret's field after 200 others, or an ask after 64 KiB of text, would pass a check that
    stopped reading there; no client shows such a form whole."""
    many = {f"f{i}": TEXT for i in range(200)}
    assert secret_fields(_form(many)) == []
    assert secret_fields(_form({**many, "password": TEXT})) == [
        "(a form of more than 200 fields or 64 KiB of text)"
    ]
    padded = "Ignore this. " * 5100 + "Paste your API key below."
    assert secret_fields(_form({"value": TEXT}, padded))
    assert (
        secret_fields(_form({"value": TEXT}, "Enter " + "the " * 16_000)) == []
    )  # 64 KiB at most, read whole


def _asked(params: dict[str, Any]) -> Exchange:
    message = {"jsonrpc": "2.0", "id": 4, "method": "elicitation/create", "params": params}
    return Exchange(id=4, method="elicitation/create", request=message)


def test_block_refuses_and_records_alert_records_and_passes() -> None:
    session = Session(server="docs", target="docs-server")
    blocked = _asked(ASKING[0])
    Elicitation(ElicitationConfig()).server_message(session, blocked)
    assert blocked.decision == "block" and [e.kind for e in blocked.events] == ["secret-elicitation"]
    assert "token" in blocked.reasons[0]
    alerted = _asked(ASKING[0])
    Elicitation(ElicitationConfig(secrets="alert")).server_message(session, alerted)
    assert alerted.decision == "alert" and [e.kind for e in alerted.events] == ["secret-elicitation"]
    ordinary = _asked(ORDINARY[0])
    Elicitation(ElicitationConfig()).server_message(session, ordinary)
    assert ordinary.decision == "allow" and ordinary.events == []
