"""Secrets and personal data in tool arguments and in every answer and message of the server,
with the DLP engine and policy: ``alert`` records, ``redact`` masks in place, ``block`` refuses.
What the server sends is also read for instructions injected into the model's context, with
inspect's check of untrusted content (``mcpward.inspect.check_content``)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import orjson

from mcpward.dlp.policy import DlpPolicy, decision, strongest_severity
from mcpward.dlp.scanning import redact, redact_json
from mcpward.gateway.interface import (
    MCP_METHODS,
    Exchange,
    Interceptor,
    PipelineContext,
    SecurityEvent,
    Session,
    counter_id,
)
from mcpward.inspect import decoded_text, member_name_read, result_texts
from mcpward.model import Severity

if TYPE_CHECKING:
    from mcpward.gateway._config import GatewayConfig
    from mcpward.gateway._quarantine import Quarantine


#: The members of a tool call's params judged apart (the name by the list it came in).
_CALL_JUDGED = frozenset({"name", "arguments", "inputResponses"})


class Dlp(Interceptor):
    name = "dlp"

    def __init__(
        self,
        policy: DlpPolicy,
        *,
        scan_results: bool = True,
        injection: str = "alert",
        quarantine: Quarantine | None = None,
    ) -> None:
        self.policy = policy
        self.scan_results = scan_results
        #: What an instruction found in a tool result does: "alert", "block", "quarantine" or "off".
        self.injection = injection
        #: Where "quarantine" holds results.
        self.quarantine = quarantine
        if injection == "quarantine" and quarantine is None:
            raise ValueError("injection = quarantine needs a place to hold results")
        if injection != "off":
            import mcpward.inspect.untrusted  # noqa: F401  (its rules compile now, not at the first result)

    @classmethod
    def from_config(cls, config: GatewayConfig, context: PipelineContext) -> Dlp | None:
        if not config.dlp.enabled:
            return None
        from mcpward.dlp.policy import PolicyError, load_policy
        from mcpward.gateway import ConfigError, quarantine

        settings = config.dlp
        try:
            # Without a policy file secrets are masked and personal data recorded.
            policy = (
                load_policy(settings.policy) if settings.policy else DlpPolicy(actions={"secret": "redact"})
            )
        except PolicyError as exc:
            raise ConfigError(str(exc)) from None
        held = quarantine(config, context.audit_log.path) if settings.injection == "quarantine" else None
        return cls(policy, scan_results=settings.scan_results, injection=settings.injection, quarantine=held)

    def request(self, session: Session, exchange: Exchange) -> None:
        self._judge_names(session, exchange, judge_id=True)
        if exchange.decision == "block":
            return
        answers = exchange.params.get("inputResponses")
        if answers is not None:
            # A 2026-07-28 client's answers to what the server asked (what the user typed into
            # a form) ride in its retry of the call (or in tasks/update): judged as a session
            # client's answers are (``client_response``).
            redacted = self._judge(session, exchange, answers, "answer")
            if redacted is not answers and exchange.decision == "redact":
                params = {**exchange.params, "inputResponses": redacted}
                exchange.request = {**exchange.request, "params": params}
                exchange.request_changed = True
        tool = exchange.tool
        if tool is None:
            self._judge_params(session, exchange)
            return
        arguments = exchange.params.get("arguments")
        redacted = self._judge(session, exchange, arguments, "argument")
        if redacted is not arguments and exchange.decision == "redact":
            exchange.request = {**exchange.request, "params": {**exchange.params, "arguments": redacted}}
            exchange.request_changed = True
        if exchange.decision != "block":
            self._judge_call_rest(session, exchange, tool)

    def _judge_call_rest(self, session: Session, exchange: Exchange, tool: str) -> None:
        """A tool call's params beside its arguments leave for the server as any request's do:
        its ``_meta``, a ``task``, a member of the client's own, and the tool's name where no
        list judged it (without pins any name passes). The usual call (the name of a tool the
        session listed, and its arguments) costs no scan more."""
        params = exchange.params
        if tool in session.visible_tools and params.keys() <= _CALL_JUDGED:
            return
        rest = {key: value for key, value in params.items() if key not in ("arguments", "inputResponses")}
        if tool in session.visible_tools:
            del rest["name"]
        kept = exchange.redacted_arguments  # the audit records the arguments alone
        redacted = self._judge(session, exchange, rest, "argument")
        exchange.redacted_arguments = kept
        if redacted is not rest and exchange.decision == "redact":
            exchange.request = {**exchange.request, "params": {**params, **redacted}}
            exchange.request_changed = True

    def _judge_params(self, session: Session, exchange: Exchange) -> None:
        """Any other request leaves for the server as a tool call's arguments do: a
        ``resources/read`` URI (clients such as Claude Code let the model read resources by URI,
        and a template's URI carries what the model puts in it), a prompt's arguments, a
        completion's value sent as the user types it; params that are no object too."""
        params = exchange.request.get("params")
        if isinstance(params, dict):
            params = {key: value for key, value in params.items() if key != "inputResponses"}
        if not params:
            return
        redacted = self._judge(session, exchange, params, "argument")
        # The audit records a request's arguments alone: the policy's masked copy of them (its
        # own rules too; the audit's masking knows the default rules only).
        kept = exchange.redacted_arguments
        exchange.redacted_arguments = kept.get("arguments") if isinstance(kept, dict) else None
        if redacted is not params and exchange.decision == "redact":
            whole = {**exchange.params, **redacted} if isinstance(redacted, dict) else redacted
            exchange.request = {**exchange.request, "params": whole}
            exchange.request_changed = True

    def client_notification(self, session: Session, exchange: Exchange) -> None:
        """A notification of the client leaves for the server as a request's params do: a
        cancellation's ``reason``, a progress ``message``, any ``_meta`` (a client may put the
        model's words there, and what the server sends of its own is judged too). The audit
        records the params whole, with every match of the policy masked (``_keep``), as it
        records a server notification's."""
        self._judge_names(session, exchange, judge_id=False)
        if exchange.decision == "block":
            return
        params = exchange.request.get("params")
        if not params:
            return
        redacted = self._judge(session, exchange, params, "argument")
        if redacted is not params and exchange.decision == "redact":
            exchange.request = {**exchange.request, "params": redacted}
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
        # A tool result's fields besides its content and `_meta` (a task, whose status message
        # a client shows, beside or instead of `content`) are read whole, as other answers are.
        if exchange.tool is not None and isinstance(result, dict):
            read = (
                ("content", "structuredContent", "_meta") if isinstance(result.get("content"), list) else ()
            )
            rest = {k: v for k, v in result.items() if k not in read}
            texts = [text for _, text in result_texts(result)] + _strings(rest)
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
        if not self.scan_results:
            return
        self._judge_names(session, exchange, judge_id="id" in exchange.request)
        params = exchange.request.get("params")
        if params is None or exchange.decision == "block":
            return
        redacted = self._judge(session, exchange, params, "message")
        if redacted is not params and exchange.decision == "redact":
            exchange.request = {**exchange.request, "params": redacted}
            exchange.request_changed = True
        if self.injection != "off":
            # Named as the record names the method: masked where the policy found something in it.
            self._injection(session, exchange, _strings(params), _shown(exchange))

    def client_response(self, session: Session, exchange: Exchange) -> None:
        """The client's answer to the server (what the user typed into an elicitation, what
        the model wrote for a sampling request) leaves as a tool call's arguments do: masked or
        refused by the same policy. It goes to the server, not to the model: no injection check."""
        answer = exchange.response
        if answer is None:
            return
        if exchange.method == "response":
            # An answer to nothing the server asked: its id is the client's to write (the id of
            # an answer to a question is the server's own, judged as the question came).
            self._judge_names(session, exchange, judge_id=True)
            if exchange.decision == "block":
                return
        part = "result" if "result" in answer else "error"
        value = answer.get(part)
        if value is None:
            return
        redacted = self._judge(session, exchange, value, "answer")
        if redacted is not value and exchange.decision == "redact":
            exchange.response = {**answer, part: redacted}
            exchange.response_changed = True

    def _judge_names(self, session: Session, exchange: Exchange, *, judge_id: bool) -> None:
        """The message's id (where ``judge_id``) and its method where it is none of the
        specification's reach the peer as the sender wrote them: judged by the policy as the
        params are. Neither can be masked (a masked id no longer matches its answer, a masked
        method is another method), so what the policy masks or blocks refuses the message;
        what it alerts on passes with its event. The record keeps both masked
        (``masked_names``). A counter, an id too short to hold a number a rule reads, and the
        specification's methods cost no scan; a string is read as text (a third of what reading
        it as JSON costs: a UUID id, 30 us), a number as params' numbers are."""
        named: dict[str, Any] = {}
        request_id = exchange.id
        if judge_id and not counter_id(request_id):
            named["id"] = request_id
        if exchange.method not in MCP_METHODS:
            named["method"] = exchange.method
        tool = f"{session.server}.{exchange.method}"
        # Every part judged, as the record keeps it (masked where found): the audit masks
        # again only what no one judged.
        masked: dict[str, Any] = {}
        matches = []
        for part, value in named.items():
            if isinstance(value, str):
                found = self.policy.scan_text(value, tool=tool)
                masked[part] = redact(value, found) if found else value
            else:
                found = self.policy.scan_json(value, tool=tool)
                masked[part] = redact_json(value, found) if found else value
            matches += [replace(match, path=f"$.{part}") for match in found]
        exchange.masked_names = masked or None
        if not matches:
            return
        action = decision(matches)
        kinds = ", ".join(sorted({m.kind for m in matches}))
        parts = " and ".join(sorted({(m.path or "")[2:] for m in matches}))
        exchange.events.append(
            SecurityEvent(
                "dlp-name",
                strongest_severity(m.severity for m in matches),
                f"{len(matches)} match(es) in the message's {parts}: {kinds}",
                detail={"paths": sorted({m.path or "" for m in matches}), "action": action},
            )
        )
        if action in ("redact", "block"):
            # Quoted by neither the reason nor the event: both reach the record and the sender.
            exchange.block(
                f"the message's {parts} carries {kinds} (DLP policy: {action}; it cannot be masked)"
            )
        elif action == "alert":
            exchange.note("alert", f"{kinds} in the message's {parts} (alert)")

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
                f"{len(matches)} match(es) in the {where}s of {_shown(exchange)}: {', '.join(kinds)}",
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
        if where == "answer" and exchange.response is None:
            exchange.redacted_input_responses = value  # answers in a request (``inputResponses``)
            return
        if where in ("argument", "message"):
            exchange.redacted_arguments = value
        else:
            exchange.redacted_result = value

    def _injection(self, session: Session, exchange: Exchange, texts: list[str], where: str) -> None:
        """inspect's check of untrusted content on the texts the model will read; the worst
        finding decides (the evidence is masked by the DLP rules before it is recorded)."""
        from mcpward.dlp import redact_text
        from mcpward.inspect import check_answer

        if not texts:
            return
        findings, _ = check_answer(texts)
        if not findings:
            return
        subject, shown = exchange.tool or exchange.method, _shown(exchange)
        families = sorted({finding.family for finding in findings})
        severity = max((finding.severity for finding in findings), key=lambda s: s.rank)
        summary = [
            {"family": f.family, "severity": f.severity.value, "index": f.index,
             "evidence": redact_text(self._masked(session, subject, f.evidence))[:200]}
            for f in findings[:20]
        ]  # fmt: skip
        exchange.events.append(
            SecurityEvent(
                "injected-instruction",
                severity,
                f"{where} of {shown}: {', '.join(families)}",
                tool=exchange.tool,
                detail={"findings": summary},
            )
        )
        reason = f"the {where} of {shown} carries instructions for the model ({', '.join(families)})"
        answered = exchange.response is not None and where in ("result", "error")  # not a method so named
        if self.injection == "quarantine" and answered and exchange.decision != "block":
            self._hold(session, exchange, where, shown, families, summary)
        elif self.injection in ("block", "quarantine"):
            # A message the server sends of its own is no answer to hold: it is refused.
            exchange.block(reason)
        else:
            exchange.note("alert", reason)

    def _masked(self, session: Session, subject: str, text: str) -> str:
        """``text`` with every match of the policy masked, as the answer it came from is in the
        record: a finding's words can hold a card or phone number the answer's copy masks."""
        matches = self.policy.scan_text(text, tool=f"{session.server}.{subject}")
        return redact(text, matches) if matches else text

    def _hold(
        self,
        session: Session,
        exchange: Exchange,
        where: str,
        subject: str,
        families: list[str],
        findings: list[dict[str, Any]],
    ) -> None:
        """Withhold the answer for a reviewer (or let it pass once if one released it)."""
        from mcpward.gateway._quarantine import QuarantineError, allowance_key, now_text

        assert self.quarantine is not None
        redacted = exchange.redacted_result  # every DLP match masked: no secret value is kept
        key = allowance_key(session.server, subject, {where: redacted})
        released = self.quarantine.use_allowance(key)
        if released is not None:
            # The release matched the answer with every DLP match masked, so the server's values
            # under the masks may differ from the held one's: what passes is what the reviewer
            # released, masks and all, never values no reviewer saw.
            assert exchange.response is not None
            exchange.response = {**exchange.response, where: redacted}
            exchange.response_changed = True
            exchange.events.append(
                SecurityEvent(
                    "quarantine-release-used",
                    Severity.MEDIUM,
                    f"the {where} of {subject} was released by a reviewer ({released}): passed once",
                    tool=exchange.tool,
                    detail={"id": released},
                )
            )
            exchange.note("alert", f"the {where} of {subject} was released by a reviewer ({released})")
            return
        record = {
            "at": now_text(),
            "server": session.server,
            "client": session.client,
            "method": _method_shown(exchange),
            "tool": exchange.tool,
            "subject": subject,
            "arguments": exchange.redacted_arguments,
            "families": families,
            "findings": findings,
            "result": {where: redacted},
        }
        try:
            held_id, digest = self.quarantine.hold(record)
        except (QuarantineError, OSError) as exc:
            why = str(exc) if isinstance(exc, QuarantineError) else type(exc).__name__
            exchange.events.append(
                SecurityEvent("quarantine-refused", Severity.HIGH, f"not held: {why}", tool=exchange.tool)
            )
            exchange.block(
                f"the {where} of {subject} carries instructions for the model ({', '.join(families)}) "
                f"and could not be held for review ({why}); refused"
            )
            return
        exchange.held = held_id
        exchange.events.append(
            SecurityEvent(
                "quarantined",
                Severity.HIGH,
                f"the {where} of {subject} was held for review as {held_id}",
                tool=exchange.tool,
                # The audit keeps the redacted result as it keeps a forwarded one (truncated);
                # the held file keeps it whole for the reviewer.
                detail={
                    "id": held_id,
                    "sha256": digest,
                    "families": families,
                    "result": _truncated(record["result"]),
                },
            )
        )
        exchange.block(
            f"the {where} of {subject} was held for review as {held_id}: it carries instructions for "
            f"the model ({', '.join(families)}); a reviewer decides with `mcpward gateway release "
            f"{held_id}` or `mcpward gateway discard {held_id}`"
        )


def _shown(exchange: Exchange) -> str:
    """What names the message in events and reasons: its tool, else its method as shown."""
    return exchange.tool or _method_shown(exchange)


def _method_shown(exchange: Exchange) -> str:
    """The message's method as the record keeps it: masked where DLP's policy found something
    there."""
    return str((exchange.masked_names or {}).get("method", exchange.method))


#: As the audit keeps results: up to this many characters of their JSON.
_RESULT_CHARS = 16_384


def _truncated(value: Any) -> Any:
    text = orjson.dumps(value)
    if len(text) <= _RESULT_CHARS:
        return value
    return {"truncated": True, "json": text[:_RESULT_CHARS].decode("utf-8", "replace")}


def _strings(value: Any) -> list[str]:
    """The strings of a JSON value (all its leaves and member names: the model reads all of them), for the
    injection check of messages with no fixed shape (resource reads, prompts, errors, sampling
    and elicitation requests, notifications, a task's deferred result), and the text base64
    blobs and data spell. ``check_answer`` reads up to 50 one by one (a finding names its
    string), and them all together, so that many small strings cost one linear pass, not a
    pass each. The message's size bounds the work (``max_message``); a cap on the count let an
    order hide in the 51st."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            # Member names too (but one-word ones): a client that gives the model JSON gives it
            # the keys.
            members: list[Any] = []
            for key, child in item.items():
                if member_name_read(key):
                    members.append(key)
                members.append(child)
            stack.extend(reversed(members))
            # A blob of resource contents, an image's or audio's data: text sent as base64
            # (see ``decoded_text``) is read as the text it spells.
            encoded = item.get("blob", item.get("data") if "mimeType" in item else None)
            decoded = decoded_text(encoded)
            if decoded is not None:
                found.append(decoded)
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return found
