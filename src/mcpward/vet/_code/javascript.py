"""JavaScript and TypeScript, parsed with tree-sitter.

String values are folded the way a reviewer reads them: concatenations, template strings,
constants, ``[...].join("")``, ``String.fromCharCode``, ``atob`` and ``Buffer.from(..,
"base64")`` all give their literal, so a recipient assembled from pieces is still found. So do
the common string obfuscations: a string read backwards (``.split("").reverse().join("")``),
percent-encoding (``decodeURIComponent``, ``decodeURI``, ``unescape``), character codes mapped,
spread or reduced into ``String.fromCharCode`` (``codes.map(c => String.fromCharCode(c ^ 7))``,
``codes.reduce((s, c) => s + String.fromCharCode(c), "")``), bytes read by a ``TextDecoder``
(``new TextDecoder().decode(new Uint8Array([..]))``) and ``.replace()``/``.replaceAll()``
chains. All of it is read from the tree, never run, and bounded: arrays as strings are,
regular expressions to a subset that cannot backtrack far.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from itertools import islice
from typing import Any

from mcpward._regex import compiled
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
#: Items of a folded array (``"...".split("")``, ``[120, 64, ...]``): a folded string's length.
MAX_ITEMS = MAX_FOLDED
#: A regular expression's ``.replace`` is folded on strings up to this long; a file's decodings
#: may take this many steps in all (a pattern scans its subject, its length squared when it
#: repeats an atom; a mapper takes its size per item): a hostile file cannot make them slow.
MAX_PATTERN_SUBJECT = 1024
MAX_DECODING_WORK = 64 * 1024 * 1024
_DOLLAR = compiled(r"\$([$&`'])")
_PERCENT_RUN = compiled(r"(?:%[0-9A-Fa-f]{2})+")
#: What ``decodeURI`` leaves encoded: the URI's reserved characters and ``#``.
_URI_RESERVED = frozenset(";/?:@&=+$,#")
#: Calls whose string argument is folded into the call's value: their literal is reported with it.
_DECODING_CALLS = {
    "decodeURIComponent",
    "decodeURI",
    "unescape",
    "String.fromCharCode.apply",
    "String.fromCodePoint.apply",
}
_STRING_METHODS = {"replace", "replaceAll"}
_ENCODED_BLOB = compiled(r"^(?:[A-Za-z0-9+/]{400,}={0,2}|[0-9a-fA-F]{600,})$")
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
        self.arrays: dict[int, list[str] | None] = {}
        self.fold_chars = 0
        self.work = 0
        self.work_spent = False
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

    def fold_array(self, node: Any, depth: int = 0) -> list[str] | None:
        """The items of an array whose every item is a constant string (numbers as written),
        memoised and counted against the file's folded characters like strings."""
        key = node.id
        if key in self.arrays:
            return self.arrays[key]
        self.arrays[key] = None
        if depth >= MAX_FOLD_DEPTH or self.fold_chars > MAX_FOLD_CHARS:
            return None
        items = self._fold_array(node, depth)
        if items is not None and len(items) > MAX_ITEMS:
            items = None
        if items is not None:
            self.fold_chars += len(items) + sum(map(len, items))
        self.arrays[key] = items
        return items

    def _fold_array(self, node: Any, depth: int) -> list[str] | None:
        kind = node.type
        if kind == "array":
            return self._fold_elements(node.named_children, depth)
        if kind == "parenthesized_expression" and node.named_children:
            return self.fold_array(node.named_children[0], depth + 1)
        if kind == "identifier":
            target = self.constants.get(_text(node))
            return self.fold_array(target, depth + 1) if target is not None else None
        parts = _call_parts(node) if kind == "call_expression" else None
        if parts is None:
            return None
        function, args = parts
        if _name(function) == "Array.from" and args:  # Array.from("abc"), Array.from(codes, fn)
            items_from = self._fold_spread(args[0], depth + 1)
            return self._map(items_from, args[1]) if items_from is not None and len(args) > 1 else items_from
        if function.type != "member_expression":
            return None
        target = function.child_by_field_name("object")
        method = _text(function.child_by_field_name("property"))
        if target is None:
            return None
        if method == "split" and len(args) <= 1:
            value = self.fold(target, depth + 1)
            separator = self.fold(args[0], depth + 1) if args else None
            if value is None or (args and separator is None):
                return None
            if separator is None:
                return [value]
            return list(value) if separator == "" else value.split(separator)
        if method in ("reverse", "toReversed") and not args:
            items_of = self.fold_array(target, depth + 1)
            return items_of[::-1] if items_of is not None else None
        if method == "map" and len(args) == 1:
            return self._map(self.fold_array(target, depth + 1), args[0])
        return None

    def _fold_elements(self, nodes: list[Any], depth: int) -> list[str] | None:
        """The values of an array literal's elements or a call's arguments, each ``...x``
        spread into its items ([..."abc"], [...codes], f(...codes)); None when one is unknown."""
        items: list[str] = []
        for child in nodes:
            if child.type == "spread_element":
                inner = self._fold_spread(child, depth + 1)
                if inner is None:
                    return None
                items.extend(inner)
            else:
                value = self.fold(child, depth + 1)
                if value is None:
                    return None
                items.append(value)
            if len(items) > MAX_ITEMS:
                return None
        return items

    def _fold_spread(self, node: Any, depth: int) -> list[str] | None:
        """What ``...x`` spreads: an array's items, or a string's characters."""
        inner = node.named_children[0] if node.type == "spread_element" and node.named_children else node
        items = self.fold_array(inner, depth + 1)
        if items is not None:
            return items
        value = self.fold(inner, depth + 1)
        return list(value) if value is not None else None

    def _map(self, items: list[str] | None, function: Any, *, reducer: bool = False) -> list[str] | None:
        """``items.map(c => String.fromCharCode(c - 3))``: the mapper read as an expression of its
        parameter (see ``_Mapper``), applied to each item; None when it is anything else. Its
        steps count against the file's decoding work. ``reducer``: ``function`` is a reducer
        ``(s, c) => s + EXPR`` that appends an expression of each item, read as ``c => EXPR``."""
        if items is None:
            return None
        mapper = _Mapper.of_reducer(function) if reducer else _Mapper.of(function)
        # a mapper's step is a Python call, some 32 times a pattern's character step
        if mapper is None or not self._spend(32 * len(items) * mapper.size):
            return None
        mapped = [mapper.apply(item) for item in items]
        return None if any(m is None for m in mapped) else [m for m in mapped if m is not None]

    def _spend(self, work: int) -> bool:
        """Charge decoding work (characters a pattern scans, steps of a mapper) to the file;
        once spent, further decodings are not folded and the file is reported incomplete."""
        self.work += work
        if self.work <= MAX_DECODING_WORK:
            return True
        if not self.work_spent:  # reported once: what the rest hid is unread
            self.work_spent = True
            self.facts.incomplete.append(
                (self.path, f"string decodings folded only in part (limit {MAX_DECODING_WORK} steps)")
            )
        return False

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
        call = _call_parts(node)
        if call is None:
            return None
        function, args = call
        name = _name(function)
        if function.type == "member_expression":
            target = function.child_by_field_name("object")
            method = _text(function.child_by_field_name("property"))
            if method in ("join", "resolve") and _is_path_module(target, args):
                # path.join(__dirname, "test", "x.js"): a file of the package, named by its path
                joined = [self.fold(a, depth + 1) for a in args]
                if not joined or any(p is None for p in joined):
                    return None
                value = posixpath.join(*(p for p in joined if p is not None))
                return value if value.startswith(("./", "../", "/")) else "./" + value
            if method == "join" and target is not None:  # [..].join(""), "..".split("").reverse().join("")
                separator = self.fold(args[0], depth + 1) if args else ","
                items = self.fold_array(target, depth + 1)
                return separator.join(items) if separator is not None and items is not None else None
            if method in ("replace", "replaceAll") and target is not None and len(args) == 2:
                return self._fold_replace(target, args, method == "replaceAll", depth)
            if name in ("String.fromCharCode.apply", "String.fromCodePoint.apply") and len(args) == 2:
                # String.fromCharCode.apply(null, codes)
                return _char_codes(self.fold_array(args[1], depth + 1), points="Point" in name)
            if method == "concat" and target is not None:
                parts = [self.fold(target, depth + 1), *(self.fold(a, depth + 1) for a in args)]
                return None if any(p is None for p in parts) else "".join(p for p in parts if p is not None)
            if name in ("String.fromCharCode", "String.fromCodePoint"):
                # String.fromCharCode(...codes) spreads an array, as an array literal does
                codes = self._fold_elements(args, depth)
                return _char_codes(codes, points=name == "String.fromCodePoint")
            if method == "toString" and target is not None and target.type == "call_expression":
                return self._fold_buffer(target, depth)
            if method == "decode" and target is not None and self._constructs(target, "TextDecoder") and args:
                # new TextDecoder().decode(new Uint8Array([112, 104, ...])): bytes read as UTF-8
                return _utf8(self._fold_bytes(args[0], depth + 1))
            if method == "reduce" and target is not None and len(args) == 2:
                # codes.reduce((s, c) => s + String.fromCharCode(c), ""): a map, then a join
                start = self.fold(args[1], depth + 1)
                mapped = self._map(self.fold_array(target, depth + 1), args[0], reducer=True)
                return start + "".join(mapped) if start is not None and mapped is not None else None
        if name == "atob" and args:
            return _decode(self.fold(args[0], depth + 1), "base64")
        if name in ("decodeURIComponent", "decodeURI", "unescape") and args:
            return _percent_decode(self.fold(args[0], depth + 1), name)
        return None

    def _fold_replace(self, target: Any, args: list[Any], every: bool, depth: int) -> str | None:
        r"""``"a#b".replace("#", "@")``, ``.replace(/ \[at\] /g, "@")``, ``.replaceAll``: a
        string pattern, or a regular expression within ``_safe_pattern``, on a constant string,
        with a constant replacement (a function's result is not folded)."""
        value = self.fold(target, depth + 1)
        replacement = self.fold(args[1], depth + 1)
        if value is None or replacement is None:
            return None
        if args[0].type == "regex":
            pattern = _safe_pattern(args[0])
            if pattern is None or len(value) > MAX_PATTERN_SUBJECT:
                return None
            compiled, global_, repeats = pattern
            if not self._spend(len(value) * (len(value) if repeats else max(1, len(compiled.pattern)))):
                return None
            every = every or global_
            try:
                spans = ((m.start(), m.end()) for m in compiled.finditer(value))
                return _replaced(value, spans if every else islice(spans, 1), replacement)
            except (re.error, RecursionError):
                return None
        search = self.fold(args[0], depth + 1)
        if search is None:
            return None
        return _replaced(value, _occurrences(value, search, every), replacement)

    def _constructs(self, node: Any, constructor: str) -> bool:
        """Whether ``node`` is ``new constructor(...)``, or a constant bound to one."""
        if node.type == "identifier":
            bound = self.constants.get(_text(node))
            node = bound if bound is not None else node
        return node.type == "new_expression" and _name(node.child_by_field_name("constructor")) == constructor

    def _fold_bytes(self, node: Any, depth: int) -> list[str] | None:
        """The byte values of ``new Uint8Array([..])``, ``Uint8Array.from([..])``,
        ``Uint8Array.of(..)`` or ``Buffer.from([..])`` (or a constant bound to one)."""
        if depth >= MAX_FOLD_DEPTH:
            return None
        if node.type == "identifier":
            bound = self.constants.get(_text(node))
            return self._fold_bytes(bound, depth + 1) if bound is not None else None
        if node.type == "new_expression":
            arguments = node.child_by_field_name("arguments")
            args = arguments.named_children if arguments is not None else []
            if _name(node.child_by_field_name("constructor")) == "Uint8Array" and len(args) == 1:
                return self.fold_array(args[0], depth + 1)
            return None
        if node.type != "call_expression":
            return None
        arguments = node.child_by_field_name("arguments")
        args = arguments.named_children if arguments is not None else []
        name = _name(node.child_by_field_name("function"))
        if name in ("Uint8Array.from", "Buffer.from") and len(args) == 1:
            return self.fold_array(args[0], depth + 1)
        if name == "Uint8Array.of":
            return self._fold_elements(args, depth)
        return None

    def _fold_buffer(self, node: Any, depth: int) -> str | None:
        """``Buffer.from("...", "base64"|"hex").toString()``."""
        parts = _call_parts(node)
        if parts is None or _name(parts[0]) != "Buffer.from" or not parts[1]:
            return None
        args = parts[1]
        encoding = self.fold(args[1], depth + 1) if len(args) > 1 else "utf8"
        if args[0].type in ("array", "identifier") and len(args) == 1:
            # Buffer.from([112, 104, ...]).toString(): bytes (each taken to 8 bits), read as UTF-8
            codes = self.fold_array(args[0], depth + 1)
            if codes is not None:
                return _utf8(codes)
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
            if name in (
                "String.fromCharCode",
                "String.fromCodePoint",
                "atob",
                "Buffer.from",
            ) or name.endswith((".join", ".concat")):
                return True
            # the newer decodings take a literal only when the call folds: text.replace("{u}",
            # "https://...") on a run-time text still reports its URL
            method = name.rsplit(".", 1)[-1]
            return (name in _DECODING_CALLS or method in _STRING_METHODS) and self.fold(call) is not None
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
        if first is None or name not in ("require", "import"):
            self._code_paths(arguments, line, command=last in _PROCESS_CALLS)
        if first is not None and (name in ("require", "import") or (last == "fork" and _forks(name))):
            self._module(self.fold(first), line)
        elif name == "process.dlopen" and arguments is not None and len(arguments.named_children) >= 2:
            # loads the file it is given as a compiled addon, as require does a `.node`
            self._module(self.fold(arguments.named_children[1]), line)
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
        if name.rsplit(".", 1)[-1] not in ("Worker", "SharedWorker"):
            self._code_paths(node.child_by_field_name("arguments"), line)
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

    def _code_paths(self, arguments: Any, line: int, *, command: bool = False) -> None:
        """A literal relative path to a code file handed to a call, alone or in an array: node
        loads or runs a file by many calls besides ``require`` (``createRequire(…)(path)``,
        ``module.require``, ``require.resolve``, ``new URL(path, import.meta.url)``,
        ``spawn(process.execPath, [path])``, ``eval(readFileSync(path))``), and a ``test/``
        file run so was read as a fixture nobody loads. For a process call (``command``), a
        code file among the words of a command line too (``execSync("node test/boot.js")``)."""
        if arguments is None:
            return
        candidates: list[Any] = []
        for argument in arguments.named_children[:8]:
            candidates.extend(argument.named_children[:16] if argument.type == "array" else [argument])
        for candidate in candidates:
            if candidate.type not in _PATH_NODES or candidate.end_byte - candidate.start_byte > MAX_NAME:
                continue
            value = self.fold(candidate)
            if value is not None and value.startswith(("./", "../")) and value.endswith(_CODE_FILES):
                self._module(value, line)
            elif value is not None and command:
                for word in value.split()[:64]:
                    word = word.strip("\"'")
                    if word.endswith(_CODE_FILES) and not word.startswith(("/", "-")) and ":" not in word:
                        self._module(word if word.startswith(("./", "../")) else "./" + word, line)

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


