"""Python, parsed with the standard library's ``ast`` (parsed, never imported or run).

String values are folded like the JavaScript ones: ``+``, f-strings over constants,
``"".join([...])``, ``base64.b64decode(...).decode()`` and ``bytes.fromhex``.
"""

from __future__ import annotations

import ast
import base64
import binascii
import dataclasses
import io
import posixpath
import tokenize
import warnings

from mcpward.vet._code._python_threats import PythonThreats
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
#: CPython's parser peaks near 700 bytes a token (700 MB for a million); the largest file of the
#: real packages has 31,000.
MAX_TOKENS = 250_000
#: Characters all folded values of one file may add up to (each is at most MAX_FOLDED).
MAX_FOLD_CHARS = 32 * 1024 * 1024
#: Of a file that does not parse: tokens read, string literals looked at, the longest literal
#: read as code of its own, and the characters of all of them.
MAX_UNPARSED_TOKENS = 200_000
MAX_UNPARSED_STRINGS = 500
MAX_EMBEDDED_CODE = 100_000
MAX_EMBEDDED_TOTAL = 1_000_000
#: Dotted names longer than this are not names (a chain built to be expensive).
MAX_NAME = 256
_PROCESS_MODULES = {"subprocess", "pty", "pexpect", "sh", "plumbum"}
_NETWORK_MODULES = {
    "socket",
    "requests",
    "httpx",
    "urllib",
    "urllib3",
    "aiohttp",
    "smtplib",
    "ftplib",
    "paramiko",
    "websocket",
    "websockets",
    "http",
    "telnetlib",
    "asyncssh",
    "boto3",
}
_PROCESS_CALLS = {
    "os.system",
    "os.popen",
    "os.execv",
    "os.execve",
    "os.execvp",
    "os.spawnv",
    "os.spawnl",
    "os.posix_spawn",
    "subprocess.run",
    "subprocess.Popen",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "subprocess.getoutput",
    "asyncio.create_subprocess_exec",
    "asyncio.create_subprocess_shell",
}
#: Files a path handed to a call is taken to run: Python, and native libraries (``ctypes.CDLL``).
_RUN_BY_PATH = (".py", ".pyw", ".so", ".dll", ".dylib", ".pyd")
#: Calls that import the module a literal names, as an ``import`` statement does.
_IMPORT_CALLS = frozenset(
    {
        "importlib.import_module",
        "import_module",
        "__import__",
        "importlib.__import__",
        "builtins.__import__",
        "runpy.run_module",
        "run_module",
    }
)
_DYNAMIC_CALLS = {
    "exec",
    "eval",
    "compile",
    "__import__",
    "importlib.import_module",
    "marshal.loads",
    "pickle.loads",
    "runpy.run_path",
    "runpy.run_module",
}
_WHOLE_ENV_CALLS = {"dict", "json.dumps", "str", "repr", "list", "sorted"}


