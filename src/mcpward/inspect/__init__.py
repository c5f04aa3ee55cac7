"""``mcpward inspect``: what servers tell the model, checked for poisoning and rug pulls.

Works offline on ``tools/list`` results saved as files; nothing leaves the machine.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcpward import __version__
from mcpward._documents import DocumentError, read_text
from mcpward._fork import default_workers, fork_map
from mcpward._lazy import lazy_attributes
from mcpward._regex import compiled
from mcpward.dlp import redact_text
from mcpward.inspect._detectors import all_detectors
from mcpward.inspect._detectors._patterns import WHOLE_PATTERNS
from mcpward.inspect._families import family_of
from mcpward.inspect._fetch import RefusedItem, ServerTarget, expand, fetch_all
from mcpward.inspect._pins import (
    Change,
    PinStore,
    PinStoreError,
    check_expected,
    chosen_pins,
    compare,
    forwarded,
    pin_record,
    pin_store_lock,
    readable_diff,
    signature,
)
from mcpward.inspect._read_only import ReadOnlyJudgement, classify_read_only
from mcpward.inspect._scorer import Scorer
from mcpward.inspect._surface import (
    INSTRUCTIONS_NAME,
    SERVER_INFO_KEYS,
    SurfaceError,
    instructions_item,
    prompt_item,
    resource_item,
    signed_server_info,
    tool_item,
    tools_from_document,
)
from mcpward.inspect.interface import Detector, Hit, InspectionContext, SurfaceItem
from mcpward.model import AttackFamily, Category, Finding, Report, ScanError, Severity, ToolSignature
from mcpward.output.words import counted

if TYPE_CHECKING:
    from mcpward.inspect._results import (
        ResultsError,
        decoded_text,
        inspect_results,
        member_name_read,
        result_texts,
    )
    from mcpward.inspect._run_profile import load_run_profile
    from mcpward.inspect.untrusted import ContentFinding, check_answer, check_content
    from mcpward.sandbox.interface import Profile
    from mcpward.scan.interface import DiscoveredServer

#: Exported, imported at the first use: the check of untrusted content compiles its rules when
#: imported (about 75 ms), which a look at tools files never needs.
__getattr__ = lazy_attributes(
    __name__,
    {
        "ContentFinding": ("mcpward.inspect.untrusted", "ContentFinding"),
        "check_answer": ("mcpward.inspect.untrusted", "check_answer"),
        "check_content": ("mcpward.inspect.untrusted", "check_content"),
        "ResultsError": ("mcpward.inspect._results", "ResultsError"),
        "decoded_text": ("mcpward.inspect._results", "decoded_text"),
        "inspect_results": ("mcpward.inspect._results", "inspect_results"),
        "member_name_read": ("mcpward.inspect._results", "member_name_read"),
        "result_texts": ("mcpward.inspect._results", "result_texts"),
        "load_run_profile": ("mcpward.inspect._run_profile", "load_run_profile"),
    },
)

__all__ = [
    "SERVER_INFO_KEYS",
    "Change",
    "ContentFinding",
    "InspectOptions",
    "PinStore",
    "PinStoreError",
    "ReadOnlyJudgement",
    "RefusedItem",
    "ResultsError",
    "ServerSurface",
    "ServerTarget",
    "SurfaceError",
    "check_answer",
    "check_content",
    "check_expected",
    "chosen_pins",
    "classify_read_only",
    "compare",
    "decoded_text",
    "fetch_all",
    "forwarded",
    "inspect_results",
    "inspect_servers",
    "inspect_tool_texts",
    "instructions_item",
    "load_run_profile",
    "member_name_read",
    "pin_record",
    "pin_store_lock",
    "prompt_item",
    "readable_diff",
    "refused_finding",
    "resource_item",
    "result_texts",
    "run_inspect",
    "signature",
    "signed_server_info",
    "targets_from_scan",
    "tool_item",
]


@dataclass(slots=True)
class ServerSurface:
    """What one server exposes, however it was obtained."""

    name: str
    origin: str  # a file path or a URL
    items: list[SurfaceItem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class InspectOptions:
    tools_files: tuple[Path, ...] = ()
    servers: tuple[ServerTarget, ...] = ()
    timeout: float = 20.0
    pin: bool = False
    pin_store: Path | None = None


#: Where a config is one a plugin or an extension brings (the scan's variants of a location).
_BROUGHT = frozenset({"plugin", "plugin-manifest", "extension"})


def _only_offered(server: DiscoveredServer) -> bool:
    """Whether the server is a plugin's that a marketplace only offers: Claude Code clones a
    marketplace whole into ``plugins/marketplaces/<name>/`` (every plugin it offers, the
    official one's for everyone) and copies a plugin it installs into ``plugins/cache/``."""
    parts = server.location.path.parts
    in_a_clone = ("plugins", "marketplaces") in itertools.pairwise(parts)
    return server.location.variant in _BROUGHT and in_a_clone


def targets_from_scan(
    *,
    run_stdio: bool,
    environ: dict[str, str] | None = None,
    sandboxed: bool = True,
    profile: Profile | None = None,
) -> tuple[list[ServerTarget], list[ScanError]]:
    """The servers configured on this machine, as ``scan`` finds them: remote ones always,
    stdio ones only when ``run_stdio`` (starting them runs their code). Header and environment
    values are filled in from the environment; one that asks the client for input is dropped.
    A stdio server is started in the sandbox (the first backend that works here, chosen as
    ``mcpward sandbox run`` chooses it: :class:`mcpward.sandbox.SandboxError` where none does)
    unless ``sandboxed`` is False: then as the user, unconfined. ``profile`` (from
    :func:`load_run_profile`): what the sandbox grants each beyond its own variables."""
    from mcpward.scan import ScanOptions, discovered_servers

    chosen: list[str] = []  # the sandbox's backend, chosen at the first stdio server

    def sandbox() -> str | None:
        if not sandboxed:
            return None
        if not chosen:
            from mcpward.sandbox import choose_backend

            chosen.append(choose_backend(None).name)
        return chosen[0]

    targets: list[ServerTarget] = []
    skipped: list[ScanError] = []
    offered: list[DiscoveredServer] = []
    for server in discovered_servers(ScanOptions()):
        name = f"{server.host}/{server.name}"
        if server.transport is None or server.disabled:
            continue
        if _only_offered(server):
            # Never installed, never started by its client: asking it (--run: starting it) ran
            # the code, or sent the requests, of any plugin's author of the marketplace.
            offered.append(server)
            continue
        if server.url:
            # A plugin's or an extension's config is its author's, and a marketplace's clone holds
            # every plugin it offers, installed or not: the environment's values (a token, a key)
            # were sent to any server such a config named. Filled in for the user's own only.
            brought = server.plugin is not None or server.location.variant in _BROUGHT
            filled = {} if brought else environ
            url = expand(server.url, filled)
            headers = {
                key: value
                for key, raw in server.headers.items()
                if (value := expand(raw, filled)) is not None
            }
            if url:
                transport = server.transport.value
                targets.append(ServerTarget(name, transport, url=url, headers=headers, third_party=brought))
            elif brought:
                message = f"{server.name}: not asked: its URL names an environment variable, which is "
                message += "not filled in for a plugin's or an extension's server (ask it with --url)"
                skipped.append(ScanError(path=str(server.location.path), host=name, message=message))
        elif run_stdio and server.command:
            env = {
                key: value for key, raw in server.env.items() if (value := expand(raw, environ)) is not None
            }
            target = ServerTarget(
                name,
                "stdio",
                command=server.command,
                args=server.args,
                env=env,
                sandbox=sandbox(),
                profile=profile if sandboxed else None,
            )
            targets.append(target)
        else:
            skipped.append(
                ScanError(
                    path=str(server.location.path),
                    host=name,
                    # Named: three of one config read as the same line three times.
                    message=f"stdio server {server.name} not started; inspect it with --run",
                )
            )
    if offered:
        message = f"{counted(len(offered), 'server')} of plugins that a marketplace offers, not installed, "
        message += "not asked (an installed plugin's are)"
        path = str(offered[0].location.path.parent)
        skipped.append(ScanError(path=path, host=offered[0].host, message=message))
    return targets, skipped


def default_pin_store() -> Path:
    from mcpward._paths import user_data_dir

    return user_data_dir() / "pins.json"


def surface_from_tools_file(path: Path) -> ServerSurface:
    text = read_text(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(
            f"JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        # Nested thousands of levels deep: the parser's stack ran out (an internal error).
        raise DocumentError("JSON nested too deeply") from None
    tools = [_wire_names(tool) for tool in tools_from_document(document)]
    name = _server_name(document) or path.stem
    return ServerSurface(name, str(path), [tool_item(name, tool) for tool in tools])


#: The official Python SDK's field names for the wire's, as its default ``model_dump()`` writes
#: them into a saved file. Read only under the wire's names, a schema saved so was never inspected
#: and its pins never matched the gateway's.
_SDK_FIELD_NAMES = {"input_schema": "inputSchema", "output_schema": "outputSchema"}
_SNAKE = compiled(r"_([a-z])")


def _wire_names(tool: dict[str, Any]) -> dict[str, Any]:
    """A saved tool under the wire's field names (a wire name already present wins, as it does
    for the SDK); annotation keys likewise (``read_only_hint`` -> ``readOnlyHint``)."""
    if not any(key in tool for key in _SDK_FIELD_NAMES) and not isinstance(tool.get("annotations"), dict):
        return tool
    renamed = {key: value for key, value in tool.items() if key not in _SDK_FIELD_NAMES}
    for snake, wire in _SDK_FIELD_NAMES.items():
        if snake in tool and wire not in renamed:
            renamed[wire] = tool[snake]
    annotations = renamed.get("annotations")
    if isinstance(annotations, dict):
        camel = {key: value for key, value in annotations.items() if "_" not in key}
        for key, value in annotations.items():
            camel.setdefault(_SNAKE.sub(lambda match: match.group(1).upper(), key), value)
        renamed["annotations"] = camel
    return renamed


def _server_name(document: Any) -> str | None:
    if isinstance(document, dict):
        info = document.get("serverInfo") or document.get("server")
        if isinstance(info, dict) and isinstance(info.get("name"), str):
            return str(info["name"])
        if isinstance(info, str):
            return info
    return None


_CHANGE_SEVERITY = {
    "tool-changed": Severity.HIGH,
    "tool-added": Severity.MEDIUM,
    "tool-renamed": Severity.MEDIUM,
    "tool-removed": Severity.LOW,
}


def inspect_servers(
    servers: list[ServerSurface],
    pins: PinStore | None = None,
    *,
    record_pins: bool = False,
    use_scorer: bool = True,
    scorer: Scorer | None = None,
) -> list[Finding]:
    """``scorer``: weights to use instead of the shipped ones (the benchmarks train their own)."""
    looked = _told_apart(servers)
    context = InspectionContext({s.name: {i.name for i in s.items if i.kind == "tool"} for s in looked})
    context.scorer = scorer
    if len(looked) > 1:  # function overlapping compares descriptions across servers (lazily)
        context.derived["overlap.descriptions"] = {
            (s.name, i.name): i.raw.get("description") for s in looked for i in s.items if i.kind == "tool"
        }
    detectors = [d for d in all_detectors() if use_scorer or not d.learned]
    # The detectors read the items as ``looked`` names them; findings and pins name the server.
    pairs = [(server, item) for server, seen in zip(servers, looked, strict=True) for item in seen.items]
    # One native pass decides most patterns (before any worker is forked, which inherits it);
    # the one-off compile pays only on a large surface, a cached database always.
    WHOLE_PATTERNS.prepare(compile_missing=len(pairs) >= _PARALLEL_FROM)
    shared = Counter(server.name for server in servers)
    findings: list[Finding] = []
    # Signatures are made only where they are compared or recorded: a first look at a server
    # (no pins for it yet) does not pay for them.
    signing = {s.name for s in servers if pins is not None and (record_pins or pins.has(s.name))}
    signed = {index for index, (server, _) in enumerate(pairs) if server.name in signing}
    hits, signatures = _detect(pairs, detectors, context, signed)
    # The learned scorer raises a finding only beside another signal on the same item (it is
    # not even run without one: _detect): alone, generic words of everyday file, git and
    # document tools would carry it.
    for index, hit in hits:
        server, item = pairs[index]
        severity = hit.severity
        family = family_of(hit.rule, hit.category)
        findings.append(
            Finding(
                rule=hit.rule,
                category=hit.category,
                severity=severity,
                family=family,
                message=f"{item.kind} {item.name!r}, {hit.path}: {hit.why}"
                + (f" ({family.value.replace('-', ' ')})." if family else ".")
                + _one_of(item.server, server, shared),
                remediation="Do not approve this server until the text is explained; a "
                "description is read by the model as instructions.",
                server=server.name,
                config_path=server.origin,
                evidence=redact_text(hit.matched),
                tool=item.name,
                field=hit.path,
            )
        )
    position = 0  # pairs, and so the signatures made, run server by server
    for server, seen in zip(servers, looked, strict=True):
        if pins is None or server.name not in signing:
            continue
        mine = signatures[position : position + len(server.items)]
        position += len(server.items)
        if not record_pins:
            # Each server of a shared name is compared with the one name's pins: what one
            # lacks of the other's reads "removed" unless the finding says which it is.
            note = _one_of(seen.name, server, shared)
            findings.extend(
                _change_finding(server, change, note) for change in pins.compare(server.name, mine)
            )
        else:
            pins.pin(server.name, mine)
    return sorted(findings, key=lambda f: (-f.severity.rank, f.server or "", f.tool or "", f.rule))


def _one_of(label: str, server: ServerSurface, shared: Counter[str]) -> str:
    """What tells a finding's server from the others of its name in the run (nothing if none)."""
    if shared[server.name] < 2:
        return ""
    return f" {label} is one of {shared[server.name]} servers of this name here: {server.origin}."


def _told_apart(servers: list[ServerSurface]) -> list[ServerSurface]:
    """The servers as the detectors see them: those sharing a name (``--scan`` names a
    plugin's or a project's ``github`` like the user's own) as ``name#1``, ``name#2``. Under one
    name the detectors that compare servers took each for the other's own tools: a description
    ordering the model to call the trusted server's ``create_issue``, or a tool named to look
    like it, passed as the same server's, and two such servers alone were "one server"."""
    count = Counter(server.name for server in servers)
    taken = set(count)  # a label is no other server's name ("github#1" may be one)
    seen: Counter[str] = Counter()
    looked = []
    for server in servers:
        if count[server.name] == 1:
            looked.append(server)
            continue
        label = server.name
        while label in taken:
            seen[server.name] += 1
            label = f"{server.name}#{seen[server.name]}"
        taken.add(label)
        looked.append(ServerSurface(label, server.origin, [item.under(label) for item in server.items]))
    return looked


def inspect_tool_texts(server: str, tools: list[tuple[str, str]]) -> list[Finding]:
    """The detectors on tools known only by name and description (``vet`` finds them in a
    package's code, where no server answers ``tools/list``). Each finding names its tool.
    The rule-based detectors only: vet judges code, and the learned scorer is tuned on
    descriptions as servers serve them."""
    surface = ServerSurface(
        server, server, [tool_item(server, {"name": name, "description": text}) for name, text in tools]
    )
    return inspect_servers([surface], use_scorer=False)


#: Below this many items a forked worker costs more than it saves.
_PARALLEL_FROM = 2000


def _detect(
    pairs: list[tuple[ServerSurface, SurfaceItem]],
    detectors: list[Detector],
    context: InspectionContext,
    signed: set[int],
) -> tuple[list[tuple[int, Hit]], list[tuple[ToolSignature, str]]]:
    """Every detector's hits on every item, as (item position, hit), and the signatures of the
    items at the ``signed`` positions, in order. Large surfaces are shared between forked
    workers: this is pure CPU work on data the children inherit."""

    rules = [d for d in detectors if not d.learned]
    learned = [d for d in detectors if d.learned]

    def run(bounds: tuple[int, int]) -> tuple[list[tuple[int, Hit]], list[tuple[ToolSignature, str]]]:
        hits: list[tuple[int, Hit]] = []
        for index in range(*bounds):
            found = [hit for detector in rules for hit in detector.detect(pairs[index][1], context)]
            if found:  # the learned scorer speaks only beside another signal (and costs only then)
                found += [hit for detector in learned for hit in detector.detect(pairs[index][1], context)]
            hits.extend((index, hit) for hit in found)
        return hits, [
            signature(pairs[index][0].name, pairs[index][1].kind, pairs[index][1].raw)
            for index in range(*bounds)
            if index in signed
        ]

    workers = default_workers()
    # fork is only safe with no other thread that might hold a lock the child would need.
    if len(pairs) < _PARALLEL_FROM or workers < 2 or threading.active_count() > 1:
        return run((0, len(pairs)))
    step = -(-len(pairs) // workers)
    shares = fork_map(run, [(start, min(start + step, len(pairs))) for start in range(0, len(pairs), step)])
    return [hit for hits, _ in shares for hit in hits], [one for _, signed in shares for one in signed]


_INSTRUCTIONS_CHANGE = {
    "tool-changed": "changed since they were pinned",
    "tool-added": "are new since the pin",
    "tool-removed": "were removed since the pin",
    "tool-renamed": "changed since they were pinned",
}


def _change_finding(server: ServerSurface, change: Change, note: str = "") -> Finding:
    what = {
        "tool-changed": "changed since it was pinned",
        "tool-added": "is new since the pin",
        "tool-removed": "was removed since the pin",
        "tool-renamed": f"was renamed from {change.previous_name!r} (same content)",
    }[change.kind]
    # Named as the findings on its text name it.
    name = INSTRUCTIONS_NAME if change.item_kind == "instructions" else change.name
    return Finding(
        rule=change.kind,
        category=Category.TOOL_CHANGED,
        family=AttackFamily.RUG_PULL,
        severity=_CHANGE_SEVERITY[change.kind],
        message=(
            f"{change.item_kind} {change.name!r} {what}."
            if change.item_kind != "instructions"
            else f"the server's instructions {_INSTRUCTIONS_CHANGE[change.kind]}."
        )
        + note,
        remediation="Review the change; approve it with `mcpward inspect --pin` once it is understood.",
        server=server.name,
        config_path=server.origin,
        evidence=redact_text(change.diff) or None,
        tool=name,
    )


def refused_finding(item: RefusedItem) -> Finding:
    """A listed item the official SDK cannot read (as :func:`fetch_all` gives them): a client
    built on it refuses the server's whole list for it (so it hides the server's other tools
    from such a client's review), and a server that sends one is broken or hiding something."""
    return Finding(
        rule="unreadable-item",
        category=Category.PARSE_ERROR,
        severity=Severity.MEDIUM,
        message=f"{item.kind} {item.name!r} is listed in a form the MCP client cannot read "
        f"({item.reason}); an SDK-based client refuses the whole list for it.",
        remediation="Find out why the server lists it so; do not approve the server until it is explained.",
        server=item.server,
        config_path=item.origin,
        tool=item.name,
    )


def run_inspect(options: InspectOptions) -> Report:
    servers: list[ServerSurface] = []
    errors: list[ScanError] = []
    #: Servers a part of whose look failed: what was read is inspected, never pinned, and what
    #: was not read is not reported as removed.
    partial: set[str] = set()
    for path in options.tools_files:
        try:
            servers.append(surface_from_tools_file(path))
        except (DocumentError, SurfaceError) as exc:
            errors.append(ScanError(path=str(path), message=str(exc)))
    if options.servers:
        refused: list[RefusedItem] = []
        fetched, failures = fetch_all(list(options.servers), options.timeout, refused)
        servers.extend(ServerSurface(target.name, target.origin, items) for target, items in fetched)
        errors.extend(failures)
        partial = {failure.host for failure in failures if failure.host is not None}
    # A name two servers of this run share (``--scan`` names a plugin's or a project's
    # ``github`` like the user's own) is pinned for neither: the pins of the one listed last
    # replaced the other's under the shared name.
    shared = Counter(server.name for server in servers)
    for name, count in shared.items():
        if count > 1 and options.pin:
            message = f"{count} servers are named {name!r} here; none of them pinned"
            message += " (the pins of one would replace the others')"
            errors.append(ScanError(path=name, message=message, host=name))
    path = options.pin_store or default_pin_store()
    store = PinStore(path)
    findings = inspect_servers(servers, store, record_pins=options.pin)
    findings = [f for f in findings if not (f.rule == "tool-removed" and f.server in partial)]
    if options.servers:
        findings.extend(refused_finding(item) for item in refused)
    whole = [server for server in servers if server.name not in partial and shared[server.name] == 1]
    if options.pin:
        # The servers inspected now, written into the store as it is now: gateways and
        # approvals may have written it while the servers were fetched.
        with pin_store_lock(path):
            current = PinStore(path)
            current.data.update({server.name: store.data[server.name] for server in whole})
            current.save()
    return Report(
        tool_version=__version__,
        command="inspect",
        generated_at=datetime.now(UTC),
        subject=", ".join(f"{s.name} ({len(s.items)} items)" for s in servers) or "nothing",
        findings=tuple(findings),
        errors=tuple(errors),
        examined=(
            ("servers", len(servers)),
            ("items", sum(len(s.items) for s in servers)),
            *((("pinned", sum(len(s.items) for s in whole)),) if options.pin else ()),
        ),
    )