#: Expressions a literal path is written as: a string, a template, a concatenation, a join.
_PATH_NODES = frozenset({"string", "template_string", "binary_expression", "call_expression"})
#: Files a path handed to a call is taken to load or run: code, by its extension, and native
#: libraries (``ffi.Library(path)``, ``process.dlopen``).
_CODE_FILES = (
    ".js",
    ".mjs",
    ".cjs",
    ".jsx",
    ".ts",
    ".mts",
    ".cts",
    ".tsx",
    ".py",
    ".node",
    ".so",
    ".dll",
    ".dylib",
)


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


def _char_codes(codes: list[str] | None, points: bool = False) -> str | None:
    """``String.fromCharCode`` of constant codes: each taken to 16 bits as JavaScript does,
    surrogate pairs joined into their character; ``String.fromCodePoint``: code points, one
    past Unicode's last a RangeError (nothing)."""
    if codes is None:
        return None
    try:
        numbers = [int(code, 0) for code in codes]
        units = "".join(chr(n) if points else chr(n & 0xFFFF) for n in numbers)
    except (ValueError, OverflowError):
        return None
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _percent_decode(value: str | None, function: str) -> str | None:
    """``decodeURIComponent``/``decodeURI`` (UTF-8 escapes; ``decodeURI`` keeps the reserved
    characters encoded; a malformed escape throws, so nothing) and ``unescape`` (``%XX`` as
    Latin-1, ``%uXXXX``; malformed escapes stay as written)."""
    if value is None:
        return None
    if function == "unescape":
        return re.sub(
            r"%u([0-9A-Fa-f]{4})|%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1) or m.group(2), 16)), value
        )
    out: list[str] = []
    at = 0
    for run in _PERCENT_RUN.finditer(value):
        if "%" in value[at : run.start()]:
            return None  # a "%" not followed by two hex digits: URIError
        out.append(value[at : run.start()])
        escapes = run.group(0)
        data = bytes.fromhex(escapes.replace("%", ""))
        try:
            decoded = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if function == "decodeURI":  # the reserved characters (one escape each) stay encoded
            kept, position = [], 0
            for char in decoded:
                width = 3 * len(char.encode("utf-8"))
                kept.append(escapes[position : position + width] if char in _URI_RESERVED else char)
                position += width
            decoded = "".join(kept)
        out.append(decoded)
        at = run.end()
    if "%" in value[at:]:
        return None
    out.append(value[at:])
    return "".join(out)