class PythonAnalyzer(SourceAnalyzer):
    suffixes = (".py", ".pyw", ".pth")

    def analyze(self, path: str, source: bytes, budget: AnalysisBudget | None = None) -> CodeFacts:
        return self._analyze(path, source, budget, nested=False)

    def _strings_of_unparsed(
        self, path: str, source: bytes, budget: AnalysisBudget, facts: CodeFacts
    ) -> None:
        """A file that does not parse as Python (a shell line ``python -c '...'``, a snippet
        pasted with its command) is still read through its tokens (its whole text is matched
        against the texts that do one thing only elsewhere): each string literal that parses
        as Python is analysed as a module of its own; what it finds keeps its rule and
        severity and names the string's line."""
        strings: list[tuple[int, str]] = []
        try:
            for count, token in enumerate(tokenize.tokenize(io.BytesIO(source).readline)):
                if count >= MAX_UNPARSED_TOKENS or len(strings) >= MAX_UNPARSED_STRINGS:
                    break
                if token.type == tokenize.STRING and len(token.string) <= MAX_EMBEDDED_CODE:
                    strings.append((token.start[0], token.string))
        except (tokenize.TokenError, SyntaxError, ValueError):
            pass  # the tokens up to the error are kept
        read = 0
        for line, literal in strings:
            if budget.expired():
                return
            try:
                value = ast.literal_eval(literal)
            except (SyntaxError, ValueError, MemoryError):
                continue
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            if not isinstance(value, str):
                continue
            if not any(mark in value for mark in ("import ", ";", "(")):
                continue
            where = f"in a string (line {line}) of a file that does not parse as Python"
            read += len(value)
            if read > MAX_EMBEDDED_TOTAL:
                facts.incomplete.append((path, "strings not read as code: too many characters of them"))
                return
            # parsed under the package's budget like any file; a string that is not code is
            # skipped there and says nothing
            inner = self._analyze(path, value.encode("utf-8", "replace"), budget, nested=True)
            for threat in inner.threats:
                flow = f"{threat.flow}, Python code {where}"
                facts.threats.append(dataclasses.replace(threat, flow=flow, line=line))

    def _analyze(self, path: str, source: bytes, budget: AnalysisBudget | None, *, nested: bool) -> CodeFacts:
        facts = CodeFacts()
        if len(source) > MAX_SOURCE_BYTES:
            facts.skipped.append(
                (path, f"{len(source)} bytes: too large to parse (limit {MAX_SOURCE_BYTES})")
            )
            return facts
        budget = budget or AnalysisBudget()
        refusal = budget.admit(source, MAX_TOKENS)
        if refusal is not None:
            facts.incomplete.append((path, f"not analysed: {refusal}"))
            return facts
        if path.endswith(".pth"):
            source = _pth_code(path, source, facts)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(source, filename=path)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            facts.skipped.append((path, f"not parseable as Python ({type(exc).__name__})"))
            if nested:
                return facts
            try:
                self._strings_of_unparsed(path, source, budget, facts)
            except RecursionError:
                facts.incomplete.append((path, "analysis stopped: a string is nested too deeply"))
            return facts
        try:
            visitor = _Visitor(path, facts, budget)
            visitor.run(tree)
            if isinstance(tree, ast.Module) and not budget.expired():
                threats = PythonThreats(path, tree, visitor.fold, _dotted, budget.expired, source)
                threats.run()
                facts.threats.extend(threats.threats)
                facts.tools.extend(threats.tools)
                facts.obfuscation.extend(threats.obfuscation)
        except RecursionError:
            facts.incomplete.append((path, "analysis stopped: the syntax tree is nested too deeply"))
        return facts


def _pth_code(path: str, source: bytes, facts: CodeFacts) -> bytes:
    """The code of a ``.pth`` file: site runs each line starting with ``import`` (``exec`` of
    the line) at every interpreter start; the other lines are folders. Only the dynamic code
    was noted, and a line fetching and running a script passed. Each code line is kept where
    it is (other lines blanked, so line numbers hold) if it parses alone: one broken line
    must not make the file unparseable and hide the others."""
    code: list[str] = []
    # site (3.13) reads a .pth as utf-8-sig: a byte order mark hid the first line's `import`
    text = source.decode("utf-8", "replace").removeprefix("\ufeff")
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line.startswith("import"):
            code.append("")
            continue
        facts.capabilities.append(CapabilityUse(Capability.DYNAMIC_CODE, ".pth import line", path, number))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(line)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            line = ""
        code.append(line)
    return "\n".join(code).encode()


