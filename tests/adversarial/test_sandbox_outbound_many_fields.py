"""A form body or query string of more than 10,000 fields made the judgement raise the
parser's ``ValueError``, which nothing caught: the proxy dropped the connection with an
unhandled-exception trace and no record, so a sandboxed server could make requests that left
no trace in the audit (nothing was sent: it failed closed). Now such a request is
uninspectable, recorded, and follows the profile's ``uninspectable`` policy."""

from __future__ import annotations

import pytest

from mcpward.sandbox._calls import InFlightCall
from mcpward.sandbox._outbound import OutboundInspector, OutboundRequest, Uninspectable
from mcpward.sandbox.interface import InspectionRules

CALL = InFlightCall(7, "send_email", {"to": "alice@example.org"})
FIELDS = "&".join(f"f{index}=x" for index in range(10_001))


@pytest.mark.parametrize(("target", "body"), [("/email", FIELDS.encode()), ("/email?" + FIELDS, b"")])
def test_too_many_fields_are_uninspectable_not_an_error(target: str, body: bytes) -> None:
    headers = (("Content-Type", "application/x-www-form-urlencoded"),)
    request = OutboundRequest("POST", "api.mail.test", 443, target, headers, body)
    with pytest.raises(Uninspectable, match="fields"):
        OutboundInspector("mail", InspectionRules(tls=True)).judge(request, [CALL])