#: A regular expression is folded only when it is this plain: characters, escapes of one
#: character, classes, ``.``, anchors and at most one repeated atom; no groups, alternation or
#: back-references, so Python's matching of it costs at most the subject's length squared.
_PATTERN_TOKEN = compiled(
    r"\\(?:[dDwWsSbBtnrfv0]|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|[^A-Za-z0-9])"  # an escape
    r"|\[\^?(?:\\(?:[dDwWsStnrfv0b]|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|[^A-Za-z0-9])|[^\\\]\[])+\]"  # a class
    r"|(?P<repeat>[*+?]|\{\d{1,3}(?:,\d{0,3})?\})\??"  # a quantifier, maybe lazy
    r"|[^\\()|\[\]{}*+?]"  # one plain character, '.', '^' or '$'
)


def _safe_pattern(node: Any) -> tuple[re.Pattern[str], bool, bool] | None:
    """A ``/pattern/flags`` literal within the plain subset above, compiled, with whether it
    replaces every match (``g``) and whether it repeats an atom."""
    pattern_node = node.child_by_field_name("pattern")
    flags_node = node.child_by_field_name("flags")
    pattern, flags = _text(pattern_node), _text(flags_node)
    if not pattern or len(pattern) > MAX_NAME or set(flags) - set("gimsu"):
        return None
    repeats, at = 0, 0
    while at < len(pattern):
        token = _PATTERN_TOKEN.match(pattern, at)
        if token is None or (token.group("repeat") and at == 0):
            return None
        repeats += token.group("repeat") is not None
        at = token.end()
    if repeats > 1:
        return None
    options = (re.IGNORECASE if "i" in flags else 0) | (re.MULTILINE if "m" in flags else 0)
    options |= re.DOTALL if "s" in flags else 0
    try:
        return re.compile(pattern, options), "g" in flags, repeats > 0
    except (re.error, OverflowError):
        return None


