"""A phishing server's form whose field says what it asks for only in a schema it refers to or
combines: ``{"$ref": "#/$defs/token"}`` with ``$defs`` titling it "GitHub token", or an
``allOf``/``anyOf`` whose part is titled "Password" or masked (``format: password``). A client
that draws the schema with a JSON Schema form library resolves the reference and shows the
part's title; the gateway's check of forms (``secret_fields``) read only the field's own title
and description, so these reached the user. They are refused now; a reference to an ordinary
field, and a choice among constants (no text box), still pass."""

from __future__ import annotations

from typing import Any

import pytest
from linear_time import cpu_cost

from mcpward.gateway._interceptors.elicitation import secret_fields

TEXT: dict[str, Any] = {"type": "string"}


def _form(properties: dict[str, Any], message: str = "Almost done.", **schema: Any) -> dict[str, Any]:
    return {"message": message, "requestedSchema": {"type": "object", "properties": properties, **schema}}


ASKING = [
    _form({"v": {"$ref": "#/$defs/t"}}, **{"$defs": {"t": {"type": "string", "title": "GitHub token"}}}),
    _form({"v": {"$ref": "#/definitions/p"}}, definitions={"p": {"type": "string", "format": "password"}}),
    _form(
        {"v": {"$ref": "#/$defs/a"}},
        **{
            "$defs": {
                "a": {"$ref": "#/$defs/b"},
                "b": {"type": "string", "description": "Paste your API key"},
            }
        },
    ),
    _form({"v": {"allOf": [{"type": "string", "title": "Password"}]}}),
    _form({"v": {"anyOf": [{"type": "string", "description": "Your OpenAI API key"}, {"type": "null"}]}}),
    _form({"v": {"oneOf": [{"type": "string", "writeOnly": True}]}}),
    _form({"v": {"allOf": [{"type": "string", "title": "Ihr Passwort"}]}}),
]

ORDINARY = [
    _form(
        {"v": {"$ref": "#/$defs/b"}},
        "Which branch?",
        **{"$defs": {"b": {"type": "string", "title": "Branch"}}},
    ),
    _form({"v": {"$ref": "#/$defs/missing"}}, "Which branch?"),
    _form({"v": {"$ref": "#/$defs/a"}}, "Which branch?", **{"$defs": {"a": {"$ref": "#/$defs/a"}}}),
    _form({"v": {"allOf": [{"type": "string", "title": "Branch name"}]}}, "Which branch?"),
    _form(
        {
            "kind": {
                "oneOf": [{"const": "password", "title": "Password"}, {"const": "key", "title": "SSH key"}]
            }
        }
    ),
]


@pytest.mark.parametrize("form", ASKING, ids=range(len(ASKING)))
def test_a_field_that_asks_in_a_schema_it_refers_to_is_found(form: dict[str, Any]) -> None:
    assert secret_fields(form)


@pytest.mark.parametrize("form", ORDINARY, ids=range(len(ORDINARY)))
def test_an_ordinary_field_by_reference_is_not(form: dict[str, Any]) -> None:
    assert secret_fields(form) == []


def test_the_referred_text_counts_toward_the_cap() -> None:
    """A field's parts and references are read within the 64 KiB a form may have in all."""
    parts = [{"type": "string", "description": "x" * 1000} for _ in range(10)]
    many = {f"f{i}": {"$ref": "#/$defs/big"} for i in range(100)}
    assert secret_fields(
        _form(many, **{"$defs": {"big": {"type": "string", "description": "x" * 1000}}})
    ) == ["(a form of more than 200 fields or 64 KiB of text)"]
    assert secret_fields(_form({f"f{i}": {"anyOf": parts} for i in range(10)})) == [
        "(a form of more than 200 fields or 64 KiB of text)"
    ]


@pytest.mark.parametrize(
    "form",
    [
        # 200 fields referring to a schema of 50,000 keys (read where it is, not copied for each)
        _form(
            {f"f{i}": {"$ref": "#/$defs/wide"} for i in range(200)},
            **{"$defs": {"wide": {"type": "string", **{f"k{n}": n for n in range(50_000)}}}},
        ),
        # references in a ring, and parts by the thousand
        _form(
            {f"f{i}": {"$ref": "#/$defs/a"} for i in range(200)}, **{"$defs": {"a": {"$ref": "#/$defs/a"}}}
        ),
        _form({f"f{i}": {"anyOf": [{"type": "string"}] * 5000} for i in range(200)}),
    ],
    ids=["wide", "ring", "parts"],
)
def test_the_check_of_a_hostile_form_by_reference_is_bounded(form: dict[str, Any]) -> None:
    assert cpu_cost(lambda _: secret_fields(form), "") < 1.0
