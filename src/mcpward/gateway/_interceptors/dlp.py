"""Secrets and personal data in tool arguments and in every answer and message of the server,
with the DLP engine and policy: ``alert`` records, ``redact`` masks in place, ``block`` refuses.
What the server sends is also read for instructions injected into the model's context, with
inspect's detectors."""

from __future__ import annotations

from typing import Any

from mcpward.dlp.policy import DlpPolicy, decision, strongest_severity
from mcpward.dlp.scanning import redact_json
from mcpward.gateway.interface import Exchange, Interceptor, SecurityEvent, Session
from mcpward.model import Category, Severity

_INJECTION = {Category.TOOL_POISONING, Category.INVISIBLE_TEXT}


class Dlp(Interceptor):
    name = "dlp"

    def __init__(self, policy: DlpPolicy, *, scan_results: bool = True, injection: str = "alert") -> None:
        self.policy = policy
        self.scan_results = scan_results
        #: What an instruction found in a tool result does: "alert", "block" or "off".
        self.injection = injection
        if injection != "off":
            from mcpward.inspect._detectors._patterns import WHOLE_PATTERNS

            WHOLE_PATTERNS.start()  # every result is checked: worth the one-off compile

    def request(self, session: Session, exchange: Exchange) -> None:
        tool = exchange.tool
        if tool is None:
            return
        arguments = exchange.params.get("arguments")
        redacted = self._judge(session, exchange, arguments, "argument")
        if redacted is not arguments and exchange.decision == "redact":
            exchange.request = {**exchange.request, "params": {**exchange.params, "arguments": redacted}}
            exchange.request_changed = True

    def response(self, session: Session, exchange: Exchange) -> None:
        if exchange.response is None or not self.scan_results:
            return
        failure = exchange.response.get("error")
        if failure is not None:
            # An error's message and data reach the client (and its model) as a result does.
            self._judge_answer(session, exchange, "error", failure, _strings(failure))
            return
        result = exchange.response.get("result")
        if result is None:
            return
        # Every answer reaches the client and its model: a resource read, a prompt, the
        # server's initialize instructions as much as a tool result. The tools of a tool list
        # are judged by inspect and pinned (pins run first and withhold what changed); an
        # injection verdict here would take every tool away at once, so they get DLP only.
        if exchange.tool is not None:
            texts = _result_texts(result)
        elif exchange.method == "tools/list":
            texts = []
        else:
            texts = _strings(result)
        self._judge_answer(session, exchange, "result", result, texts)

    def _judge_answer(
        self, session: Session, exchange: Exchange, part: str, value: Any, texts: list[str]
    ) -> None:
        """DLP and the injection check on the answer's ``part`` ("result" or "error")."""
        assert exchange.response is not None
        redacted = self._judge(session, exchange, value, part)
        if redacted is not value and exchange.decision == "redact":
            exchange.response = {**exchange.response, part: redacted}
            exchange.response_changed = True
        if self.injection != "off":
            self._injection(session, exchange, texts, part)

    def server_message(self, session: Session, exchange: Exchange) -> None:
        """Requests of the server to the client (sampling puts text before the model,
        elicitation before the user) and its notifications: checked as its results are."""
        params = exchange.request.get("params")
        if params is None or not self.scan_results:
            return
        redacted = self._judge(session, exchange, params, "message")
        if redacted is not params and exchange.decision == "redact":
            exchange.request = {**exchange.request, "params": redacted}
            exchange.request_changed = True
        if self.injection != "off":
            self._injection(session, exchange, _strings(params), exchange.method)

    def client_response(self, session: Session, exchange: Exchange) -> None:
        """The client's answer to the server (what the user typed into an elicitation, what
        the model wrote for a sampling request) leaves as a tool call's arguments do: masked or
        refused by the same policy. It goes to the server, not to the model: no injection check."""
        answer = exchange.response
        if answer is None:
            return
        part = "result" if "result" in answer else "error"
        value = answer.get(part)
        if value is None:
            return
        redacted = self._judge(session, exchange, value, "answer")
        if redacted is not value and exchange.decision == "redact":
            exchange.response = {**answer, part: redacted}
            exchange.response_changed = True

    def _judge(self, session: Session, exchange: Exchange, value: Any, where: str) -> Any:
        """Scan ``value``; note the decision on the exchange; the copy to forward (``value``
        itself when nothing is to be masked)."""
        subject = exchange.tool or exchange.method
        matches = self.policy.scan_json(value, tool=f"{session.server}.{subject}")
        if not matches:
            self._keep(exchange, where, value)
            return value
        action = decision(matches)
        # The record masks every match; what is forwarded masks those whose action says so.
        self._keep(exchange, where, redact_json(value, matches))
        redacted = redact_json(value, [m for m in matches if m.action in ("redact", "block")])
        kinds = sorted({m.kind for m in matches})
        exchange.events.append(
            SecurityEvent(
                f"dlp-{where}",
                strongest_severity(m.severity for m in matches),
                f"{len(matches)} match(es) in the {where}s of {subject}: {', '.join(kinds)}",
                tool=exchange.tool,
                detail={"paths": sorted({m.path or "" for m in matches})[:20], "action": action},
            )
        )
        if action == "block":
            exchange.block(f"the {where}s carry {', '.join(kinds)} (DLP policy: block)")
        elif action in ("redact", "alert"):
            exchange.note(action, f"{', '.join(kinds)} in the {where}s ({action})")
        return redacted

    @staticmethod
    def _keep(exchange: Exchange, where: str, value: Any) -> None:
        if where in ("argument", "message"):
            exchange.redacted_arguments = value
        else:
            exchange.redacted_result = value

    def _injection(self, session: Session, exchange: Exchange, texts: list[str], where: str) -> None:
        from mcpward.inspect._detectors import all_detectors
        from mcpward.inspect._surface import tool_item
        from mcpward.inspect.interface import InspectionContext

        if not texts:
            return
        subject = exchange.tool or exchange.method
        item = tool_item(session.server, {"name": str(subject), "description": "\n".join(texts)})
        context = InspectionContext({})
        for detector in all_detectors():
            if detector.learned or detector.category not in _INJECTION:
                continue
            for hit in detector.detect(item, context):
                # Low hits are notes in inspect (ordering advice, "use this instead"): not
                # reasons to withhold a result.
                if hit.category not in _INJECTION or hit.severity.rank < Severity.MEDIUM.rank:
                    continue
                exchange.events.append(
                    SecurityEvent(
                        "injected-instruction",
                        hit.severity.value,
                        f"{where} of {subject}: {hit.why}",
                        tool=exchange.tool,
                    )
                )
                reason = f"the {where} of {subject} carries instructions for the model ({hit.why})"
                if self.injection == "block":
                    exchange.block(reason)
                else:
                    exchange.note("alert", reason)
                return


def _result_texts(result: Any) -> list[str]:
    content = result.get("content") if isinstance(result, dict) else None
    if not isinstance(content, list):
        return []
    return [part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)][
        :50
    ]


def _strings(value: Any, limit: int = 50) -> list[str]:
    """The strings of a JSON value (its leaves, at most ``limit``), for the injection check of
    messages with no fixed shape (errors, sampling and elicitation requests, notifications)."""
    found: list[str] = []
    stack = [value]
    while stack and len(found) < limit:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return found