def _occurrences(value: str, search: str, every: bool) -> Iterator[tuple[int, int]]:
    """Where ``search`` is in ``value``: the first place, or every one (an empty search matches
    between every two characters, as in JavaScript)."""
    at = value.find(search)
    while at >= 0:
        yield at, at + len(search)
        if not every or at >= len(value):
            return
        at = value.find(search, at + max(1, len(search)))


def _replaced(value: str, spans: Iterable[tuple[int, int]], replacement: str) -> str:
    """``value`` with each span replaced, its ``$`` patterns expanded (``$$``, ``$&``, ``$` ``,
    ``$'``; the patterns folded have no groups, so ``$1`` stays as written, as in JavaScript),
    built only up to ``MAX_FOLDED`` characters: a replacement cannot grow a value past it."""
    out: list[str] = []
    size = at = 0
    for start, end in spans:
        piece = value[at:start]
        if "$" in replacement:
            for index, part in enumerate(_DOLLAR.split(replacement)):
                if index % 2:  # sliced when used, and only up to what the value may still take
                    room = MAX_FOLDED + 1 - len(piece)
                    if part == "&":
                        part = value[start : min(end, start + room)]
                    elif part == "`":
                        part = value[: min(start, room)]
                    elif part == "'":
                        part = value[end : end + room]
                piece += part
                if len(piece) > MAX_FOLDED:
                    break
        else:
            piece += replacement
        out.append(piece)
        size += len(piece)
        at = end
        if size > MAX_FOLDED:
            return "".join(out)[:MAX_FOLDED]
    out.append(value[at:])
    return "".join(out)[:MAX_FOLDED]


