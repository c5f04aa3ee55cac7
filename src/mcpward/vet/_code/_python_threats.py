"""Threat rules on Python's ``ast``, function by function, with a small data flow.

A scope is a top-level function or method (nested functions and lambdas belong to it) or the
module's own statements. In a scope, names take labels from what they are assigned (a network
read, decoded bytes, a credential file, the whole environment, a tool's parameter), in a few
passes over the assignments; a sink (``exec``, a process, a request, an SQL string) whose
arguments carry a label is a flow from source to sink. Flows cross the functions of one module:
a name a function does not assign is the module's, a call of the module's own function (or of
``self.method``) gives its parameters the labels of the arguments and takes the labels of what
it returns, so a helper that reads a key and another that sends it are one flow. Texts that do
one thing only (a ``/dev/tcp`` shell, ``curl | sh``) count where they reach a process or code
call, or where the scope also writes files or starts processes.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from mcpward._regex import compiled
from mcpward.launch import POSIX_SHELLS, WINDOWS_SHELLS
from mcpward.vet._code.interface import (
    EVIDENCE_PATH,
    HOST_VARIABLES,
    NATIVE_LIBRARY,
    PRIVILEGE_TEXT,
    SCREEN_COMMAND,
    SINK_CALLS,
    Obfuscation,
    Threat,
    ThreatRule,
    ToolDeclaration,
    command_output_label,
    downloaded_file,
    embedded_executable,
    named_techniques,
    names_credential_store,
    names_sensitive_path,
    runs_data,
)

#: What ``@server.call_tool()`` handlers are called instead of a tool name.
DISPATCHER = "(every tool)"
#: Passes over a scope's assignments to carry labels from name to name.
LABEL_PASSES = 4
#: Nodes of one scope looked at, at most (a hostile file is bounded by the parser's own limits
#: first; this keeps one huge function from costing more than the rest).
MAX_SCOPE_NODES = 200_000

NETWORK_ROOTS = frozenset(
    {"requests", "httpx", "urllib", "urllib2", "urllib3", "aiohttp", "http", "socket", "ftplib", "websocket"}
)
NETWORK_READS = frozenset(
    {"urlopen", "recv", "recvfrom", "recv_into", "getresponse", "urlretrieve", "read_response", "retrbinary"}
)
#: Calls of a network module that read from the network or make a client that does.
NETWORK_CALLS = frozenset(
    {
        "get",
        "post",
        "request",
        "put",
        "patch",
        "stream",
        "fetch",
        "Session",
        "Client",
        "AsyncClient",
        "ClientSession",
        "socket",
        "create_connection",
        "PoolManager",
        "HTTPConnection",
        "HTTPSConnection",
        "WebSocket",
    }
)
DECODERS = frozenset(
    {
        "b64decode",
        "b32decode",
        "b16decode",
        "b85decode",
        "a85decode",
        "urlsafe_b64decode",
        "standard_b64decode",
        "decodebytes",
        "decodestring",
        "fromhex",
        "unhexlify",
        "a2b_base64",
        "a2b_hex",
        "decompress",
        "decrypt",
    }
)
#: Codecs that turn bytes into text; any other codec given to ``.decode()`` (rot13, cp1026,
#: uu, zlib, base64) transforms what it is given.
TEXT_CODECS = frozenset(
    {"utf-8", "utf8", "ascii", "latin-1", "latin1", "iso-8859-1", "utf-16", "utf-16-le", "utf-16-be",
     "utf-32", "cp1252", "utf-8-sig", "us-ascii", "cp437", "mbcs", "gbk", "shift_jis", "euc-jp"}
)  # fmt: skip
#: A string literal's source written in escapes (``"\x65\x76"``, ``"\145\166"``, ``"\u0065"``).
ESCAPES = compiled(rb"\\(?:x[0-9a-fA-F]{2}|[0-7]{3}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})")
#: Calls and imports of code packed by PyArmor: it cannot be read before it runs.
PACKERS = frozenset({"__pyarmor__", "pyarmor_runtime", "__armor_enter__", "__armor_exit__", "__armor_wrap__"})
CODE_SINKS = frozenset(
    {
        "exec",
        "eval",
        "compile",
        "pickle.loads",
        "pickle.load",
        "cPickle.loads",
        "cPickle.load",
        "_pickle.loads",
        "pickle._loads",
        "pickle.Unpickler",
        "dill.load",
        "jsonpickle.decode",
        "yaml.unsafe_load",
        "marshal.loads",
        "dill.loads",
        "importlib.import_module",
        "__import__",
        "runpy.run_path",
        "runpy.run_module",
        "types.FunctionType",
        "FunctionType",
        "builtins.exec",
        "builtins.eval",
    }
)
PROCESS_SINKS = frozenset(
    {
        "os.system",
        "os.popen",
        "os.execv",
        "os.execve",
        "os.execvp",
        "os.execl",
        "os.execlp",
        "os.spawnv",
        "os.spawnl",
        "os.posix_spawn",
        "os.startfile",
        "subprocess.run",
        "subprocess.Popen",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
        "pty.spawn",
        "Popen",
        "check_output",
        "check_call",
        "getoutput",
    }
)
#: Process calls that always go through a shell.
SHELL_SINKS = frozenset(
    {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput", "getoutput"}
)
SQL_SINKS = frozenset({"execute", "executemany", "executescript", "raw", "mogrify"})
TEMPLATE_SINKS = frozenset({"Template", "from_string", "render_template_string", "jinja2.Template"})
#: Calls that write a file, edit the registry or change permissions.
WRITE_CALLS = frozenset(
    {
        "shutil.copy",
        "shutil.copy2",
        "shutil.copyfile",
        "shutil.move",
        "shutil.rmtree",
        "os.rename",
        "os.replace",
        "os.remove",
        "os.unlink",
        "os.symlink",
        "os.chmod",
        "os.truncate",
    }
)
WRITE_METHODS = frozenset(
    {
        "write_text",
        "write_bytes",
        "symlink_to",
        "writelines",
        "SetValueEx",
        "SetValue",
        "CreateKey",
        "CreateKeyEx",
    }
)
#: Calls that read a file or a store of files (their result is the file's content).
FILE_READS = frozenset(
    {
        "open",
        "read",
        "read_text",
        "read_bytes",
        "load",
        "loads",
        "readlines",
        "glob",
        "dotenv_values",
        "iglob",
    }
)
SECRET_READERS = frozenset({"keyring.get_password", "win32crypt.CryptUnprotectData", "CryptUnprotectData"})
EXECUTABLE_SUFFIXES = (
    ".exe",
    ".dll",
    ".scr",
    ".bat",
    ".cmd",
    ".ps1",
    ".vbs",
    ".msi",
    ".sh",
    ".elf",
    ".so",
    ".dylib",
)
STEGANOGRAPHY = frozenset({"reveal", "extract_message", "decode_image", "lsb_decode"})
#: Who and where the machine is, what is on its screen or clipboard: worth nothing to a server's
#: purpose when sent away.
HOST_INFO = frozenset(
    {
        "getpass.getuser",
        "socket.gethostname",
        "platform.node",
        "platform.uname",
        "os.getlogin",
        "os.uname",
        "uuid.getnode",
        "ImageGrab.grab",
        "PIL.ImageGrab.grab",
        "pyautogui.screenshot",
        "pyperclip.paste",
        "win32clipboard.GetClipboardData",
    }
)
#: Modules that capture the screen, the clipboard or the keyboard.
CAPTURE_MODULES = frozenset(
    {
        "pyautogui",
        "pyperclip",
        "mss",
        "pynput",
        "pyscreenshot",
        "d3dshot",
        "dxcam",
        "ImageGrab",
        "clipboard",
        "keyboard",
    }
)
#: Calls that capture the screen, the clipboard or the keyboard, by kind: a dotted name's end,
#: or (for objects made by a capture module: ``sct = mss.mss()``) a method of one.
CAPTURE_CALLS = {
    "screen": frozenset(
        {"ImageGrab.grab", "pyautogui.screenshot", "pyscreenshot.grab", "pyscreeze.screenshot",
         "mss.mss().grab", "d3dshot.create().screenshot", "dxcam.create().grab"}
    ),
    "clipboard": frozenset(
        {"pyperclip.paste", "clipboard.paste", "pyclip.paste", "xerox.paste", "GetClipboardData",
         "read_clipboard", "clipboard_get", "pandas.read_clipboard"}
    ),
    "keyboard": frozenset(
        {"keyboard.Listener", "keyboard.on_press", "keyboard.on_release", "keyboard.hook",
         "keyboard.read_key", "keyboard.read_event", "keyboard.record", "keyboard.on_press_key",
         "keyboard.hook_key", "GetAsyncKeyState", "SetWindowsHookExA", "SetWindowsHookExW",
         "SetWindowsHookEx", "pyxhook.HookManager"}
    ),
}  # fmt: skip
#: The last part of each capturing call's name: what a call must end in to be looked at.
CAPTURE_LAST = frozenset(c.rsplit(".", 1)[-1] for calls in CAPTURE_CALLS.values() for c in calls)
#: Modules whose objects capture the screen, and those objects' capturing methods.
SCREEN_MODULES = frozenset({"mss", "d3dshot", "dxcam", "pyscreenshot"})
SCREEN_METHODS = frozenset({"grab", "screenshot", "screenshot_to_disk", "shot", "get_latest_frame"})
#: Names whose indirect lookup (``getattr(os, "sys" + "tem")``) hides a call that runs code.
HIDDEN_NAMES = frozenset(
    {
        "exec",
        "eval",
        "compile",
        "system",
        "popen",
        "__import__",
        "execv",
        "execve",
        "execl",
        "spawnv",
        "Popen",
        "check_output",
        "check_call",
        "getoutput",
        "import_module",
        "b64decode",
        "loads",
        "startfile",
        "spawnl",
        "spawnlp",
        "spawnve",
        "execvp",
        "execvpe",
        "execlp",
        "posix_spawn",
        "run",
        "call",
        "getstatusoutput",
    }
)
#: Modules whose functions run code or commands: one looked up by name is hidden.
CODE_MODULES = frozenset(
    {"os", "subprocess", "pty", "pickle", "_pickle", "cPickle", "marshal", "dill", "builtins"}
)
#: Builtins that run code: referenced other than in a call, they are being hidden.
CODE_RUNNERS = frozenset({"exec", "eval", "compile", "__import__"})
NAMESPACES = frozenset({"__builtins__", "builtins", "globals", "vars", "locals", "sys.modules"})
DNS_SINKS = frozenset({"gethostbyname", "gethostbyname_ex", "getaddrinfo", "resolve", "query"})
ANTI_DEBUG = frozenset({"IsDebuggerPresent", "CheckRemoteDebuggerPresent", "sys.gettrace"})
#: Modules whose import by a computed name hides what runs.
HIDDEN_MODULES = frozenset(
    {"os", "subprocess", "pty", "socket", "builtins", "ctypes", "marshal", "base64", "zlib", "urllib.request"}
)
#: setuptools commands a ``cmdclass`` overrides: their ``run`` is code pip runs at install.
INSTALL_COMMANDS = frozenset(
    {"install", "develop", "egg_info", "build_py", "build_ext", "build", "sdist", "bdist_wheel", "bdist_egg"}
)
#: Commands whose replacement runs custom code on every install (build_py and build_ext are
#: replaced to build assets and extensions: what they run is judged, not that they exist).
REPLACED_COMMANDS = frozenset({"install", "develop", "egg_info", "bdist_egg", "easy_install"})
#: Programs that run the file they are given (besides interpreters).
LAUNCHERS = frozenset(
    {"start", "open", "xdg-open", "msiexec", "rundll32", "regsvr32", "explorer", "nohup", "setsid", "wine"}
)
#: Functions of one name a call is taken to reach, at most.
MAX_CALLEES = 8
#: Prefix of the module-level names that hold what a function returns.
RETURNS = "@returns:"


@dataclass(slots=True)
class _Scope:
    name: str
    nodes: list[ast.AST]
    params: set[str] = field(default_factory=set)
    owner_class: ast.ClassDef | None = None
    labels: dict[str, set[str]] = field(default_factory=dict)
    #: Where each label entered: label -> "requests.get() (line 3)".
    origins: dict[str, str] = field(default_factory=dict)
    #: Names the scope assigns itself (the others are the module's).
    local: set[str] = field(default_factory=set)
    #: Positional parameters in order (``self``/``cls`` left out), keyword-only ones, and the
    #: names of ``*args`` and ``**kwargs``: where a call's arguments go.
    positional: list[str] = field(default_factory=list)
    keyword_only: list[str] = field(default_factory=list)
    star: str | None = None
    double_star: str | None = None
    method: bool = False
    #: Code pip runs at install: setup.py's statements and its ``cmdclass`` commands.
    install: str | None = None
    module: _Scope | None = None
    reads_files: bool | None = None
    environ_aliases: set[str] | None = None


class PythonThreats:
    def __init__(
        self,
        path: str,
        tree: ast.Module,
        fold: Callable[[ast.AST], str | None],
        dotted: Callable[[ast.AST], str],
        expired: Callable[[], bool],
        source: bytes = b"",
    ) -> None:
        self.path = path
        self.tree = tree
        self.fold = fold
        self._plain_dotted = dotted
        self.expired = expired
        self.aliases: dict[str, str] = {}
        self._names: dict[int, str] = {}
        self.source_lines = source.splitlines() if not source.isascii() or b"\\" in source else []
        self.obfuscation: list[Obfuscation] = []
        self._scope = _Scope("<module>", [])
        self.threats: list[Threat] = []
        self.tools: list[ToolDeclaration] = []
        self._seen: set[tuple[ThreatRule, int]] = set()
        self._install: str | None = None
        self.functions: dict[str, list[_Scope]] = {}
        self._methods: dict[str, list[_Scope]] = {}

    def dotted(self, node: ast.AST) -> str:
        """A call's dotted name with the module's import aliases undone: after ``from os
        import system as s`` or ``import subprocess as sp``, ``s`` is ``os.system`` and
        ``sp.run`` is ``subprocess.run``."""
        known = self._names.get(id(node))
        if known is not None:
            return known
        name = self._plain_dotted(node)
        head, dot, rest = name.partition(".")
        bare = head.removesuffix("()")
        full = self.aliases.get(bare)
        if full is not None:
            name = full + head[len(bare) :] + dot + rest
        self._names[id(node)] = name
        return name

    def run(self) -> None:
        scopes = list(self._scopes())
        self.aliases = _aliases(node for scope in scopes for node in scope.nodes)
        self._names.clear()  # names read before the aliases were known
        module = scopes[-1]
        for scope in scopes[:-1]:
            scope.module = module
            # at most MAX_CALLEES of one name: a call is not a search of thousands of methods
            kind = self._methods if scope.method else self.functions
            same = kind.setdefault(scope.name, [])
            if len(same) < MAX_CALLEES:
                same.append(scope)
        self._install_scopes(scopes)
        self._label(scopes)
        for scope in scopes:
            if self.expired():
                return
            self._install = scope.install
            self._sinks(scope)
            self._texts(scope)
            if scope.install is not None:
                self._install_time(scope)
        self._install = None

    # -- install time ------------------------------------------------------------------------

    def _install_scopes(self, scopes: list[_Scope]) -> None:
        """In a package's own setup.py: its statements, the ``run`` of each command class it
        overrides (``cmdclass={"install": PostInstall}``, a subclass of ``install``) and the
        module's functions those call, a hop or two away: code pip runs when it installs."""
        named_setup = self.path.rsplit("/", 1)[-1] == "setup.py" and self.path.count("/") <= 1
        module_calls = [
            statement.value
            for statement in self.tree.body
            if isinstance(statement, ast.Expr | ast.Assign) and isinstance(statement.value, ast.Call)
        ]
        setup_calls = [
            node
            for node in module_calls
            if isinstance(node, ast.Call)
            and self.dotted(node.func).rsplit(".", 1)[-1] == "setup"
            and {"name", "version", "cmdclass", "packages"} & {k.arg for k in node.keywords}
            and (named_setup or "." in self.dotted(node.func) or "cmdclass" in {k.arg for k in node.keywords})
        ]
        # a setuptools command subclassed anywhere is install-time code: setup.py imports
        # it from a module of the package as often as it defines it
        command_classes = {
            node.name
            for node in self.tree.body
            if isinstance(node, ast.ClassDef)
            and any(
                self.dotted(base).startswith(("setuptools.command.", "distutils.command."))
                and self.dotted(base).rsplit(".", 1)[-1] in INSTALL_COMMANDS
                for base in node.bases
            )
        }
        if not named_setup and not setup_calls and not command_classes:
            return
        commands: set[str] = set()
        for call in setup_calls:
            for keyword in call.keywords:
                if keyword.arg != "cmdclass":
                    continue
                entries: list[tuple[str | None, ast.expr]] = []
                if isinstance(keyword.value, ast.Dict):
                    entries = [
                        (self.fold(k) if k is not None else None, v)
                        for k, v in zip(keyword.value.keys, keyword.value.values, strict=False)
                    ]
                elif isinstance(keyword.value, ast.Call) and self.dotted(keyword.value.func) == "dict":
                    entries = [(k.arg, k.value) for k in keyword.value.keywords]  # dict(install=X)
                if entries:
                    commands.update(v.id for _, v in entries if isinstance(v, ast.Name))
                    for command, value in entries:
                        if command in REPLACED_COMMANDS:
                            self._add(
                                ThreatRule.INSTALL_TIME_CODE,
                                f"the {command!r} command replaced by {self.dotted(value) or 'a class'} "
                                f"(line {call.lineno}): its code runs at install",
                                call.lineno,
                                False,
                            )
        for node in _walk(self.tree, limit=MAX_SCOPE_NODES):
            if isinstance(node, ast.ClassDef) and any(
                self.dotted(base).rsplit(".", 1)[-1] in INSTALL_COMMANDS for base in node.bases
            ):
                commands.add(node.name)
        hooks: list[_Scope] = []
        for scope in scopes:
            if scope.module is None:
                scope.install = "the setup script"
                hooks.append(scope)
            elif scope.owner_class is not None and scope.owner_class.name in commands:
                scope.install = f"the setup script's {scope.owner_class.name}.{scope.name}()"
                hooks.append(scope)
        for _ in range(2):  # the module's functions they call
            reached: list[_Scope] = []
            for hook in hooks:
                for node in hook.nodes:
                    if isinstance(node, ast.Call):
                        for callee in self._callee(hook, node):
                            if callee.install is None:
                                callee.install = f"{callee.name}() called by {hook.install}"
                                reached.append(callee)
            hooks = reached

    def _install_time(self, scope: _Scope) -> None:
        """What install-time code should not do at all: reach the network, run a shell."""
        for node in scope.nodes:
            if not isinstance(node, ast.Call):
                continue
            name = self.dotted(node.func)
            line = node.lineno
            if self._source(node) == "network":
                self._add(ThreatRule.INSTALL_TIME_CODE, f"{name}() reaches the network (line {line})", line)
            elif name in SHELL_SINKS or (
                (name in PROCESS_SINKS or name.startswith("subprocess."))
                and any(
                    k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True
                    for k in node.keywords
                )
            ):
                self._add(ThreatRule.INSTALL_TIME_CODE, f"{name}() runs a shell command (line {line})", line)

    # -- scopes ------------------------------------------------------------------------------

    def _scopes(self) -> Iterator[_Scope]:
        module: list[ast.AST] = []
        for statement in self.tree.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                yield self._function(statement)
            elif isinstance(statement, ast.ClassDef):
                for item in statement.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        yield self._function(item, statement)
                    else:
                        module.extend(_walk(item))
            else:
                module.extend(_walk(statement))
        yield _Scope("<module>", module[:MAX_SCOPE_NODES])

    def _function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, owner: ast.ClassDef | None = None
    ) -> _Scope:
        scope = _Scope(node.name, list(_walk(node))[:MAX_SCOPE_NODES])
        scope.owner_class = owner
        arguments = node.args
        positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
        if owner is not None and positional and positional[0] in ("self", "cls"):
            positional = positional[1:]
            scope.method = True
        scope.positional = positional
        scope.keyword_only = [a.arg for a in arguments.kwonlyargs]
        scope.star = arguments.vararg.arg if arguments.vararg else None
        scope.double_star = arguments.kwarg.arg if arguments.kwarg else None
        scope.local.update(positional, scope.keyword_only)
        scope.local.update(n for n in (scope.star, scope.double_star) if n)
        tool = self._tool_decorator(node)
        if tool is not None:
            arguments = node.args
            for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
                if arg.arg not in ("self", "cls", "ctx", "context"):
                    scope.params.add(arg.arg)
                    scope.labels[arg.arg] = {"param"}
            scope.origins["param"] = f"the tool parameter of {tool!r} (line {node.lineno})"
            if tool == DISPATCHER:  # every tool's call: no one description to hold it to
                scope.origins["param"] = f"the tool arguments of {node.name}() (line {node.lineno})"
                return scope
            description = ast.get_docstring(node) or self._decorator_description(node) or ""
            self.tools.append(
                ToolDeclaration(tool, description, self.path, node.lineno, tuple(self._uses(scope)))
            )
        return scope

    def _tool_decorator(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
        """The tool's name when the function is registered as one: ``@mcp.tool()``,
        ``@server.tool``, ``@app.tool(name=...)``; ``@server.call_tool()`` handles every tool."""
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = self.dotted(target)
            last = name.rsplit(".", 1)[-1]
            if last == "tool" and "." in name:
                if isinstance(decorator, ast.Call):
                    for keyword in decorator.keywords:
                        if keyword.arg == "name":
                            return self.fold(keyword.value) or node.name
                    if decorator.args:
                        return self.fold(decorator.args[0]) or node.name
                return node.name
            if last == "call_tool" and "." in name:
                return DISPATCHER
        return None

    def _decorator_description(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call):
                for keyword in decorator.keywords:
                    if keyword.arg == "description":
                        return self.fold(keyword.value)
        return None

    def _uses(self, scope: _Scope) -> Iterator[tuple[str, str, int]]:
        """What a tool's handler can do, for the description check."""
        for node in scope.nodes:
            if isinstance(node, ast.Call):
                name = self.dotted(node.func)
                line = getattr(node, "lineno", 0)
                if name in PROCESS_SINKS or name.split(".", 1)[0] in ("subprocess", "pty"):
                    yield ("process-spawn", name, line)
                elif name in CODE_SINKS and not (node.args and isinstance(node.args[0], ast.Constant)):
                    yield ("dynamic-code", name, line)
                elif name.split(".", 1)[0] in CAPTURE_MODULES or name.endswith(
                    ("ImageGrab.grab", "read_clipboard")
                ):
                    yield ("screen-or-clipboard", name, line)
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and names_sensitive_path(node.value)
            ):
                yield ("sensitive-files", node.value[:80], getattr(node, "lineno", 0))

    # -- labels ------------------------------------------------------------------------------

    def _label(self, scopes: list[_Scope]) -> None:
        """Labels to a fixed point over every scope at once: assignments in a scope, arguments
        of a call into the called function's parameters, returned values into the call."""
        # (scope the value is read in, scope written to, names written, the value, what the
        # step is called when it crosses into another function)
        assignments: list[tuple[_Scope, _Scope, list[str], ast.AST, str | None]] = []
        for scope in scopes:
            for node in scope.nodes:
                targets: list[str] = []
                value: ast.AST | None = None
                if isinstance(node, ast.Assign):
                    targets, value = _names(node.targets), node.value
                elif (
                    isinstance(node, ast.AugAssign | ast.AnnAssign | ast.NamedExpr) and node.value is not None
                ):
                    targets, value = _names([node.target]), node.value
                elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                    targets, value = _names([node.optional_vars]), node.context_expr
                elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                    targets, value = _names([node.target]), node.iter
                elif isinstance(node, ast.Return) and node.value is not None and scope.module is not None:
                    assignments.append((scope, scope.module, [RETURNS + scope.name], node.value, None))
                elif isinstance(node, ast.Call):
                    self._call_arguments(scope, node, assignments)
                    if isinstance(node.func, ast.Lambda):  # (lambda c: exec(c))(blob)
                        names = [a.arg for a in node.func.args.args]
                        for name, argument in zip(names, node.args, strict=False):
                            scope.local.add(name)
                            assignments.append((scope, scope, [name], argument, None))
                    if (
                        isinstance(node.func, ast.Attribute)
                        and node.func.attr in ("append", "extend", "update", "write", "add")
                        and node.args
                        and isinstance(node.func.value, ast.Name)
                    ):
                        # buffer.append(chunk) / data.extend(...) / f.write(x): the object takes x's labels
                        targets, value = [node.func.value.id], node.args[0]
                if value is not None and targets:
                    scope.local.update(targets)
                    assignments.append((scope, scope, targets, value, None))
        # the first pass reads every value and notes the names each one reads; a later pass
        # reads again only the values that read a name the pass before gave new labels
        reads: list[set[str]] = [set() for _ in assignments]
        changed_names: set[str] | None = None
        for _ in range(LABEL_PASSES):
            changed: set[str] = set()
            for count, (read, written, targets, value, step) in enumerate(assignments):
                if count % 4096 == 4095 and self.expired():
                    return
                if changed_names is not None and reads[count].isdisjoint(changed_names):
                    continue
                labels = self._labels_of(read, value, reads[count])
                if not labels:
                    continue
                for target in targets:
                    known = written.labels.setdefault(target, set())
                    if not labels <= known:
                        if step is not None:
                            for label in labels - known:
                                written.origins.setdefault(
                                    label, f"{read.origins.get(label, label)} -> {step}"
                                )
                        known |= labels
                        changed.add(target)
            if not changed:
                break
            changed_names = changed

    def _callee(self, scope: _Scope, call: ast.Call) -> list[_Scope]:
        """The module's own functions a call reaches: ``helper(...)``, ``self.helper(...)``."""
        name = self.dotted(call.func)
        if "." not in name:
            return self.functions.get(name, [])
        owner, _, method = name.partition(".")
        if owner in ("self", "cls") and "." not in method:
            return self._methods.get(method, [])
        return []

    def _call_arguments(
        self,
        scope: _Scope,
        call: ast.Call,
        assignments: list[tuple[_Scope, _Scope, list[str], ast.AST, str | None]],
    ) -> None:
        callees = self._callee(scope, call)
        for callee in callees[:8]:
            if callee is scope:
                continue
            step = f"{callee.name}() (line {call.lineno})"
            for index, argument in enumerate(call.args):
                value = argument.value if isinstance(argument, ast.Starred) else argument
                if index < len(callee.positional) and not isinstance(argument, ast.Starred):
                    assignments.append((scope, callee, [callee.positional[index]], value, step))
                elif callee.star:
                    assignments.append((scope, callee, [callee.star], value, step))
            for keyword in call.keywords:
                if keyword.arg in (*callee.positional, *callee.keyword_only):
                    assignments.append((scope, callee, [keyword.arg], keyword.value, step))
                elif callee.double_star:
                    assignments.append((scope, callee, [callee.double_star], keyword.value, step))

    def _lookup(self, scope: _Scope, name: str) -> set[str]:
        if name in scope.local or scope.module is None:
            return scope.labels.get(name, set())
        return scope.module.labels.get(name, set())

    def _labels_of(self, scope: _Scope, node: ast.AST, reads: set[str] | None = None) -> set[str]:
        """The labels an expression carries; ``reads`` collects the names it looks up."""
        found: set[str] = set()
        whole = _whole_environment(node)
        for child in _walk(node, limit=2000):
            if isinstance(child, ast.Name):
                found |= self._lookup(scope, child.id)
                if reads is not None:
                    reads.add(child.id)
            elif isinstance(child, ast.Call):
                label = self._source(child)
                if label is not None:
                    found.add(label)
                    scope.origins.setdefault(
                        label, f"{self.dotted(child.func) or 'a call'}() (line {child.lineno})"
                    )
                for callee in self._callee(scope, child):
                    if callee is scope:
                        continue
                    returned = (scope.module or scope).labels.get(RETURNS + callee.name, set())
                    if reads is not None:
                        reads.add(RETURNS + callee.name)
                    for label in returned - found:
                        scope.origins.setdefault(
                            label,
                            f"{callee.origins.get(label, label)} -> returned by {callee.name}() "
                            f"(line {child.lineno})",
                        )
                    found |= returned
            elif isinstance(child, ast.Subscript):
                if _reversed_slice(child.slice) and self.fold(child.value) is not None:
                    found.add("decoded")
                    scope.origins.setdefault("decoded", f"a string reversed (line {child.lineno})")
                elif _is_environ(child.value) and (self.fold(child.slice) or "") in HOST_VARIABLES:
                    found.add("host-info")
                    scope.origins.setdefault("host-info", f"os.environ[...] (line {child.lineno})")
            if isinstance(child, ast.Attribute | ast.Name) and id(child) in whole:
                found.add("environment")
                scope.origins.setdefault("environment", f"os.environ (line {child.lineno})")
            elif (
                isinstance(child, ast.Constant)
                and isinstance(child.value, str)
                and names_credential_store(child.value)
            ):
                found.add("secret-path")
                scope.origins.setdefault("secret-path", f"{child.value[:60]!r} (line {child.lineno})")
        if "secret-path" in found and self._reads(scope, node):
            found.add("secret")
            scope.origins.setdefault("secret", scope.origins.get("secret-path", "a credential file"))
        return found

    def _source(self, call: ast.Call) -> str | None:
        name = self.dotted(call.func)
        root, last = name.split(".", 1)[0], name.rsplit(".", 1)[-1]
        if (
            last in NETWORK_READS
            or name.startswith("urllib.request.")
            or (root in NETWORK_ROOTS and last in NETWORK_CALLS)
        ):
            return "network"
        if last in DECODERS or name in (
            "codecs.decode",
            "zlib.decompress",
            "bz2.decompress",
            "lzma.decompress",
        ):
            return "decoded"
        if name in ("chr", "bytes", "bytearray", "bytearray.fromhex") or last in STEGANOGRAPHY:
            return "decoded"
        if name in SECRET_READERS or root in ("browser_cookie3", "keyring", "secretstorage", "win32cred"):
            return "secret"
        if name == "marshal.loads":
            return "decoded"  # a code object out of bytes
        if name == "map" and call.args and isinstance(call.args[0], ast.Name) and call.args[0].id == "chr":
            return "decoded"  # "".join(map(chr, codes))
        if last == "decode" and call.args and "." in name:
            codec = (self.fold(call.args[0]) or "utf-8").lower().replace("_", "-")
            if codec not in TEXT_CODECS:
                return "decoded"
        if "steg" in name.lower():
            return "decoded"  # a message hidden in an image
        if (
            last == "join"
            and call.args
            and isinstance(call.args[0], ast.Call)
            and self.dotted(call.args[0].func) == "reversed"
        ):
            return "decoded"  # "".join(reversed(text))
        owner = call.func.value if isinstance(call.func, ast.Attribute) else None
        if (
            last in ("getenv", "get")
            and call.args
            and (name in ("os.getenv", "getenv") or (owner is not None and _is_environ(owner)))
            and (self.fold(call.args[0]) or "") in HOST_VARIABLES
        ):
            return "host-info"
        if (name in PROCESS_SINKS or name.startswith("subprocess.")) and call.args:
            label = command_output_label(self._command_text(call.args[0]))
            if label is not None:
                return label
        if name in HOST_INFO or root in CAPTURE_MODULES:
            return "host-info"
        if name in ("input", "raw_input") or name.startswith("sys.stdin."):
            return "param"
        return None

    def _reads(self, scope: _Scope, node: ast.AST) -> bool:
        """An expression that reads a file (so a credential path in it yields its content),
        itself or through a function of the module that reads one."""
        for child in _walk(node, limit=500):
            if isinstance(child, ast.Call):
                name = self.dotted(child.func)
                if name.rsplit(".", 1)[-1] in FILE_READS or name in (
                    "sqlite3.connect",
                    "shutil.copy",
                    "shutil.copyfile",
                ):
                    return True  # a browser's database opened or copied aside to be read
                if any(self._reads_files(callee) for callee in self._callee(scope, child)):
                    return True
        return False

    def _reads_files(self, scope: _Scope) -> bool:
        if scope.reads_files is None:
            scope.reads_files = any(
                isinstance(n, ast.Call) and self.dotted(n.func).rsplit(".", 1)[-1] in FILE_READS
                for n in scope.nodes
            )
        return scope.reads_files

    def _program(self, node: ast.AST) -> str | None:
        """The program a command starts when its start is fixed text: ``["git", ...]``,
        ``f"git remote add {name}"``, ``"git " + x``; None when the command is all data."""
        if isinstance(node, ast.List | ast.Tuple):
            value = self.fold(node.elts[0]) if node.elts else None
            words = value.split() if value else []
            return words[0] if words else None
        head: ast.AST | None = node
        if isinstance(node, ast.JoinedStr):
            head = node.values[0] if node.values else None
        else:
            hops = 0
            while isinstance(head, ast.BinOp) and isinstance(head.op, ast.Add) and hops < 64:
                head, hops = head.left, hops + 1
        value = self.fold(head) if isinstance(head, ast.expr) else None
        if not value or not value.split():
            return None
        if head is node or " " in value.lstrip():  # the whole command, or its start with a space
            return value.split()[0]
        return None

    def _command_text(self, node: ast.AST) -> str:
        """A command as text: a string, or a list's items joined (unknown items as ``x``)."""
        if isinstance(node, ast.List | ast.Tuple):
            return " ".join((self.fold(item) or "x") for item in node.elts[:32])
        return self.fold(node) or ""

    # -- sinks -------------------------------------------------------------------------------

    def _sinks(self, scope: _Scope) -> None:
        self._scope = scope
        written_from_network: set[str] = set()
        host_commands: set[str] = set()
        called = {id(n.func) for n in scope.nodes if isinstance(n, ast.Call)}
        for count, node in enumerate(scope.nodes):
            if count % 4096 == 4095 and self.expired():
                return
            if isinstance(node, ast.Name | ast.Attribute) and id(node) not in called:
                self._code_runner_as_value(node)
            if isinstance(node, ast.Dict):
                self._planted_hook(scope, node)
            if isinstance(node, ast.Subscript):
                self._hidden_subscript(node)
            elif isinstance(node, ast.Name) and self.source_lines:
                self._look_alike(node)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
                carried = embedded_executable(node.value)
                if carried is not None:
                    self.obfuscation.append(
                        Obfuscation(
                            f"{carried} carried in a literal (line {node.lineno})", self.path, node.lineno
                        )
                    )
            if not isinstance(node, ast.Call):
                continue
            name = self.dotted(node.func)
            last = name.rsplit(".", 1)[-1]
            line = node.lineno
            argument_labels = self._argument_labels(scope, node)
            if last in PACKERS:
                self.obfuscation.append(Obfuscation(f"code packed by PyArmor ({name}())", self.path, line))
            if name in CODE_SINKS or (
                last in ("exec", "eval", "compile")
                and (name.split(".", 1)[0] in NAMESPACES or name.startswith("__import__("))
            ):
                self._code_sink(scope, name, line, argument_labels)
                first = node.args[0] if node.args else None
                if (
                    first is not None
                    and not isinstance(first, ast.Constant)
                    and last in ("exec", "eval", "compile")
                    and _code_like(self.fold(first))
                ):
                    self._add(
                        ThreatRule.DECODED_CODE_RUN,
                        f"code assembled from pieces -> {name}() (line {line})",
                        line,
                    )
                if node.args and self._escaped(node.args[0]):
                    self._add(
                        ThreatRule.DECODED_CODE_RUN,
                        f"code written in escapes -> {name}() (line {line})",
                        line,
                    )
            elif name in PROCESS_SINKS or (name.startswith("subprocess.") and last[:1].islower()):
                self._process_sink(scope, node, name, line, argument_labels, written_from_network)
            elif last == "urlretrieve" and len(node.args) >= 2:
                keys = self._path_keys(node.args[1])
                written_from_network |= keys
                url = (self.fold(node.args[0]) or "").split("?", 1)[0].lower()
                if any(k.lower().endswith(EXECUTABLE_SUFFIXES) for k in keys) or url.endswith(
                    EXECUTABLE_SUFFIXES
                ):
                    self._add(
                        ThreatRule.DOWNLOAD_AND_RUN,
                        f"{name}() downloads an executable file (line {line})",
                        line,
                        False,
                    )
            elif last in ("write", "write_bytes") and "network" in argument_labels:
                owner = node.func.value if isinstance(node.func, ast.Attribute) else None
                if isinstance(owner, ast.Call) and owner.args and self.dotted(owner.func).endswith("open"):
                    owner = owner.args[0]
                if owner is not None:
                    keys = self._path_keys(owner) | self._opened_paths(scope, owner)
                    written_from_network |= keys
                    if any(k.lower().endswith(EXECUTABLE_SUFFIXES) for k in keys):
                        self._add(
                            ThreatRule.DOWNLOAD_AND_RUN,
                            f"{scope.origins.get('network', 'a network read')} -> an executable file "
                            f"written (line {line})",
                            line,
                            False,
                        )
            elif last == "chmod" and node.args:
                self._chmod(scope, node, written_from_network)
            self._planted_library(scope, node, name, last)
            self._hidden_call(node, name, last)
            if last == "Tool" and node.keywords:
                self._tool_object(node)
            if (last.lower() in SINK_CALLS or last in DNS_SINKS) and name not in CODE_SINKS:
                leaked = argument_labels & {"secret", "environment"}
                if leaked:
                    label = sorted(leaked)[0]
                    self._add(
                        ThreatRule.CREDENTIAL_EXFILTRATION,
                        f"{scope.origins.get(label, label)} -> {name}() (line {line})",
                        line,
                    )
                elif "host-info" in argument_labels:
                    self._add(
                        ThreatRule.HOST_INFO_EXFILTRATION,
                        f"{scope.origins.get('host-info', 'host information')} -> {name}() (line {line})",
                        line,
                    )
            if (
                last in SQL_SINKS
                and node.args
                and "param" in argument_labels
                and _formatted(node.args[0])
                and "param" in self._labels_of(scope, node.args[0])
            ):
                self._add(
                    ThreatRule.COMMAND_INJECTION,
                    f"{scope.origins.get('param', 'a parameter')} -> SQL text built by formatting -> "
                    f"{name}() (line {line})",
                    line,
                )
            if (
                (name in TEMPLATE_SINKS or last in ("from_string", "render_template_string"))
                and node.args
                and "param" in self._labels_of(scope, node.args[0])
            ):
                self._add(
                    ThreatRule.COMMAND_INJECTION,
                    f"{scope.origins.get('param', 'a parameter')} -> template source -> {name}() "
                    f"(line {line})",
                    line,
                )
            self._capture(scope, node, name, last, host_commands)
            if (
                name in ("shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree")
                and node.args
                and self._dotted_or_name(node.args[0]) in ("__file__", "sys.argv[0]", "sys.executable")
            ):
                self._add(
                    ThreatRule.SELF_PROPAGATION,
                    f"{name}() copies the running program elsewhere (line {line})",
                    line,
                    False,
                )
            if last in ANTI_DEBUG or name in ANTI_DEBUG:
                self._add(ThreatRule.DEFENCE_EVASION, f"anti-debugging: {name}() (line {line})", line, False)
            if last == "dup2" and name.startswith("os.") and self._scope_has_socket(scope):
                self._add(
                    ThreatRule.REMOTE_SHELL,
                    f"a socket's descriptor -> os.dup2() onto the standard streams (line {line})",
                    line,
                )

    def _planted_library(self, scope: _Scope, call: ast.Call, name: str, last: str) -> None:
        """A native library (a DLL) written or copied into place by the code: planted for a
        program to load in its own name (DLL search-order hijacking)."""
        target: ast.AST | None = None
        if name in (
            "shutil.copy",
            "shutil.copy2",
            "shutil.copyfile",
            "shutil.move",
            "os.rename",
            "os.replace",
        ):
            target = call.args[1] if len(call.args) > 1 else None
        elif last == "urlretrieve" and len(call.args) > 1:
            target = call.args[1]
        elif last in ("write_bytes", "write") and isinstance(call.func, ast.Attribute):
            owner = call.func.value
            if isinstance(owner, ast.Call) and owner.args and self.dotted(owner.func).endswith("open"):
                target = owner.args[0]
            elif last == "write_bytes":
                target = owner
            else:
                keys = self._opened_paths(scope, owner)
                value = next((k[6:] for k in keys if k.startswith("value:")), "")
                target = ast.Constant(value) if value else None
        value = (self.fold(target) or "") if target is not None else ""
        if not value and target is not None and self._joined_dll(target):
            value = "<a folder of the machine's>/" + str(self._joined_dll(target))
        if value and (NATIVE_LIBRARY.search(value.strip()) or value.startswith("<a folder")):
            line = call.lineno
            self._add(
                ThreatRule.DEFENCE_EVASION,
                f"a native library planted: {value[-60:]!r} written by {name}() (line {line})",
                line,
                False,
            )

    def _joined_dll(self, target: ast.AST) -> str | None:
        """``os.path.join(tempfile.gettempdir(), "version.dll")``, ``Path(x) / "winmm.dll"``:
        a DLL's name joined to a folder computed at run time that is not the package's own
        (no ``__file__``, ``sys.prefix`` or site-packages in it); the DLL's name."""
        last: ast.AST | None = None
        if isinstance(target, ast.Call) and self.dotted(target.func) in ("os.path.join", "path.join", "join"):
            last = target.args[-1] if target.args else None
        elif isinstance(target, ast.BinOp) and isinstance(target.op, ast.Div):
            last = target.right
        name = self.fold(last) if last is not None else None
        if not name or not name.lower().endswith(".dll"):
            return None
        for node in _walk(target, limit=200):
            if isinstance(node, ast.Name) and node.id in ("__file__", "__path__"):
                return None
            if isinstance(node, ast.Attribute) and self.dotted(node) in ("sys.prefix", "sys.base_prefix"):
                return None
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and "site-packages" in node.value
            ):
                return None
        return name

    def _planted_hook(self, scope: _Scope, node: ast.Dict) -> None:
        """``{"postinstall": "node x.js"}`` built where files are written: a package.json's
        install hook written into another package, how a worm runs again in the next one."""
        if not any(
            isinstance(k, ast.Constant) and k.value in ("preinstall", "postinstall") for k in node.keys[:64]
        ):
            return
        if any(
            isinstance(n, ast.Call)
            and self.dotted(n.func).rsplit(".", 1)[-1] in ("dump", "write", "write_text")
            for n in scope.nodes
        ):
            line = node.lineno
            self._add(
                ThreatRule.SELF_PROPAGATION,
                f"an install hook written into a package.json (line {line})",
                line,
                False,
            )

    def _dotted_or_name(self, node: ast.AST) -> str:
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            return f"{self.dotted(node.value)}[{node.slice.value!r}]"
        return self.dotted(node)

    def _capture(self, scope: _Scope, call: ast.Call, name: str, last: str, host_commands: set[str]) -> None:
        """Capture of the screen, the clipboard, the keyboard, or of host facts by running two
        or more of the commands that print them (``whoami``, ``hostname``): ``covert-capture``
        unless a tool of the package documents it (decided with the package's tools)."""
        line = call.lineno
        if (
            last not in CAPTURE_LAST
            and last not in SCREEN_METHODS
            and not (name in PROCESS_SINKS or name.startswith("subprocess."))
        ):
            return
        for kind, calls in CAPTURE_CALLS.items():
            if name in calls or last in calls or any(name.endswith("." + c) for c in calls if "." in c):
                self._add(
                    ThreatRule.COVERT_CAPTURE, f"{name}() captures the {kind} (line {line})", line,
                    capture=kind,
                )  # fmt: skip
                return
        owner = call.func.value if isinstance(call.func, ast.Attribute) else None
        if last in SCREEN_METHODS and (
            name.split(".", 1)[0] in SCREEN_MODULES
            or (isinstance(owner, ast.Name) and self._made_by(scope, owner.id) & SCREEN_MODULES)
        ):
            self._add(
                ThreatRule.COVERT_CAPTURE,
                f"{name}() captures the screen (line {line})",
                line,
                capture="screen",
            )
            return
        if (name in PROCESS_SINKS or name.startswith("subprocess.")) and call.args:
            command = self._command_text(call.args[0])
            if SCREEN_COMMAND.match(command):
                self._add(
                    ThreatRule.COVERT_CAPTURE,
                    f"{name}() runs {command.split()[0]!r}: captures the screen (line {line})",
                    line,
                    capture="screen",
                )
            elif command_output_label(command) == "host-info" and command.split():
                host_commands.add(command.split()[0].lower())
                if len(host_commands) >= 2:
                    self._add(
                        ThreatRule.COVERT_CAPTURE,
                        f"host facts collected by running {', '.join(sorted(host_commands)[:4])} "
                        f"(line {line})",
                        line,
                        capture="host",
                    )

    def _made_by(self, scope: _Scope, variable: str) -> set[str]:
        """The modules whose calls a name is bound to in a scope: ``sct = mss.mss()``, ``with
        mss.mss() as sct``."""
        modules: set[str] = set()
        for node in scope.nodes:
            value: ast.AST | None = None
            if isinstance(node, ast.Assign) and variable in _names(node.targets):
                value = node.value
            elif (
                isinstance(node, ast.withitem)
                and isinstance(node.optional_vars, ast.Name)
                and node.optional_vars.id == variable
            ):
                value = node.context_expr
            if isinstance(value, ast.Call):
                modules.add(self.dotted(value.func).split(".", 1)[0])
            if len(modules) > 8:
                break
        return modules

    def _tool_object(self, call: ast.Call) -> None:
        """``types.Tool(name=..., description=..., inputSchema=...)`` of the low-level API."""
        fields = {k.arg: k.value for k in call.keywords if k.arg}
        if "description" not in fields or "name" not in fields:
            return
        name, description = self.fold(fields["name"]), self.fold(fields["description"])
        if name and description:
            self.tools.append(ToolDeclaration(name, description, self.path, call.lineno))

    def _hidden_call(self, call: ast.Call, name: str, last: str) -> None:
        """``getattr(os, "system")``, ``__import__("os").system(...)``: a call that runs code,
        reached by a computed name rather than written."""
        line = call.lineno
        if (name == "getattr" and len(call.args) >= 2) or (last == "__getattribute__" and call.args):
            getter = name == "getattr"
            owner = self.dotted(call.args[0]) if getter else name.rsplit(".", 1)[0]
            key_node = call.args[1] if getter else call.args[0]
            key = self.fold(key_node)
            computed = not isinstance(key_node, ast.Constant)
            # getattr(os, "startfile", None) probes for a platform's function: not hidden
            probe = getter and len(call.args) > 2 and not computed
            plain_module = not probe and (owner in NAMESPACES or owner in CODE_MODULES)
            computed = computed or self._escaped(key_node)
            if key in HIDDEN_NAMES and (computed or plain_module or owner.startswith("__import__")):
                self._add(ThreatRule.HIDDEN_CODE_RUN, f"getattr({owner or '…'}, {key!r}) (line {line})", line)
            elif (plain_module or owner.startswith("__import__")) and "decoded" in self._labels_of(
                self._scope, key_node
            ):
                # getattr(builtins, <bytes decoded at run time>): the name is hidden even from folding
                self._add(
                    ThreatRule.HIDDEN_CODE_RUN,
                    f"getattr({owner}, <a name decoded at run time>) (line {line})",
                    line,
                )
        elif (
            name in ("__import__", "importlib.import_module")
            and call.args
            and not isinstance(call.args[0], ast.Constant)
            and self.fold(call.args[0]) in HIDDEN_MODULES
        ):
            module = self.fold(call.args[0])
            self._add(
                ThreatRule.HIDDEN_CODE_RUN, f"{name}() of {module!r} by a computed name (line {line})", line
            )
        elif last in HIDDEN_NAMES and name.startswith(("__import__()", "importlib.import_module()")):
            self._add(ThreatRule.HIDDEN_CODE_RUN, f"{name}() through an import by name (line {line})", line)

    def _code_runner_as_value(self, node: ast.Name | ast.Attribute) -> None:
        """``run = exec``, ``map(eval, texts)``, ``[exec][0](code)``: a builtin that runs code
        handed on as a value, so the call that runs it does not read as one."""
        if not isinstance(node.ctx, ast.Load):
            return
        if isinstance(node, ast.Name):
            name = node.id
            if name not in CODE_RUNNERS or name in self.aliases or name in self.functions:
                return
            if name in self._scope.local or (
                self._scope.module is not None and name in self._scope.module.local
            ):
                return  # a name of the module's own (eval = my_eval)
        else:
            if node.attr not in CODE_RUNNERS:
                return
            name = self.dotted(node)
            if name not in ("builtins.exec", "builtins.eval", "builtins.compile", "builtins.__import__"):
                return
        line = node.lineno
        self._add(ThreatRule.HIDDEN_CODE_RUN, f"{name} handed on as a value (line {line})", line)

    def _escaped(self, node: ast.AST) -> bool:
        """A string literal written mostly in escapes: ``"\\x65\\x76\\x61\\x6c"``."""
        if (
            not self.source_lines
            or not isinstance(node, ast.Constant)
            or not isinstance(node.value, str | bytes)
        ):
            return False
        if node.lineno != node.end_lineno or node.lineno > len(self.source_lines):
            return False
        text = self.source_lines[node.lineno - 1][node.col_offset : node.end_col_offset]
        escapes = ESCAPES.findall(text)
        return len(escapes) >= 3 and sum(len(e) for e in escapes) * 2 >= len(text)

    def _look_alike(self, node: ast.Name) -> None:
        """``exec`` written in look-alike letters (mathematical monospace, full-width): Python
        reads them as ``exec`` (NFKC), a reader and a search for the name do not."""
        if node.id not in HIDDEN_NAMES and node.id not in ("os", "subprocess", "getattr", "__import__"):
            return
        if node.lineno > len(self.source_lines):
            return
        written = self.source_lines[node.lineno - 1][node.col_offset : node.col_offset + 1]
        if written and not written.isascii():
            line = node.lineno
            self._add(
                ThreatRule.HIDDEN_CODE_RUN, f"{node.id!r} written in look-alike letters (line {line})", line
            )

    def _hidden_subscript(self, node: ast.Subscript) -> None:
        """``__builtins__.__dict__["exec"]``, ``globals()["ev" + "al"]``."""
        key = self.fold(node.slice)
        if key not in HIDDEN_NAMES:
            return
        owner = self.dotted(node.value).replace("()", "")
        if owner in NAMESPACES or owner.endswith("__dict__") or owner.startswith("sys.modules"):
            line = node.lineno
            self._add(ThreatRule.HIDDEN_CODE_RUN, f"{owner}[{key!r}] (line {line})", line)

    def _argument_labels(self, scope: _Scope, call: ast.Call) -> set[str]:
        labels: set[str] = set()
        sink = self.dotted(call.func).rsplit(".", 1)[-1].lower() in SINK_CALLS
        for argument in (*call.args, *(k.value for k in call.keywords)):
            labels |= self._labels_of(scope, argument)
            if sink and (_is_environ(argument) or self._environ_alias_whole(scope, argument)):
                labels.add("environment")  # requests.post(url, json=os.environ), json=dict(env)
                scope.origins.setdefault("environment", f"os.environ (line {call.lineno})")
        return labels

    def _environ_alias_whole(self, scope: _Scope, argument: ast.AST) -> bool:
        """``env = os.environ`` then ``env`` itself in what is sent (``json=env``,
        ``data=str(env)``, ``{**env}``); ``env["TOKEN"]`` and ``env.get("TOKEN")`` are one
        variable and not this."""
        aliases = self._environ_aliases(scope)
        if not aliases:
            return False
        nodes = list(_walk(argument, limit=200))
        read_one = {
            id(n.value)
            for n in nodes
            if isinstance(n, ast.Subscript | ast.Attribute) and isinstance(n.value, ast.Name)
        }
        return any(isinstance(n, ast.Name) and n.id in aliases and id(n) not in read_one for n in nodes)

    def _environ_aliases(self, scope: _Scope) -> set[str]:
        """Names bound to ``os.environ`` itself in a scope or in the module."""
        found: set[str] = set()
        for owner in (scope, scope.module):
            if owner is None:
                continue
            if owner.environ_aliases is None:
                owner.environ_aliases = {
                    name
                    for node in owner.nodes
                    if isinstance(node, ast.Assign) and _is_environ(node.value)
                    for name in _names(node.targets)
                }
            found |= owner.environ_aliases
        return found

    def _code_sink(self, scope: _Scope, name: str, line: int, labels: set[str]) -> None:
        if "network" in labels:
            origin = scope.origins.get("network", "a network read")
            self._add(ThreatRule.DOWNLOAD_AND_RUN, f"{origin} -> {name}() (line {line})", line)
        elif "decoded" in labels:
            origin = scope.origins.get("decoded", "decoded data")
            self._add(ThreatRule.DECODED_CODE_RUN, f"{origin} -> {name}() (line {line})", line)
        elif "param" in labels:
            self._add(
                ThreatRule.COMMAND_INJECTION,
                f"{scope.origins.get('param', 'a parameter')} -> {name}() (line {line})",
                line,
            )

    def _process_sink(
        self,
        scope: _Scope,
        call: ast.Call,
        name: str,
        line: int,
        labels: set[str],
        downloaded: set[str],
    ) -> None:
        command = (
            call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "args"), None)
        )
        # downloaded or decoded data is run when it is the command, or what an interpreter is
        # handed; as an argument of a fixed program (git remote add NAME URL) it is data
        command_labels = self._labels_of(scope, command) if command is not None else set()
        program = self._program(command) if command is not None else None
        ran = command_labels if program is None else (labels if runs_data(program) else set())
        if "network" in ran or "decoded" in ran:
            label = "network" if "network" in ran else "decoded"
            origin = scope.origins.get(label, label)
            self._add(ThreatRule.DOWNLOAD_AND_RUN, f"{origin} -> {name}() (line {line})", line)
        fetched = downloaded_file(self._command_text(command)) if command is not None else None
        if fetched:
            downloaded.add("value:" + fetched)
        # the file a command runs: its program, or what a launcher or an interpreter is given
        words = (
            [w.replace("\\", "/").rsplit("/", 1)[-1] for w in self._command_text(command).split()[:64]]
            if command is not None
            else []
        )
        launches = bool(words) and (runs_data(words[0]) or words[0].lower() in LAUNCHERS)
        ran_names = set(words if launches else words[:1])
        downloaded_names = {
            k.split(":", 1)[1].replace("\\", "/").rsplit("/", 1)[-1]
            for k in downloaded
            if k.startswith("value:")
        }
        if fetched:
            ran_names.discard(fetched)  # the download names its own file
        for argument in call.args[:1]:
            if self._path_keys(argument) & downloaded or (ran_names & downloaded_names - {""}):
                self._add(
                    ThreatRule.DOWNLOAD_AND_RUN,
                    f"a file written from the network -> {name}() (line {line})",
                    line,
                )
        shell = (
            name in SHELL_SINKS
            or name.endswith("_shell")
            or any(
                k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in call.keywords
            )
        )
        first = call.args[0] if call.args else None
        if "param" in labels and first is not None:
            fixed_list = isinstance(first, ast.List | ast.Tuple) and not shell
            if not fixed_list and "param" in self._labels_of(scope, first):
                self._add(
                    ThreatRule.COMMAND_INJECTION,
                    f"{scope.origins.get('param', 'a parameter')} -> {'shell ' if shell else ''}"
                    f"command of {name}() (line {line})",
                    line,
                )
        for keyword in call.keywords:
            if keyword.arg in ("stdin", "stdout", "stderr") and self._is_socket(scope, keyword.value):
                self._add(
                    ThreatRule.REMOTE_SHELL,
                    f"a socket -> {keyword.arg} of {name}() (line {line})",
                    line,
                )
        if (
            command is not None
            and _interactive_shell(self._command_text(command))
            and self._scope_has_socket(scope)
        ):
            # a shell with no script of its own, started where a socket is opened: what it reads
            # and writes is the socket's (threads copying between the two, a Windows cmd.exe)
            self._add(
                ThreatRule.REMOTE_SHELL,
                f"an interactive shell ({self._command_text(command)[:40]!r}) started by {name}() beside a "
                f"socket (line {line})",
                line,
                False,
            )
        if name == "pty.spawn" and self._scope_has_socket(scope):
            self._add(ThreatRule.REMOTE_SHELL, f"a socket -> pty.spawn() (line {line})", line)

    def _chmod(self, scope: _Scope, call: ast.Call, downloaded: set[str]) -> None:
        line = call.lineno
        mode = call.args[1] if len(call.args) > 1 else None
        target = self.fold(call.args[0]) or ""
        if mode is not None and _setuid(mode):
            self._add(
                ThreatRule.PRIVILEGE_ESCALATION, f"chmod() sets a setuid/setgid bit (line {line})", line
            )
        if PRIVILEGE_TEXT.search(target):
            self._add(ThreatRule.PRIVILEGE_ESCALATION, f"chmod() of {target!r} (line {line})", line)
        if self._path_keys(call.args[0]) & downloaded:
            self._add(
                ThreatRule.DOWNLOAD_AND_RUN, f"a file written from the network -> chmod() (line {line})", line
            )

    def _path_keys(self, node: ast.AST) -> set[str]:
        keys: set[str] = set()
        if isinstance(node, ast.Name):
            keys.add("name:" + node.id)
        value = self.fold(node)
        if value:
            keys.add("value:" + value)
        return keys

    def _opened_paths(self, scope: _Scope, handle: ast.AST) -> set[str]:
        """``with open(P, "wb") as f``: the path keys of the file ``f`` is."""
        if not isinstance(handle, ast.Name):
            return set()
        for node in scope.nodes:
            if (
                isinstance(node, ast.withitem)
                and isinstance(node.optional_vars, ast.Name)
                and node.optional_vars.id == handle.id
                and isinstance(node.context_expr, ast.Call)
                and node.context_expr.args
            ):
                return self._path_keys(node.context_expr.args[0])
        return set()

    def _is_socket(self, scope: _Scope, node: ast.AST) -> bool:
        for child in _walk(node, limit=50):
            if isinstance(child, ast.Call) and self.dotted(child.func).endswith("fileno"):
                return self._scope_has_socket(scope)
            if isinstance(child, ast.Name) and "network" in scope.labels.get(child.id, set()):
                return True  # stdin=sock: the socket object itself
        return False

    def _scope_has_socket(self, scope: _Scope) -> bool:
        for node in scope.nodes:
            if isinstance(node, ast.Call):
                name = self.dotted(node.func)
                if name.startswith("socket.") or name.rsplit(".", 1)[-1] in ("create_connection", "connect"):
                    return True
        return False

    # -- fixed texts -------------------------------------------------------------------------

    def _texts(self, scope: _Scope) -> None:
        acting = [n for n in scope.nodes if isinstance(n, ast.Call) and self._acts(self.dotted(n.func), n)]
        if not acting:
            return
        acting_lines = {n.lineno for n in acting}
        values: list[tuple[str, int, bool]] = []
        for node in scope.nodes:
            if isinstance(node, ast.Constant | ast.JoinedStr | ast.BinOp | ast.Name):
                value = self.fold(node)
                if value and len(value) >= 4:
                    line = getattr(node, "lineno", 0)
                    values.append((value, line, line in acting_lines))
        for value, line, in_call in values:
            for rule, said in named_techniques(value, line, in_call):
                self._add(rule, said, line, in_call)
            if EVIDENCE_PATH.search(value) and in_call:
                self._add(
                    ThreatRule.DEFENCE_EVASION, f"removes or rewrites {value[:80]!r} (line {line})", line
                )

    def _acts(self, name: str, call: ast.Call) -> bool:
        """A call that writes a file, edits the registry or starts a process."""
        last = name.rsplit(".", 1)[-1]
        if name in PROCESS_SINKS or name.startswith("subprocess.") or name in CODE_SINKS:
            return True
        if name in WRITE_CALLS or last in WRITE_METHODS or name.startswith("winreg."):
            return True
        if last == "open" and len(call.args) > 1:
            mode = self.fold(call.args[1]) or ""
            return any(c in mode for c in "wax+")
        return (
            any(
                k.arg == "mode" and any(c in (self.fold(k.value) or "") for c in "wax+")
                for k in call.keywords
            )
            and last == "open"
        )

    def _add(self, rule: ThreatRule, flow: str, line: int, reaches: bool = True, capture: str = "") -> None:
        if (rule, line) in self._seen:
            return
        if self._install is not None:  # runs whenever the package is installed from source
            reaches = True
            flow = f"{flow}, run at install by {self._install}"
        self._seen.add((rule, line))
        self.threats.append(Threat(rule, flow, self.path, line, reaches, capture))


