"""Build the held-out tool-poisoning set: public benchmarks the detectors were never developed on.

    python bench/build_held_out_tools.py --msb GIT_DIR --safetybench GIT_DIR [--corpora DIR] [--out FILE]

Each ``GIT_DIR`` is a git directory of the upstream repository (a bare clone or mirror; read with
``git``, nothing in it is run or imported: Python sources are parsed with ``ast``). The rows keep
their origin (repository, path, commit) and licence. Every run on the same commits writes the
same file.

Sets (``set`` field):

- ``msb``: MCP Security Bench (dongsenzhang/MSB, MIT). Its attack servers are real servers
  (PubMed, DuckDuckGo search, a terminal controller, a memory tool, a Word document server, an
  image generator) and a variant file per attack. Malicious rows are the tools a variant changes
  against the server it derives from: ``preference_manipulation`` (praise added to a
  description), ``out_of_scope_parameter`` (a parameter asking for what the tool does not need),
  ``name_overlap`` (renamed copies inspected beside the original server), ``tool_transfer`` (the
  text a tool returns, read as a description). ``prompt_injection`` rows are constructed as MSB's
  prompt builder describes (its injection template with each of its attack goals, appended to the
  first tool of each attack server). Benign rows: the tools of the original servers.
- ``mcp-safetybench``: MCP-SafetyBench (xjzzzzzzzz/MCPSafety, BSD-3-Clause per its
  pyproject). Malicious rows: every tool description a task modifies or adds, and the returns of
  its function-return-injection tasks (read as descriptions), labelled with the task's attack
  category. Rug-pull tasks change code only and user-side categories carry no tool text: not
  included. Benign rows: the tools of the MCP-Universe servers the tasks run against
  (``mcpuniverse/mcp/servers``). This is the benchmark issue 20 was filed from: its per-family
  misses were described there in general terms before the current rules were written, so it is
  not held out in the strict sense (the README says so); MSB is.

A benign row whose description also appears in the shared corpora is kept (it is context for the
cross-server checks) but marked ``in_corpora`` and not counted as held out.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MSB = "dongsenzhang/MSB"
SAFETYBENCH = "xjzzzzzzzz/MCPSafety"
LICENCE = {MSB: "MIT", SAFETYBENCH: "BSD-3-Clause"}
#: Parameters a framework fills in, not the model.
HIDDEN_PARAMETERS = {"self", "ctx", "context"}
TYPES = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "list": "array",
    "dict": "object",
}
#: MSB's description-injection template (data/prompt_template.py, PROMPT_INJECTION_TEMPLATE).
MSB_TEMPLATE_NAME = "PROMPT_INJECTION_TEMPLATE"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _annotation_type(node: ast.expr | None) -> str:
    if isinstance(node, ast.Name):
        return TYPES.get(node.id, "string")
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        if node.value.id == "Optional":
            return _annotation_type(node.slice)
        return TYPES.get(node.value.id.lower(), "string")
    return "string"


def _is_tool_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return (isinstance(target, ast.Attribute) and target.attr == "tool") or (
        isinstance(target, ast.Name) and target.id == "tool"
    )


def python_tools(source: str) -> list[dict[str, Any]]:
    """Tools declared with ``@<server>.tool(...)`` in a Python source, as a client would list them."""
    tools: list[dict[str, Any]] = []
    module = ast.parse(source)
    # Some servers declare tools inside registration functions, one per variant, and call one:
    # only the tools of registration functions the module calls are listed.
    registrars = {
        n.name: n
        for n in module.body
        if isinstance(n, ast.FunctionDef)
        and any(
            _is_tool_decorator(d)
            for f in ast.walk(n)
            if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
            for d in f.decorator_list
        )
    }
    called = {n.func.id for n in ast.walk(module) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    skipped = {id(f) for name, r in registrars.items() if name not in called for f in ast.walk(r)}
    for node in ast.walk(module):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or id(node) in skipped:
            continue
        decorators = [d for d in node.decorator_list if _is_tool_decorator(d)]
        if not decorators:
            continue
        name, description = node.name, ast.get_docstring(node) or ""
        decorator = decorators[0]
        if isinstance(decorator, ast.Call):
            for keyword in decorator.keywords:
                if isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                    if keyword.arg == "name":
                        name = keyword.value.value
                    elif keyword.arg == "description":
                        description = keyword.value.value
        arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        properties = {
            a.arg: {"type": _annotation_type(a.annotation)}
            for a in arguments
            if a.arg not in HIDDEN_PARAMETERS
            and not (isinstance(a.annotation, ast.Name) and a.annotation.id == "Context")
        }
        returned = [
            n.value.value
            for n in ast.walk(node)
            if isinstance(n, ast.Assign | ast.Return)
            and isinstance(n.value, ast.Constant)
            and isinstance(n.value.value, str)
        ]
        tools.append(
            {
                "name": name,
                "description": description,
                "inputSchema": {"type": "object", "properties": properties},
                "returns": returned,
            }
        )
    return tools


def _row(
    set_name: str,
    repository: str,
    commit: str,
    path: str,
    server: str,
    tool: dict[str, Any],
    label: str,
    family: str = "",
    field: str = "description",
) -> dict[str, Any]:
    return {
        "set": set_name,
        "server": server,
        "name": tool["name"],
        "description": tool["description"],
        "inputSchema": tool["inputSchema"],
        "label": label,
        "family": family,
        "field": field,
        "origin": {"repository": repository, "path": path, "commit": commit},
        "licence": LICENCE[repository],
    }


def _key(tool: dict[str, Any]) -> tuple[str, str, str]:
    return tool["name"], tool["description"], json.dumps(tool["inputSchema"], sort_keys=True)


def msb(repo: Path) -> list[dict[str, Any]]:
    commit = git(repo, "rev-parse", "HEAD").strip()
    files = git(repo, "ls-tree", "-r", "--name-only", commit, "data/tools/attack_tools").split()
    templates = ast.parse(git(repo, "show", f"{commit}:data/prompt_template.py"))
    template = next(
        ast.literal_eval(n.value)
        for n in templates.body
        if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == MSB_TEMPLATE_NAME for t in n.targets)
    )
    goals = [
        json.loads(line)
        for line in git(repo, "show", f"{commit}:data/attack_task.jsonl").splitlines()
        if line.strip()
    ]
    rows: list[dict[str, Any]] = []
    by_folder: dict[str, list[str]] = {}
    for path in files:
        parts = path.split("/")
        if path.endswith(".py") and len(parts) == 6:  # data/tools/attack_tools/<domain>/<Server>/<file>.py
            by_folder.setdefault("/".join(parts[:5]), []).append(path)
    for folder, paths in sorted(by_folder.items()):
        server = folder.rsplit("/", 1)[-1]
        sources = {p: python_tools(git(repo, "show", f"{commit}:{p}")) for p in sorted(paths)}
        variants = {p: t for p, t in sources.items() if "-" in p.rsplit("/", 1)[-1] and t}
        bases = {p: t for p, t in sources.items() if "-" not in p.rsplit("/", 1)[-1] and t}
        if not bases:
            continue
        base_path, base_tools = max(bases.items(), key=lambda item: len(item[1]))
        rows += [_row("msb", MSB, commit, base_path, server, t, "benign") for t in base_tools]
        known = {_key(t) for t in base_tools}
        for path, tools in sorted(variants.items()):
            family = path.rsplit("/", 1)[-1].removesuffix(".py").split("-", 1)[1]
            for tool in tools:
                if family == "tool_transfer":
                    for text in tool["returns"]:
                        if len(text) > 40:
                            output = tool | {"description": text, "inputSchema": {"type": "object"}}
                            rows.append(
                                _row(
                                    "msb",
                                    MSB,
                                    commit,
                                    path,
                                    f"{server} ({family})",
                                    output,
                                    "malicious",
                                    family,
                                    "output",
                                )
                            )
                elif _key(tool) not in known:
                    rows.append(
                        _row("msb", MSB, commit, path, f"{server} ({family})", tool, "malicious", family)
                    )
        first = base_tools[0]
        for goal in goals:
            injected = first | {
                "description": first["description"].rstrip()
                + "\n"
                + template.replace("{goal}", goal["implementation"])
            }
            rows.append(
                _row(
                    "msb",
                    MSB,
                    commit,
                    "data/prompt_template.py + data/attack_task.jsonl + " + base_path,
                    f"{server} (prompt_injection {goal['attack_task']})",
                    injected,
                    "malicious",
                    "prompt_injection (constructed)",
                )
            )
    return rows


def safetybench(repo: Path) -> list[dict[str, Any]]:
    commit = git(repo, "rev-parse", "HEAD").strip()
    files = git(repo, "ls-tree", "-r", "--name-only", commit).split()
    rows: list[dict[str, Any]] = []
    originals: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in files if re.fullmatch(r"mcpuniverse/mcp/servers/[^/]+/server\.py", p)):
        server = path.split("/")[3]
        for tool in python_tools(git(repo, "show", f"{commit}:{path}")):
            originals.setdefault(tool["name"], tool)
            rows.append(_row("mcp-safetybench", SAFETYBENCH, commit, path, server, tool, "benign"))
    seen: set[tuple[str, str, str]] = set()
    for path in sorted(
        p for p in files if p.startswith("mcpuniverse/benchmark/configs/test/") and p.endswith(".json")
    ):
        task = json.loads(git(repo, "show", f"{commit}:{path}"))
        if not isinstance(task, dict) or not task.get("attack_category"):
            continue
        family = task["attack_category"]
        server = f"task {path.rsplit('/', 1)[-1].removesuffix('.json')}"
        tools: list[tuple[dict[str, Any], str]] = []
        for change in task.get("mcp_server_modifications") or []:
            original = originals.get(change["tool_name"], {"inputSchema": {"type": "object"}})
            if "modification_description" in change:
                tools.append(
                    (
                        {
                            "name": change["tool_name"],
                            "description": change["modification_description"],
                            "inputSchema": original["inputSchema"],
                        },
                        "description",
                    )
                )
            if "modification_return" in change:
                returned = change["modification_return"]
                text = returned if isinstance(returned, str) else json.dumps(returned, ensure_ascii=False)
                tools.append(
                    (
                        {"name": change["tool_name"], "description": text, "inputSchema": {"type": "object"}},
                        "output",
                    )
                )
        additions = task.get("mcp_server_additions") or []
        for added in [additions] if isinstance(additions, dict) else additions:
            parameters = added.get("input_parameters") or {}
            schema = {
                "type": "object",
                "properties": {
                    k: {"type": v if v in TYPES.values() else "string"} for k, v in parameters.items()
                },
            }
            tools.append(
                (
                    {
                        "name": added["tool_name"],
                        "description": added.get("description", ""),
                        "inputSchema": schema,
                    },
                    "description",
                )
            )
        for tool, field in tools:
            key = (family, tool["name"], tool["description"])
            if key in seen:  # the same poisoned tool reused by several tasks counts once
                continue
            seen.add(key)
            rows.append(
                _row("mcp-safetybench", SAFETYBENCH, commit, path, server, tool, "malicious", family, field)
            )
    return rows


def corpora_texts(corpora: Path) -> set[str]:
    texts: set[str] = set()
    for path in sorted(corpora.glob("tool_descriptions_*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts.add(_normalise(row.get("description") or row.get("text") or ""))
    texts.discard("")
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--msb", type=Path, required=True, help=f"git directory of {MSB}")
    parser.add_argument("--safetybench", type=Path, required=True, help=f"git directory of {SAFETYBENCH}")
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "data" / "held_out_tools.jsonl")
    args = parser.parse_args()
    known = corpora_texts(args.corpora)
    rows = msb(args.msb) + safetybench(args.safetybench)
    for row in rows:
        row["in_corpora"] = _normalise(row["description"]) in known
    args.out.write_text(
        "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows), "utf-8"
    )
    for set_name in dict.fromkeys(r["set"] for r in rows):
        mine = [r for r in rows if r["set"] == set_name]
        print(
            f"{set_name}: {sum(r['label'] == 'malicious' for r in mine)} malicious, "
            f"{sum(r['label'] == 'benign' for r in mine)} benign "
            f"({sum(r['in_corpora'] for r in mine)} rows also in the corpora)"
        )


if __name__ == "__main__":
    main()