#: A mapping function folded per item is read once into Python closures (``_Mapper``); one
#: longer than this is not a decoder.
MAX_MAPPER = 256

_Value = str | int | None
_Step = Callable[[str], _Value]


def _call_parts(node: Any) -> tuple[Any, list[Any]] | None:
    """A call's function and its arguments; None when the tree lacks either."""
    function = node.child_by_field_name("function")
    arguments = node.child_by_field_name("arguments")
    if function is None or arguments is None:
        return None
    return function, arguments.named_children


def _function_parts(function: Any) -> tuple[list[str], Any] | None:
    """A short function's parameter names (an empty name for a pattern) and the expression it
    returns: ``c => EXPR``, ``(s, c) => EXPR``, ``function (c) { return EXPR; }``; None for
    anything else."""
    if function.type not in ("arrow_function", "function_expression", "function"):
        return None
    if function.end_byte - function.start_byte > MAX_MAPPER:
        return None
    single = function.child_by_field_name("parameter")
    if single is not None:
        listed = [single]
    else:
        parameters = function.child_by_field_name("parameters")
        listed = [
            p.child_by_field_name("pattern") if p.type == "required_parameter" else p
            for p in (parameters.named_children if parameters is not None else [])
        ]
    names = [_text(p) if p is not None and p.type == "identifier" else "" for p in listed]
    body = function.child_by_field_name("body")
    if body is not None and body.type == "statement_block":
        statements = body.named_children
        returned = statements[0] if len(statements) == 1 else None
        if returned is None or returned.type != "return_statement" or not returned.named_children:
            return None
        body = returned.named_children[0]
    return (names, body) if body is not None else None


