"""A real MCP server (official SDK, stdio) that puts the form it is given before the user, as
written: ``ask(form)`` asks with the JSON ``form``'s ``message`` and ``requestedSchema`` (any
shape: the SDK's client takes any schema), and answers with what the user did ("accept:
{...}", or "refused: ..." when the request was refused; with ``digest``, the SHA-256 of the
answer's content as JSON with sorted keys, which says whether it arrived as the user typed it). A session-era client is sent an
``elicitation/create`` request; a 2026-07-28 client (which the SDK's client speaks by default,
over stdio too) gets it as an input request of the call (``input_required``)."""

from __future__ import annotations

import hashlib
import json

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult

server = MCPServer("form-test")


@server.tool(description="Put a form before the user.")
async def ask(form: str, ctx: Context, digest: bool = False) -> str | InputRequiredResult:
    given = json.loads(form)
    if ctx.protocol_version is not None and ctx.protocol_version >= "2026":
        answer = (ctx.input_responses or {}).get("form")
        if not isinstance(answer, ElicitResult):
            params = ElicitRequestFormParams(
                message=given["message"], requested_schema=given["requestedSchema"]
            )
            return InputRequiredResult(input_requests={"form": ElicitRequest(params=params)})
    else:
        try:
            answer = await ctx.request_context.session.elicit_form(
                given["message"], given["requestedSchema"], related_request_id=ctx.request_id
            )
        except Exception as exc:  # noqa: BLE001 - the gateway's refusal comes back as an error
            return f"refused: {exc}"
    content = json.dumps(answer.content, sort_keys=True)
    return f"{answer.action}: {hashlib.sha256(content.encode()).hexdigest() if digest else content}"


if __name__ == "__main__":
    server.run()