class _Visitor:
    def __init__(self, path: str, facts: CodeFacts, budget: AnalysisBudget) -> None:
        self.path = path
        self.facts = facts
        self.budget = budget
        self.constants: dict[str, ast.expr] = {}
        self.parents: dict[int, ast.AST] = {}
        self.folded: dict[int, str | None] = {}
        self.fold_chars = 0
        self.analysed: dict[tuple[str, bool], tuple[list[tuple[str, str]], bool]] = {}
        self.seen: set[tuple[str, int]] = set()

    def run(self, tree: ast.AST) -> None:
        nodes = list(ast.walk(tree))
        for count, node in enumerate(nodes):
            if count % CLOCK_EVERY == 0 and self._out_of_time():
                return
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                self.constants.setdefault(node.targets[0].id, node.value)
        for count, node in enumerate(nodes):
            if count % CLOCK_EVERY == 0 and self._out_of_time():
                return
            if isinstance(node, ast.Import | ast.ImportFrom):
                self._imports(node)
            elif isinstance(node, ast.Call):
                self._call(node)
                self._value(node)
            elif isinstance(node, ast.Constant | ast.JoinedStr | ast.BinOp):
                self._value(node)
            elif isinstance(node, ast.Name) and node.id in self.constants and isinstance(node.ctx, ast.Load):
                if self._key(node) is not None or self._sink(node, None) is not None:
                    self._value(node)
            elif isinstance(node, ast.Attribute) and _dotted(node) == "os.environ":
                self._environment(node)

    def _out_of_time(self) -> bool:
        if not self.budget.expired():
            return False
        self.facts.incomplete.append((self.path, "analysis stopped: the package's analysis time is spent"))
        return True

    # -- folding -----------------------------------------------------------------------------

    def fold(self, node: ast.AST | None, depth: int = 0) -> str | None:
        """The string value of an expression, memoised per node: constants built from
        constants (``a1 = a0 + a0``, ...) would otherwise take exponential time."""
        if node is None:
            return None
        key = id(node)
        if key in self.folded:
            return self.folded[key]
        self.folded[key] = None  # cycles fold to nothing
        if depth > MAX_FOLD_DEPTH or self.fold_chars > MAX_FOLD_CHARS:
            return None
        value = self._fold(node, depth)
        if value is not None:
            value = value[:MAX_FOLDED]
            self.fold_chars += len(value)
            if self.fold_chars > MAX_FOLD_CHARS:
                self.facts.incomplete.append(
                    (self.path, f"string values folded only in part (limit {MAX_FOLD_CHARS} characters)")
                )
        self.folded[key] = value
        return value

    def _fold(self, node: ast.AST, depth: int) -> str | None:
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            return value[:MAX_FOLDED] if isinstance(value, str) else None
        if isinstance(node, ast.JoinedStr):
            parts = []
            for item in node.values:
                value = self.fold(item.value if isinstance(item, ast.FormattedValue) else item, depth + 1)
                if value is None:
                    return None
                parts.append(value)
            return "".join(parts)[:MAX_FOLDED]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.fold(node.left, depth + 1), self.fold(node.right, depth + 1)
            return None if left is None or right is None else (left + right)[:MAX_FOLDED]
        if isinstance(node, ast.Name):
            target = self.constants.get(node.id)
            return self.fold(target, depth + 1) if target is not None and target is not node else None
        if isinstance(node, ast.Call):
            return self._fold_call(node, depth)
        return None

    def _fold_call(self, node: ast.Call, depth: int) -> str | None:
        name = _dotted(node.func)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "join" and node.args:
            separator = self.fold(node.func.value, depth + 1)
            items = node.args[0]
            if separator is not None and isinstance(items, ast.List | ast.Tuple):
                parts = [self.fold(item, depth + 1) for item in items.elts]
                return (
                    None
                    if any(p is None for p in parts)
                    else separator.join(p for p in parts if p is not None)
                )
        if isinstance(node.func, ast.Attribute) and node.func.attr == "decode":
            inner = node.func.value
            if isinstance(inner, ast.Call) and inner.args:
                decoder = _dotted(inner.func)
                raw = self.fold(inner.args[0], depth + 1)
                return _decode(raw, decoder)
            return self.fold(inner, depth + 1)
        if name in ("chr",) and node.args and isinstance(node.args[0], ast.Constant):
            code = node.args[0].value
            return chr(code) if isinstance(code, int) and 0 <= code < 0x110000 else None
        return None

    # -- facts -------------------------------------------------------------------------------

    def _value(self, node: ast.AST) -> None:
        parent = self.parents.get(id(node))
        if (
            isinstance(parent, ast.BinOp | ast.JoinedStr | ast.FormattedValue)
            and self.fold(parent) is not None
        ):
            return
        if isinstance(parent, ast.List | ast.Tuple):
            grand = self.parents.get(id(parent))
            if (
                isinstance(grand, ast.Call)
                and isinstance(grand.func, ast.Attribute)
                and grand.func.attr == "join"
            ):
                return
        value = self.fold(node)
        if not value:
            return
        line = getattr(node, "lineno", 1)
        key = self._key(node)
        sink = self._sink(node, key)
        as_host = key in ("host", "hostname", "server")
        known = self.analysed.get((value, as_host))
        if known is None:
            known = (
                destinations_in(value, as_host=as_host),
                names_sensitive_path(value),
            )
            self.analysed[(value, as_host)] = known
        for found, kind in known[0]:
            if (found, line) not in self.seen:
                self.seen.add((found, line))
                self.facts.destinations.append(Destination(found, kind, self.path, line, sink))
        if known[1]:
            self.facts.capabilities.append(
                CapabilityUse(Capability.SENSITIVE_FILES, value[:80], self.path, line)
            )
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and len(value) >= 400
            and _is_blob(value)
            and not is_media_blob(value)
        ):
            self.facts.obfuscation.append(
                Obfuscation(f"encoded blob of {len(value)} characters", self.path, line)
            )

    def _key(self, node: ast.AST) -> str | None:
        """The field a value goes to: ``{"bcc": v}``, ``msg["Bcc"] = v``, ``send(to=v)``."""
        child, parent = node, self.parents.get(id(node))
        for _ in range(3):
            if parent is None:
                return None
            if isinstance(parent, ast.Dict):
                for key, value in zip(parent.keys, parent.values, strict=False):
                    if value is child and isinstance(key, ast.Constant) and isinstance(key.value, str):
                        return key.value.lower()
                return None
            if isinstance(parent, ast.keyword) and parent.arg:
                return parent.arg.lower()
            if isinstance(parent, ast.Assign) and parent.value is child and len(parent.targets) == 1:
                target = parent.targets[0]
                if isinstance(target, ast.Subscript):
                    field_name = self.fold(target.slice)
                    return field_name.lower() if field_name else None
                if isinstance(target, ast.Attribute):
                    return target.attr.lower()
                return None
            if not isinstance(parent, ast.List | ast.Tuple | ast.BinOp):
                return None
            child, parent = parent, self.parents.get(id(parent))
        return None

    def _sink(self, node: ast.AST, key: str | None) -> str | None:
        if key in DESTINATION_KEYS:
            return f"{key} field"
        ancestor, depth = self.parents.get(id(node)), 0
        while ancestor is not None and depth < 10:
            if isinstance(ancestor, ast.Call):
                name = _dotted(ancestor.func)
                if name.rsplit(".", 1)[-1].lower() in SINK_CALLS:
                    return f"{name}()"
            if isinstance(ancestor, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
                return None
            ancestor, depth = self.parents.get(id(ancestor)), depth + 1
        return None

    def _imports(self, node: ast.Import | ast.ImportFrom) -> None:
        self._module_files(node)
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        for name in names:
            root = name.split(".", 1)[0]
            if root in _PROCESS_MODULES:
                self._capability(Capability.PROCESS, name, node.lineno)
            elif root in _NETWORK_MODULES:
                self._capability(Capability.NETWORK, name, node.lineno)

    def _code_paths(self, node: ast.Call) -> None:
        """A path to a ``.py`` file handed to a call, alone or in a list: Python runs a file by
        its path (``runpy.run_path``, ``exec(open(…).read())``, ``spec_from_file_location``,
        ``subprocess.Popen([sys.executable, …])``), and a ``tests/`` module run so was read as
        a fixture nobody loads. The path is the file's folder (``os.path.dirname(__file__)``,
        ``Path(__file__).parent``, each more of them one folder up) joined to the literal
        pieces, or the pieces alone from the package root."""
        candidates: list[ast.expr] = []
        for argument in node.args[:8]:
            candidates.extend(
                argument.elts[:16] if isinstance(argument, ast.List | ast.Tuple) else [argument]
            )
        command = _dotted(node.func) in _PROCESS_CALLS
        for candidate in candidates:
            specifier = self._file_path(candidate)
            if specifier is not None:
                self.facts.imports.append(specifier)
            if command and isinstance(candidate, ast.Constant) and isinstance(candidate.value, str):
                self._command_files(candidate.value)

    def _command_files(self, command: str) -> None:
        """The ``.py`` files a command line names among its words (``python tests/boot.py``),
        from the package root or beside this file (the folder it runs in is not known)."""
        folder = posixpath.dirname(self.path)
        for word in command.split()[:64]:
            word = word.strip("\"'")
            if not word.endswith((".py", ".pyw")) or word.startswith(("/", "-")) or ":" in word:
                continue
            beside = posixpath.normpath(posixpath.join(folder, word))
            from_root = posixpath.normpath(word)
            for target in (beside, from_root):
                if not target.startswith(".."):
                    relative = posixpath.relpath(target, folder or ".")
                    self.facts.imports.append(relative if relative.startswith("../") else "./" + relative)

    def _file_path(self, node: ast.expr) -> str | None:
        pieces: list[str] = []
        ups = 0
        from_file = False
        stack: list[ast.AST] = [node]
        expanded: set[str] = set()
        for _ in range(200):
            if not stack:
                break
            current = stack.pop()
            if isinstance(current, ast.Name):
                if current.id == "__file__":
                    from_file = True
                elif current.id in self.constants and current.id not in expanded:
                    expanded.add(current.id)  # a module constant (HERE = os.path.dirname(__file__))
                    stack.append(self.constants[current.id])
                continue
            if isinstance(current, ast.Constant):
                if isinstance(current.value, str):
                    pieces.append(current.value)
                continue
            ups += _folder_up(current)
            stack.extend(reversed(list(ast.iter_child_nodes(current))))  # in source order
        if not pieces or not pieces[-1].endswith(_RUN_BY_PATH) or len(pieces) > 16:
            return None
        folder = posixpath.dirname(self.path) if from_file else ""
        for _ in range(max(ups, 1) - 1 if from_file else 0):
            folder = posixpath.dirname(folder)
        target = posixpath.normpath(posixpath.join(folder, *(piece.strip().lstrip("/") for piece in pieces)))
        if target.startswith("../") or target == "..":
            return None
        relative = posixpath.relpath(target, posixpath.dirname(self.path) or ".")
        return relative if relative.startswith("../") else "./" + relative

    def _named_module(self, name: str) -> None:
        """A module imported by a literal name (``import_module("a.b")``, ``".b"`` relative
        to this file's package), followed as the ``import`` statement would be."""
        module = name.strip().lstrip(".")
        level = len(name.strip()) - len(module)
        if module and not all(part.isidentifier() for part in module.split(".")):
            return
        if level:
            self._module_files(ast.ImportFrom(module=module or None, names=[], level=level))
        elif module:
            self._module_files(ast.Import(names=[ast.alias(name=module)]))

    def _module_files(self, node: ast.Import | ast.ImportFrom) -> None:
        """The package's own modules an import runs (each package on the way, and for ``from
        x import y`` a submodule ``y``), as ``py:path/from/root``: the package-level
        analysis follows them into folders it would skip (tests, docs, examples)."""
        if isinstance(node, ast.Import):
            modules = [alias.name.replace(".", "/") for alias in node.names]
        else:
            prefix = ""
            if node.level:
                prefix = posixpath.dirname(self.path)
                for _ in range(node.level - 1):
                    prefix = posixpath.dirname(prefix)
            module = (node.module or "").replace(".", "/")
            first = posixpath.join(prefix, module) if module else prefix
            modules = [first, *(posixpath.join(first, a.name) for a in node.names if a.name != "*")]
        for module in modules[:64]:
            parts = [part for part in module.split("/") if part]
            for end in range(1, min(len(parts), 16) + 1):
                self.facts.imports.append("py:" + "/".join(parts[:end]))

    def _call(self, node: ast.Call) -> None:
        name = _dotted(node.func)
        first = node.args[0] if node.args else None
        if name in _IMPORT_CALLS and isinstance(first, ast.Constant) and isinstance(first.value, str):
            self._named_module(first.value)
        self._code_paths(node)
        if name in _PROCESS_CALLS:
            self._capability(Capability.PROCESS, name, node.lineno)
        elif name in _DYNAMIC_CALLS:
            # A fixed literal (an import by name, exec of a constant) runs nothing unknown.
            fixed = bool(node.args) and isinstance(node.args[0], ast.Constant)
            if not fixed:
                self._capability(Capability.DYNAMIC_CODE, name, node.lineno)
                if node.args and isinstance(node.args[0], ast.Call) and self.fold(node.args[0]) is not None:
                    self.facts.obfuscation.append(
                        Obfuscation(f"{name} of a decoded string", self.path, node.lineno)
                    )

    def _environment(self, node: ast.Attribute) -> None:
        """``os.environ`` taken whole: ``dict(os.environ)``, ``os.environ.copy()`` sent on."""
        parent = self.parents.get(id(node))
        if isinstance(parent, ast.Subscript | ast.Compare):
            return
        if isinstance(parent, ast.Attribute) and parent.attr in ("get", "setdefault", "pop", "__contains__"):
            return
        context, hops = parent, 0
        while context is not None and hops < 4:
            if isinstance(context, ast.keyword) and context.arg == "env":
                return  # handing the environment to a child process
            context, hops = self.parents.get(id(context)), hops + 1
        if (isinstance(parent, ast.Call) and _dotted(parent.func) in _WHOLE_ENV_CALLS) or (
            isinstance(parent, ast.Attribute) and parent.attr in ("copy", "items", "keys", "values")
        ):
            self._capability(Capability.ENVIRONMENT, "os.environ", node.lineno)

    def _capability(self, capability: Capability, detail: str, line: int) -> None:
        self.facts.capabilities.append(CapabilityUse(capability, detail, self.path, line))


def _folder_up(node: ast.AST) -> int:
    """1 for ``x.parent`` and ``os.path.dirname(x)``: one folder up from ``x``."""
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        return 1
    return int(isinstance(node, ast.Call) and _dotted(node.func).rsplit(".", 1)[-1] == "dirname")


def _dotted(node: ast.AST) -> str:
    """``a.b.c`` for a name or an attribute chain (``f().x`` as ``f().x``), built iteratively
    and only up to a name's length: a hostile chain costs neither recursion nor quadratic time."""
    parts: list[str] = []
    length = 0
    while length <= MAX_NAME:
        if isinstance(node, ast.Name):
            parts.append(node.id)
            return ".".join(reversed(parts)).replace(".()", "()")
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            length += len(node.attr) + 1
            node = node.value
        elif isinstance(node, ast.Call):
            parts.append("()")
            length += 2
            node = node.func
        else:  # x[0].post: as before, the chain from the first non-name part on (".post")
            parts.append("")
            return ".".join(reversed(parts)).replace(".()", "()")
    return ""


def _decode(raw: str | None, decoder: str) -> str | None:
    if raw is None:
        return None
    try:
        if decoder.endswith(("b64decode", "standard_b64decode", "urlsafe_b64decode")):
            return base64.b64decode(
                raw + "=" * (-len(raw) % 4), altchars=b"-_" if "urlsafe" in decoder else None
            ).decode("utf-8")
        if decoder.endswith("fromhex"):
            return bytes.fromhex(raw).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return raw


def _is_blob(value: str) -> bool:
    import re

    return bool(re.fullmatch(r"[A-Za-z0-9+/=\s]{400,}|[0-9a-fA-F]{600,}", value))