def _walk(node: ast.AST, limit: int = MAX_SCOPE_NODES) -> Iterator[ast.AST]:
    """``ast.walk``, bounded."""
    for count, child in enumerate(ast.walk(node)):
        if count >= limit:
            return
        yield child


def _names(targets: list[ast.expr]) -> list[str]:
    names: list[str] = []
    for target in targets:
        for node in _walk(target, limit=64):
            if isinstance(node, ast.Name):
                names.append(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                names.append(node.value.id)  # self.data = x labels self
    return names


#: Calls that turn the whole environment into data (``dict(os.environ)``, ``json.dumps``).
WHOLE_ENVIRONMENT_CALLS = frozenset({"dict", "str", "repr", "list", "sorted", "json.dumps", "pprint.pformat"})


def _is_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    ) or (isinstance(node, ast.Name) and node.id == "environ")


def _whole_environment(root: ast.AST) -> set[int]:
    """``os.environ`` nodes taken whole as data: ``dict(os.environ)``, ``os.environ.copy()``,
    ``{**os.environ}``, ``json.dumps(os.environ)``; an alias (``env = os.environ``) read by
    name (``env["TOKEN"]``) is one variable, not the environment."""
    found: set[int] = set()
    for node in _walk(root, limit=2000):
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else f"{func.value.id}.{func.attr}"
                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                else ""
            )
            if name in WHOLE_ENVIRONMENT_CALLS:
                found.update(id(a) for a in node.args if _is_environ(a))
            if (
                isinstance(node.func, ast.Attribute)
                and node.func.attr in ("copy", "items", "values")
                and _is_environ(node.func.value)
            ):
                found.add(id(node.func.value))
        elif isinstance(node, ast.Dict):
            # {**os.environ} and {"env": os.environ}: the environment taken whole
            found.update(id(value) for value in node.values if _is_environ(value))
        elif isinstance(node, ast.FormattedValue) and _is_environ(node.value):
            found.add(id(node.value))
        elif isinstance(node, ast.List | ast.Tuple):
            found.update(id(item) for item in node.elts if _is_environ(item))
    return found


