"""JavaScript and TypeScript, parsed with tree-sitter.

String values are folded the way a reviewer reads them: concatenations, template strings,
constants, ``[...].join("")``, ``String.fromCharCode``, ``atob`` and ``Buffer.from(..,
"base64")`` all give their literal, so a recipient assembled from pieces is still found.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from mcpward.vet._code._javascript_threats import JavaScriptThreats
from mcpward.vet._code.interface import (
    CLOCK_EVERY,
    DESTINATION_KEYS,
    SINK_CALLS,
    AnalysisBudget,
    Capability,
    CapabilityUse,
    CodeFacts,
    Destination,
    Obfuscation,
    SourceAnalyzer,
    destinations_in,
    is_media_blob,
    names_sensitive_path,
)

MAX_SOURCE_BYTES = 4 * 1024 * 1024
MAX_FOLDED = 16_384
MAX_FOLD_DEPTH = 64
#: Characters all folded values of one file may add up to (each is at most MAX_FOLDED).
MAX_FOLD_CHARS = 32 * 1024 * 1024
#: Callee and member names longer than this are not names (an inline function, a huge chain).
MAX_NAME = 256
_ENCODED_BLOB = re.compile(r"^(?:[A-Za-z0-9+/]{400,}={0,2}|[0-9a-fA-F]{600,})$")
_PROCESS_MODULES = {"child_process", "node:child_process", "execa", "shelljs", "cross-spawn"}
_NETWORK_MODULES = {
    "http",
    "https",
    "net",
    "tls",
    "dgram",
    "node:http",
    "node:https",
    "node:net",
    "node:tls",
    "node:dgram",
    "axios",
    "node-fetch",
    "got",
    "undici",
    "ws",
    "nodemailer",
    "postmark",
    "@sendgrid/mail",
    "request",
    "superagent",
    "ky",
    "mailgun.js",
    "resend",
}
_PROCESS_CALLS = {"exec", "execsync", "spawn", "spawnsync", "execfile", "execfilesync", "fork", "execa"}
_DYNAMIC_CALLS = {"eval", "runinthiscontext", "runinnewcontext", "runincontext", "compilefunction"}


@cache
def _parsers() -> dict[str, Any]:
    import tree_sitter_javascript
    import tree_sitter_typescript
    from tree_sitter import Language, Parser

    return {
        "js": Parser(Language(tree_sitter_javascript.language())),
        "ts": Parser(Language(tree_sitter_typescript.language_typescript())),
        "tsx": Parser(Language(tree_sitter_typescript.language_tsx())),
    }


class JavaScriptAnalyzer(SourceAnalyzer):
    suffixes = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")

    def analyze(self, path: str, source: bytes, budget: AnalysisBudget | None = None) -> CodeFacts:
        facts = CodeFacts()
        if path.endswith((".d.ts", ".d.mts", ".d.cts")):
            return facts
        if len(source) > MAX_SOURCE_BYTES:
            facts.skipped.append(
                (path, f"{len(source)} bytes: too large to parse (limit {MAX_SOURCE_BYTES})")
            )
            return facts
        budget = budget or AnalysisBudget()
        refusal = budget.admit(source)
        if refusal is not None:
            facts.incomplete.append((path, f"not analysed: {refusal}"))
            return facts
        kind = "tsx" if path.endswith(".tsx") else "ts" if path.endswith((".ts", ".mts", ".cts")) else "js"
        tree = _parsers()[kind].parse(source)
        walk = _FileWalk(path, facts, budget)
        walk.run(tree.root_node)
        if not budget.expired():
            threats = JavaScriptThreats(path, source, tree.root_node, walk.fold, _name, budget.expired)
            threats.run()
            facts.threats.extend(threats.threats)
            facts.tools.extend(threats.tools)
            facts.obfuscation.extend(threats.obfuscation)
        return facts


class _FileWalk:
    """One pass for constants, one for facts, each linear in the tree: a node's ancestors come
    from the walk's own stack (tree-sitter's ``.parent`` searches from the root, which made
    deep trees quadratic), and folded values and their analysis are memoised."""

    def __init__(self, path: str, facts: CodeFacts, budget: AnalysisBudget) -> None:
        self.path = path
        self.facts = facts
        self.budget = budget
        self.constants: dict[str, Any] = {}
        self.folded: dict[int, str | None] = {}
        self.fold_chars = 0
        self.analysed: dict[tuple[str, bool], tuple[list[tuple[str, str]], bool]] = {}
        self.seen: set[tuple[str, int]] = set()

    def run(self, root: Any) -> None:
        for count, (node, _ancestors) in enumerate(_iterate(root)):  # constants first
            if count % CLOCK_EVERY == 0 and self._out_of_time():
                return
            if node.type == "variable_declarator":
                name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
                if name is not None and value is not None and name.type == "identifier":
                    self.constants.setdefault(_text(name), value)
        for count, (node, ancestors) in enumerate(_iterate(root)):
            if count % CLOCK_EVERY == 0 and self._out_of_time():
                return
            handler = _HANDLERS.get(node.type)
            if handler is not None:
                handler(self, node, ancestors)

    def _out_of_time(self) -> bool:
        if not self.budget.expired():
            return False
        self.facts.incomplete.append((self.path, "analysis stopped: the package's analysis time is spent"))
        return True

    # -- folding ----------------------------------------------------------------------------

    def fold(self, node: Any, depth: int = 0) -> str | None:
        key = node.id
        if key in self.folded:
            return self.folded[key]
        self.folded[key] = None  # cycles (const a = a + "x") fold to nothing
        if depth >= MAX_FOLD_DEPTH or self.fold_chars > MAX_FOLD_CHARS:
            return None
        value = self._fold(node, depth)
        if value is not None and len(value) > MAX_FOLDED:
            value = value[:MAX_FOLDED]
        if value is not None:
            self.fold_chars += len(value)
            if self.fold_chars > MAX_FOLD_CHARS:
                self.facts.incomplete.append(
                    (self.path, f"string values folded only in part (limit {MAX_FOLD_CHARS} characters)")
                )
        self.folded[key] = value
        return value

    def _fold(self, node: Any, depth: int) -> str | None:
        kind = node.type
        if kind == "string":
            return _string_value(node)
        if kind == "template_string":
            parts = []
            for child in node.named_children:
                literal = _literal_text(child)
                if literal is not None:
                    parts.append(literal)
                elif child.type == "template_substitution":
                    inner = child.named_children[0] if child.named_children else None
                    value = self.fold(inner, depth + 1) if inner is not None else None
                    if value is None:
                        return None
                    parts.append(value)
            return "".join(parts)
        if kind == "binary_expression" and node.child_by_field_name("operator") is not None:
            if _text(node.child_by_field_name("operator")) != "+":
                return None
            left = self.fold(node.child_by_field_name("left"), depth + 1)
            right = self.fold(node.child_by_field_name("right"), depth + 1)
            return None if left is None or right is None else left + right
        if kind == "parenthesized_expression" and node.named_children:
            return self.fold(node.named_children[0], depth + 1)
        if kind == "identifier":
            if _text(node) == "__dirname":  # the file's own folder: "./x" resolves from there too
                return "."
            target = self.constants.get(_text(node))
            return self.fold(target, depth + 1) if target is not None else None
        if kind == "number":
            return _text(node)
        if kind == "call_expression":
            return self._fold_call(node, depth)
        return None

    def _fold_call(self, node: Any, depth: int) -> str | None:
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        if function is None or arguments is None:
            return None
        args = arguments.named_children
        name = _name(function)
        if function.type == "member_expression":
            target = function.child_by_field_name("object")
            method = _text(function.child_by_field_name("property"))
            if method == "join" and target is not None and target.type == "array":
                separator = self.fold(args[0], depth + 1) if args else ","
                items = [self.fold(item, depth + 1) for item in target.named_children]
                if separator is None or any(i is None for i in items):
                    return None
                return separator.join(i for i in items if i is not None)
            if method in ("join", "resolve") and _is_path_module(target, args):
                # path.join(__dirname, "test", "x.js"): a file of the package, named by its path
                joined = [self.fold(a, depth + 1) for a in args]
                if not joined or any(p is None for p in joined):
                    return None
                value = posixpath.join(*(p for p in joined if p is not None))
                return value if value.startswith(("./", "../", "/")) else "./" + value
            if method == "concat" and target is not None:
                parts = [self.fold(target, depth + 1), *(self.fold(a, depth + 1) for a in args)]
                return None if any(p is None for p in parts) else "".join(p for p in parts if p is not None)
            if name == "String.fromCharCode":
                codes = [self.fold(a, depth + 1) for a in args]
                try:
                    return (
                        "".join(chr(int(c, 0)) for c in codes if c is not None) if None not in codes else None
                    )
                except (ValueError, OverflowError):
                    return None
            if method == "toString" and target is not None and target.type == "call_expression":
                return self._fold_buffer(target, depth)
        if name == "atob" and args:
            return _decode(self.fold(args[0], depth + 1), "base64")
        return None

    def _fold_buffer(self, node: Any, depth: int) -> str | None:
        """``Buffer.from("...", "base64"|"hex").toString()``."""
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        if function is None or arguments is None or _name(function) != "Buffer.from":
            return None
        args = arguments.named_children
        if not args:
            return None
        encoding = self.fold(args[1], depth + 1) if len(args) > 1 else "utf8"
        return _decode(self.fold(args[0], depth + 1), encoding or "")

    # -- facts ------------------------------------------------------------------------------

    def literal(self, node: Any, ancestors: list[Any]) -> None:
        """A string-valued expression: record destinations and sensitive paths in it."""
        parent = ancestors[-1] if ancestors else None
        if (
            parent is not None
            and parent.type
            in ("binary_expression", "template_substitution", "arguments", "parenthesized_expression")
            and self._foldable_parent(ancestors)
        ):
            return  # the enclosing expression reports the whole value
        value = self.fold(node)
        if not value:
            return
        line = node.start_point[0] + 1
        key = self._destination_key(node, ancestors)
        sink = self._sink(key, ancestors)
        destinations, sensitive = self._analyse(value, key in ("host", "hostname", "server"))
        for found, kind in destinations:
            marker = (found, line)
            if marker not in self.seen:
                self.seen.add(marker)
                self.facts.destinations.append(Destination(found, kind, self.path, line, sink))
        if sensitive:
            self.facts.capabilities.append(
                CapabilityUse(Capability.SENSITIVE_FILES, _short(value), self.path, line)
            )
        if (
            node.type == "string"
            and len(value) >= 400
            and _ENCODED_BLOB.match(value)
            and not is_media_blob(value)
        ):
            self.facts.obfuscation.append(
                Obfuscation(f"encoded blob of {len(value)} characters", self.path, line)
            )

    def _analyse(self, value: str, as_host: bool) -> tuple[list[tuple[str, str]], bool]:
        """Destinations in a value and whether it names a sensitive path, once per value: one
        large constant used a thousand times is scanned once."""
        key = (value, as_host)
        known = self.analysed.get(key)
        if known is None:
            found = destinations_in(value, as_host=as_host)
            known = (found, names_sensitive_path(value))
            self.analysed[key] = known
        return known

    def _foldable_parent(self, ancestors: list[Any]) -> bool:
        parent = ancestors[-1]
        if parent.type == "arguments":
            call = ancestors[-2] if len(ancestors) > 1 else None
            function = call.child_by_field_name("function") if call is not None else None
            name = _name(function)
            return name in ("String.fromCharCode", "atob", "Buffer.from") or name.endswith(
                (".join", ".concat")
            )
        return self.fold(parent) is not None

    def _destination_key(self, node: Any, ancestors: list[Any]) -> str | None:
        """The property a value is assigned to: ``{bcc: v}``, ``mail.bcc = v``."""
        child, level = node, len(ancestors) - 1
        for _ in range(3):  # through arrays and parentheses: {to: ["a@b.c"]}
            if level < 0:
                return None
            parent = ancestors[level]
            if parent.type == "pair" and parent.child_by_field_name("value") == child:
                key = parent.child_by_field_name("key")
                return _key_name(key)
            if parent.type == "assignment_expression" and parent.child_by_field_name("right") == child:
                left = parent.child_by_field_name("left")
                if left is not None and left.type == "member_expression":
                    return _key_name(left.child_by_field_name("property"))
                return None
            if parent.type not in (
                "array",
                "parenthesized_expression",
                "binary_expression",
                "template_string",
            ):
                return None
            child, level = parent, level - 1
        return None

    def _sink(self, key: str | None, ancestors: list[Any]) -> str | None:
        if key in DESTINATION_KEYS:
            return f"{key} field"
        for ancestor in ancestors[:-13:-1]:
            if ancestor.type in ("call_expression", "new_expression"):
                function = ancestor.child_by_field_name("function") or ancestor.child_by_field_name(
                    "constructor"
                )
                name = _name(function)
                if name.rsplit(".", 1)[-1].lower() in SINK_CALLS:
                    return f"{name}()"
            if ancestor.type in (
                "function_declaration",
                "arrow_function",
                "function_expression",
                "method_definition",
                "class_body",
                "program",
            ):
                return None
        return None

    def call(self, node: Any) -> None:
        function = node.child_by_field_name("function")
        if function is None:
            return
        name = _name(function)
        last = name.rsplit(".", 1)[-1].lower()
        line = node.start_point[0] + 1
        arguments = node.child_by_field_name("arguments")
        first = arguments.named_children[0] if arguments is not None and arguments.named_children else None
        if first is not None and (name in ("require", "import") or (last == "fork" and _forks(name))):
            self._module(self.fold(first), line)
        elif last in _DYNAMIC_CALLS and (name == "eval" or name.startswith("vm.")):
            self._dynamic(name, first, line)
        elif name == "Function":
            self._dynamic("Function", _last_argument(arguments), line)
        elif last in _PROCESS_CALLS and ("." in name or name in ("execSync", "spawnSync", "execa")):
            if name.split(".", 1)[0] in ("child_process", "cp", "childProcess", "proc") or last in (
                "execsync",
                "spawnsync",
                "execfile",
                "execfilesync",
                "execa",
            ):
                self._capability(Capability.PROCESS, name, line)
        elif name == "fetch" or last in ("fetch",):
            self._capability(Capability.NETWORK, "fetch", line)
        elif name == "String.fromCharCode" and arguments is not None and len(arguments.named_children) >= 12:
            self.facts.obfuscation.append(
                Obfuscation(f"String.fromCharCode of {len(arguments.named_children)} codes", self.path, line)
            )

    def new(self, node: Any, _ancestors: list[Any]) -> None:
        constructor = node.child_by_field_name("constructor")
        name = _name(constructor)
        line = node.start_point[0] + 1
        if name == "Function":
            self._dynamic("new Function", _last_argument(node.child_by_field_name("arguments")), line)
        elif name.rsplit(".", 1)[-1] in ("Worker", "SharedWorker"):  # runs the file it is given
            arguments = node.child_by_field_name("arguments")
            if arguments is not None and arguments.named_children:
                self._module(self.fold(arguments.named_children[0]), line)
        elif name in ("WebSocket", "XMLHttpRequest", "EventSource"):
            self._capability(Capability.NETWORK, name, line)

    def _dynamic(self, name: str, code: Any, line: int) -> None:
        """Code built from a fixed string literal (``Function("return this")``, common in
        bundles) runs nothing unknown; a decoded string is obfuscation; anything else is
        dynamic code execution."""
        if code is not None and code.type in ("string", "template_string") and self.fold(code) is not None:
            return
        self._capability(Capability.DYNAMIC_CODE, name, line)
        if code is not None and code.type == "call_expression" and self.fold(code) is not None:
            self.facts.obfuscation.append(Obfuscation(f"{name} of a decoded string", self.path, line))

    def import_statement(self, node: Any, _ancestors: list[Any]) -> None:
        source = node.child_by_field_name("source")
        if source is not None:
            self._module(self.fold(source), node.start_point[0] + 1)

    def member(self, node: Any, ancestors: list[Any]) -> None:
        """``process.env`` used whole (not ``process.env.X``), outside an ``env:`` option."""
        if node.end_byte - node.start_byte != len("process.env") or _text(node) != "process.env":
            return
        parent = ancestors[-1] if ancestors else None
        if (
            parent is not None
            and parent.type in ("member_expression", "subscript_expression")
            and (parent.child_by_field_name("object") == node)
        ):
            return
        for context in ancestors[:-5:-1]:
            if context.type == "pair" and _key_name(context.child_by_field_name("key")) == "env":
                return  # handing the environment to a child process
            if context.type in ("variable_declarator", "assignment_expression"):
                target = context.child_by_field_name("name") or context.child_by_field_name("left")
                if target is not None and "env" in _name(target).lower():
                    return
        self._capability(Capability.ENVIRONMENT, "process.env", node.start_point[0] + 1)

    def _module(self, module: str | None, line: int) -> None:
        if module is None:
            return
        if module.startswith(("./", "../")) or not module.startswith(("/", "node:")):
            self.facts.imports.append(module)  # relative, or a package that may be bundled
        if module in _PROCESS_MODULES:
            self._capability(Capability.PROCESS, module, line)
        elif module in _NETWORK_MODULES:
            self._capability(Capability.NETWORK, module, line)

    def _capability(self, capability: Capability, detail: str, line: int) -> None:
        self.facts.capabilities.append(CapabilityUse(capability, detail, self.path, line))


def _identifier(walk: _FileWalk, node: Any, ancestors: list[Any]) -> None:
    """A constant used where data leaves: ``{bcc: ADMIN}``, ``fetch(URL)``."""
    if _text(node) not in walk.constants:
        return
    key = walk._destination_key(node, ancestors)
    if key in DESTINATION_KEYS or walk._sink(key, ancestors) is not None:
        walk.literal(node, ancestors)


def _call_expression(walk: _FileWalk, node: Any, ancestors: list[Any]) -> None:
    walk.call(node)
    walk.literal(node, ancestors)


_HANDLERS = {
    "identifier": _identifier,
    "string": _FileWalk.literal,
    "template_string": _FileWalk.literal,
    "binary_expression": _FileWalk.literal,
    "call_expression": _call_expression,
    "new_expression": _FileWalk.new,
    "import_statement": _FileWalk.import_statement,
    "export_statement": _FileWalk.import_statement,  # export ... from "./x" loads ./x too
    "member_expression": _FileWalk.member,
}


def _is_path_module(target: Any, args: Any) -> bool:
    """``path.join``/``path.resolve`` (or ``require("path").join``), or any ``.join`` whose
    first argument is ``__dirname``: joins a file path, unlike ``array.join(",")``."""
    if target is None or target.type == "array":
        return False
    if args and args[0].type == "identifier" and _text(args[0]) == "__dirname":
        return True
    name = _name(target)
    return name in ("path", "path.posix", "posixPath") or name.replace("'", '"') in (
        'require("path")',
        'require("node:path")',
    )


def _forks(name: str) -> bool:
    """``child_process.fork(file)`` / ``cp.fork(file)`` / a destructured ``fork(file)``."""
    return name == "fork" or name.split(".", 1)[0] in ("child_process", "cp", "childProcess", "proc")


def _last_argument(arguments: Any) -> Any:
    """The body of ``Function(a, b, body)``: its last argument."""
    return arguments.named_children[-1] if arguments is not None and arguments.named_children else None


def _iterate(root: Any) -> Iterator[tuple[Any, list[Any]]]:
    """Every node in document order with its ancestors, nearest last. The list is the walk's
    own stack: read it during the step, never keep it."""
    cursor = root.walk()
    ancestors: list[Any] = []
    while True:
        node = cursor.node
        yield node, ancestors
        if cursor.goto_first_child():
            ancestors.append(node)
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return
            ancestors.pop()


def _text(node: Any) -> str:
    return node.text.decode("utf-8", errors="replace") if node is not None else ""


def _name(node: Any) -> str:
    """The text of a callee or member name; empty for anything longer than a name can be (an
    inline function, a huge chain), whose text would cost its whole size at every use."""
    if node is None or node.end_byte - node.start_byte > MAX_NAME:
        return ""
    return _text(node)


def _key_name(node: Any) -> str | None:
    if node is None or node.end_byte - node.start_byte > MAX_NAME:
        return None
    if node.type == "string":
        value = _string_value(node)
        return value.lower() if value is not None else None
    return _text(node).lower()


def _string_value(node: Any) -> str | None:
    return "".join(part for part in map(_literal_text, node.named_children) if part is not None)


def _literal_text(node: Any) -> str | None:
    """The text of a literal piece of a string or template (a fragment or an escape)."""
    if node.type == "string_fragment":
        return _text(node)
    if node.type == "escape_sequence":
        return _unescape(_text(node))
    return None


_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _unescape(sequence: str) -> str:
    """One JavaScript escape sequence (``\\n``, ``\\x41``, ``\\u0041``, ``\\u{1F600}``)."""
    if not sequence.startswith("\\") or len(sequence) < 2:
        return sequence
    body = sequence[1:]
    try:
        if body[0] in "xu":
            digits = body[1:].strip("{}")
            return chr(int(digits, 16))
    except (ValueError, OverflowError):
        return sequence
    return _SIMPLE_ESCAPES.get(body[0], body[0])


def _decode(value: str | None, encoding: str) -> str | None:
    if value is None:
        return None
    try:
        if encoding.lower() in ("base64", "base64url"):
            return base64.b64decode(
                value + "=" * (-len(value) % 4), altchars=b"-_" if "url" in encoding else None
            ).decode("utf-8")
        if encoding.lower() == "hex":
            return bytes.fromhex(value).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return value if encoding.lower() in ("utf8", "utf-8", "") else None


def _short(value: str) -> str:
    return value if len(value) <= 80 else value[:79] + "…"