def _utf8(codes: list[str] | None) -> str | None:
    """Byte values (each taken to 8 bits, as a typed array or Buffer stores them) read as UTF-8."""
    if codes is None:
        return None
    try:
        return bytes(int(code, 0) & 0xFF for code in codes).decode("utf-8")
    except (ValueError, OverflowError, UnicodeDecodeError):
        return None


class _Mapper:
    """A mapping function read as an expression of its first parameter: ``c =>
    String.fromCharCode(c)``, ``function (c) { return String.fromCharCode(c - 3); }``, ``c =>
    String.fromCharCode(c.charCodeAt(0) ^ 7)``, ``h => parseInt(h, 16)``. The tree is read once
    into closures (``size`` of them), each item then costs that many small steps. Numbers are
    integers kept within 53 bits; anything else (another name, a call of anything else) is not
    read."""

    def __init__(self, parameter: str) -> None:
        self.parameter = parameter
        self.size = 0
        self.apply_step: _Step = lambda _item: None

    @classmethod
    def of(cls, function: Any) -> _Mapper | None:
        if function.type == "identifier" and _text(function) == "Number":  # .map(Number)
            number = cls("")
            number.size = 1
            number.apply_step = _integer
            return number
        parts = _function_parts(function)
        if parts is None or not parts[0] or not parts[0][0]:
            return None
        return cls._reading(parts[0][0], parts[1])

    @classmethod
    def of_reducer(cls, function: Any) -> _Mapper | None:
        """``(s, c) => s + EXPR`` (or a function returning it) as the mapper ``c => EXPR``: the
        accumulator only ever has each item's value appended."""
        parts = _function_parts(function)
        if parts is None or len(parts[0]) != 2 or not all(parts[0]):
            return None
        names, body = parts
        left, right = body.child_by_field_name("left"), body.child_by_field_name("right")
        if (
            body.type != "binary_expression"
            or _text(body.child_by_field_name("operator")) != "+"
            or left is None
            or right is None
            or left.type != "identifier"
            or _text(left) != names[0]
        ):
            return None
        return cls._reading(names[1], right)

    @classmethod
    def _reading(cls, parameter: str, expression: Any) -> _Mapper | None:
        mapper = cls(parameter)
        step = mapper._read(expression)
        if step is None:
            return None
        mapper.apply_step = step
        return mapper

    def apply(self, item: str) -> str | None:
        value = self.apply_step(item)
        return str(value) if value is not None else None

    def _read(self, node: Any) -> _Step | None:
        """The closure computing ``node``'s value from the item, or None when not read."""
        self.size += 1
        kind = node.type
        if kind == "identifier":
            return (lambda item: item) if _text(node) == self.parameter else None
        if kind == "number":
            number = _integer(_text(node))
            return (lambda _item: number) if number is not None else None
        if kind == "string":
            text = _string_value(node)
            return (lambda _item: text) if text is not None else None
        if kind == "parenthesized_expression" and node.named_children:
            return self._read(node.named_children[0])
        if kind == "unary_expression" and _text(node.child_by_field_name("operator")) in ("-", "+"):
            inner = self._number(node.child_by_field_name("argument"))
            if inner is None:
                return None
            if _text(node.child_by_field_name("operator")) == "+":  # +c: the item as a number
                return inner
            return lambda item: _negate(inner(item))
        if kind == "binary_expression":
            return self._binary(node)
        if kind == "call_expression":
            return self._call(node)
        return None

    def _number(self, node: Any) -> Callable[[str], int | None] | None:
        step = self._read(node) if node is not None else None
        if step is None:
            return None

        def number(item: str) -> int | None:
            value = step(item)
            value = _integer(value) if isinstance(value, str) else value
            return value if value is not None and abs(value) < 2**53 else None

        return number

    def _binary(self, node: Any) -> _Step | None:
        operator = _text(node.child_by_field_name("operator"))
        operation = _INTEGER_OPERATIONS.get(operator)
        left = self._number(node.child_by_field_name("left"))
        right = self._number(node.child_by_field_name("right"))
        if operation is None or left is None or right is None:
            return None
        bitwise = operator in ("^", "|", "&")  # JavaScript's bitwise operators work on 32 bits

        def binary(item: str) -> int | None:
            a, b = left(item), right(item)
            if a is None or b is None or operation is None:
                return None
            return _int32(operation(_int32(a), _int32(b))) if bitwise else operation(a, b)

        return binary

    def _call(self, node: Any) -> _Step | None:
        parts = _call_parts(node)
        if parts is None:
            return None
        function, args = parts
        name = _name(function)
        if name in ("String.fromCharCode", "String.fromCodePoint"):
            points = name == "String.fromCodePoint"
            codes = [self._number(a) for a in args]
            if any(c is None for c in codes):
                return None
            readers = [c for c in codes if c is not None]

            def characters(item: str) -> str | None:
                values = [read(item) for read in readers]
                return None if None in values else _char_codes([str(v) for v in values], points)

            return characters
        if name in ("parseInt", "Number") and 1 <= len(args) <= 2:
            text = self._read(args[0])
            base = self._number(args[1]) if len(args) == 2 else (lambda _item: 10)
            if text is None or base is None:
                return None
            whole = name == "Number"

            def parse(item: str) -> int | None:
                value, radix = text(item), base(item)
                if value is None or radix is None or not 2 <= radix <= 36:
                    return None
                try:
                    return _integer(str(value)) if whole else int(str(value).strip(), radix)
                except ValueError:
                    return None

            return parse
        if (
            function.type == "member_expression"
            and _text(function.child_by_field_name("property")) == "charCodeAt"
        ):
            subject = self._read(function.child_by_field_name("object"))
            index = self._number(args[0]) if args else (lambda _item: 0)
            if subject is None or index is None:
                return None

            def code(item: str) -> int | None:
                value, at = subject(item), index(item)
                if not isinstance(value, str) or at is None or not 0 <= at < len(value):
                    return None
                return ord(value[at])

            return code
        return None


def _negate(value: int | None) -> int | None:
    return -value if value is not None else None


_INTEGER_OPERATIONS: dict[str, Callable[[int, int], int]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "^": lambda a, b: a ^ b,
    "|": lambda a, b: a | b,
    "&": lambda a, b: a & b,
}


def _int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def _integer(text: str) -> int | None:
    """A JavaScript integer literal (``112``, ``0x70``, ``0o160``, ``0b1110000``)."""
    try:
        return int(text.replace("_", ""), 0) if text.strip() else None
    except ValueError:
        return None


def _short(value: str) -> str:
    return value if len(value) <= 80 else value[:79] + "…"