#: Shells, by the program's file name.
SHELLS = POSIX_SHELLS | WINDOWS_SHELLS


def _interactive_shell(command: str) -> bool:
    """A command that is a shell with no script or command of its own: ``/bin/sh -i``,
    ``["cmd.exe"]``, ``bash``; ``bash -c "..."`` and ``sh script.sh`` run something named."""
    words = command.split()
    if not words or len(words) > 3:
        return False
    program = words[0].replace("\\", "/").rsplit("/", 1)[-1].lower()
    return program in SHELLS and all(
        w.startswith("-") and w.lower() not in ("-c", "/c", "-command") for w in words[1:]
    )


def _code_like(value: str | None) -> bool:
    """Folded text that reads as a call or a member of something: code, not a word."""
    return value is not None and len(value.strip()) >= 4 and ("(" in value or "." in value)


def _formatted(node: ast.AST) -> bool:
    """Text built by formatting: an f-string, ``+``, ``%`` or ``.format()``."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"


def _setuid(mode: ast.AST) -> bool:
    for node in _walk(mode, limit=64):
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and node.value & 0o6000:
            return node.value < 0o10000
        if isinstance(node, ast.Attribute) and node.attr in ("S_ISUID", "S_ISGID"):
            return True
    return False


def _reversed_slice(node: ast.AST) -> bool:
    """``[::-1]``: a text read backwards."""
    return (
        isinstance(node, ast.Slice)
        and node.lower is None
        and node.upper is None
        and isinstance(node.step, ast.UnaryOp)
        and isinstance(node.step.op, ast.USub)
        and isinstance(node.step.operand, ast.Constant)
        and node.step.operand.value == 1
    )


def _aliases(nodes: Iterator[ast.AST]) -> dict[str, str]:
    """Local name -> what it imports: ``import subprocess as sp`` (sp -> subprocess),
    ``from os import system`` (system -> os.system)."""
    aliases: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases
