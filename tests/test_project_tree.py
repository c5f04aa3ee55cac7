"""``scan --path``: project configs of every host, MCP servers declared as software, and a walk
that skips installed trees and never follows links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fake_home import write, write_json
from mcpward.model import Category, Ecosystem, Report, Scope, to_jsonable
from mcpward.scan import ScanOptions, run_scan
from mcpward.scan._manifests.npm import _split_pnpm_key, _yarn_lock

GITHUB_PAT = "ghp_" + "Pq8Lm2Vb9RtN4pZs1TyW8cUf3HjD6gAe0K5o"


def walk(*paths: Path, **kw: object) -> Report:
    return run_scan(ScanOptions(paths=paths, include_user_configs=False, **kw))  # type: ignore[arg-type]


def stdio(package: str) -> dict[str, object]:
    return {"command": "npx", "args": ["-y", package]}


def build_project_with_every_host_config(p: Path) -> None:
    write_json(p / ".mcp.json", {"mcpServers": {"cc": stdio("@modelcontextprotocol/server-memory@2025.8.4")}})
    write_json(p / ".cursor" / "mcp.json", {"mcpServers": {"cur": stdio("@playwright/mcp@0.0.32")}})
    write(
        p / ".vscode" / "mcp.json",
        '{"servers": {"vs": {"type": "http", "url": "https://api.githubcopilot.com/mcp/",},},}',
    )
    write(
        p / ".vscode" / "settings.json",
        '{"chat.tools.autoApprove": true, // yolo\n "mcp": {"servers": {"vs2": {"command": "node", "args": ["tools/x.js"]}}}}',
    )
    write_json(p / ".roo" / "mcp.json", {"mcpServers": {"roo": stdio("@upstash/context7-mcp@1.0.14")}})
    write(
        p / ".continue" / "mcpServers" / "db.yaml",
        "name: DB\nversion: 0.0.1\nschema: v1\nmcpServers:\n  - name: cont\n    command: uvx\n    args: [mcp-server-sqlite==2025.4.25]\n",
    )
    write(p / ".zed" / "settings.json", '{"context_servers": {"zed": {"command": "node", "args": ["z.js"]}}}')
    write_json(
        p / ".gemini" / "settings.json",
        {
            "mcpServers": {
                "gem": {"httpUrl": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer ${T}"}}
            }
        },
    )
    write(
        p / ".codex" / "config.toml",
        '[mcp_servers.cdx]\ncommand = "uvx"\nargs = ["mcp-server-time==2025.8.4"]\n',
    )
    write_json(p / ".kiro" / "settings" / "mcp.json", {"mcpServers": {"kiro": stdio("@azure/mcp@0.5.8")}})
    write_json(p / ".amazonq" / "mcp.json", {"mcpServers": {"q": stdio("@stripe/mcp@0.2.4")}})
    write(p / "opencode.jsonc", '{"mcp": {"oc": {"type": "local", "command": ["node", "oc.js"]}}}')
    write_json(
        p / ".claude" / "settings.local.json", {"permissions": {"allow": ["mcp__cc__create_entities"]}}
    )
    write(
        p / ".git" / "config",
        '[core]\n\tbare = false\n[remote "origin"]\n\turl = https://deploy:'
        + GITHUB_PAT
        + "@github.com/acme/shop.git\n",
    )


def test_project_configs_of_every_host_are_found(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    build_project_with_every_host_config(project)
    report = walk(tmp_path)
    found = {(s.host, s.name) for s in report.servers}
    assert found == {
        ("claude-code", "cc"),
        ("cursor", "cur"),
        ("vscode", "vs"),
        ("vscode", "vs2"),
        ("roo-code", "roo"),
        ("continue", "cont"),
        ("zed", "zed"),
        ("gemini-cli", "gem"),
        ("codex", "cdx"),
        ("kiro", "kiro"),
        ("amazon-q", "q"),
        ("opencode", "oc"),
    }
    for server in report.servers:
        assert server.scope is Scope.PROJECT and server.project == str(project)
        assert server.repository == "https://deploy:****@github.com/acme/shop.git"
    assert GITHUB_PAT not in json.dumps(to_jsonable(report))
    approvals = sorted((f.server, f.rule) for f in report.findings if f.category is Category.EXCESSIVE_SCOPE)
    # chat.tools.autoApprove applies to every VS Code server of the project; the Claude Code
    # permission allows a write tool of "cc".
    assert approvals == [
        ("cc", "auto-approve-write-tools"),
        ("vs", "auto-approve-all"),
        ("vs2", "auto-approve-all"),
    ]


def test_servers_declared_as_software(tmp_path: Path) -> None:
    npm = tmp_path / "npm-server"
    write_json(
        npm / "package.json",
        {
            "name": "@acme/crm-mcp",
            "version": "1.4.0",
            "bin": {"crm-mcp": "dist/index.js"},
            "dependencies": {"@modelcontextprotocol/sdk": "^1.10.0", "zod": "^3.23.0"},
        },
    )
    write_json(
        npm / "package-lock.json",
        {
            "lockfileVersion": 3,
            "packages": {
                "": {"name": "@acme/crm-mcp"},
                "node_modules/@modelcontextprotocol/sdk": {"version": "1.10.2"},
                "node_modules/zod": {"version": "3.23.8"},
            },
        },
    )
    py = tmp_path / "py-server"
    write(
        py / "pyproject.toml",
        '[project]\nname = "weather-server"\nversion = "0.3.0"\ndependencies = ["mcp[cli]>=1.9", "httpx"]\n',
    )
    write(
        py / "uv.lock",
        'version = 1\n[[package]]\nname = "mcp"\nversion = "1.9.0"\n[[package]]\nname = "httpx"\nversion = "0.28.1"\n',
    )
    reqs = tmp_path / "agent"
    write(
        reqs / "requirements-dev.txt",
        "# tools\nfastmcp==2.10.6\nrequests>=2 ; python_version>'3.8'\n-r base.txt\n",
    )
    docker = tmp_path / "gh-image"
    write(
        docker / "Dockerfile",
        f"""
        FROM node:22-slim
        ENV NODE_ENV=production \\
            GITHUB_PERSONAL_ACCESS_TOKEN={GITHUB_PAT}
        RUN npm install -g @modelcontextprotocol/server-github@2025.4.8 && npm cache clean --force
        ENTRYPOINT ["npx", "-y", "@modelcontextprotocol/server-github"]
    """,
    )
    compose = tmp_path / "stack"
    write(
        compose / "compose.yaml",
        """
        services:
          web:
            image: nginx:1.27
          pg-mcp:
            image: mcp/postgres
            privileged: true
            environment:
              - DATABASE_URL=postgresql://app:hunter2hunter2@db:5432/app
            command: ["postgresql://db/app"]
    """,
    )
    report = walk(tmp_path)
    by = {(s.host, s.name): s for s in report.servers}
    assert set(by) == {
        ("npm-project", "@acme/crm-mcp"),
        ("python-project", "weather-server"),
        ("python-project", "agent"),
        ("dockerfile", "gh-image"),
        ("compose", "pg-mcp"),
    }
    crm = by[("npm-project", "@acme/crm-mcp")]
    assert crm.source == "manifest" and crm.package is not None and crm.package.version == "1.4.0"
    assert [(d.name, d.version) for d in crm.dependencies] == [("@modelcontextprotocol/sdk", "1.10.2")]
    weather = by[("python-project", "weather-server")]
    assert [(d.ecosystem, d.name, d.version) for d in weather.dependencies] == [
        (Ecosystem.PYPI, "mcp", "1.9.0")
    ]
    assert [(d.name, d.version) for d in by[("python-project", "agent")].dependencies] == [
        ("fastmcp", "2.10.6")
    ]
    image = by[("dockerfile", "gh-image")]
    assert image.env_names == ("GITHUB_PERSONAL_ACCESS_TOKEN", "NODE_ENV")
    assert [d.name for d in image.dependencies] == ["@modelcontextprotocol/server-github"]

    rules = {(f.server, f.rule) for f in report.findings}
    assert ("@acme/crm-mcp", "known-vulnerable") in rules  # sdk 1.10.2 < 1.24.0
    assert ("weather-server", "known-vulnerable") in rules  # mcp 1.9.0 < 1.23.0
    assert ("gh-image", "secret-known-format") in rules
    assert ("gh-image", "npm-unpinned") in rules  # the entrypoint fetches at every start
    assert ("pg-mcp", "container-privileged") in rules
    assert ("pg-mcp", "secret-known-format") in rules
    assert ("pg-mcp", "oci-unpinned") in rules
    text = json.dumps(to_jsonable(report))
    assert GITHUB_PAT not in text and "hunter2hunter2" not in text


def test_projects_without_mcp_are_not_recorded(tmp_path: Path) -> None:
    web = tmp_path / "web"
    write_json(
        web / "package.json", {"name": "web", "dependencies": {"react": "^19.0.0", "mcpx-charts": "1.0.0"}}
    )
    write(
        web / "Dockerfile", 'FROM python:3.12\nRUN pip install flask gunicorn\nCMD ["gunicorn", "app:app"]\n'
    )
    write(tmp_path / "api" / "requirements.txt", "django==5.1\npsycopg[binary]==3.2.1\n")
    write(tmp_path / "api" / "pyproject.toml", '[project]\nname = "api"\ndependencies = ["django"]\n')
    write(tmp_path / "infra" / "docker-compose.yml", "services:\n  db:\n    image: postgres:16\n")
    report = walk(tmp_path)
    assert report.servers == () and report.findings == () and report.errors == ()


def test_walk_skips_installed_trees_and_never_follows_links(tmp_path: Path) -> None:
    project = tmp_path / "app"
    write_json(
        project / ".mcp.json", {"mcpServers": {"real": stdio("@modelcontextprotocol/server-memory@2025.8.4")}}
    )
    write_json(
        project / "node_modules" / "some-mcp" / ".mcp.json", {"mcpServers": {"vendored": stdio("x@1.0.0")}}
    )
    write_json(
        project / "node_modules" / "some-mcp" / "package.json",
        {"name": "some-mcp", "dependencies": {"@modelcontextprotocol/sdk": "1.0.0"}},
    )
    venv = project / "env2"
    write(venv / "pyvenv.cfg", "home = /usr/bin\n")
    write(venv / "lib" / "site" / "mcp" / "pyproject.toml", '[project]\nname = "x"\ndependencies = ["mcp"]\n')
    (project / "loop").symlink_to(project, target_is_directory=True)
    outside = tmp_path / "outside"
    write_json(outside / "mcp.json", {"mcpServers": {"outside": stdio("y@1.0.0")}})
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / ".mcp.json").symlink_to(outside / "mcp.json")
    (linked / "dir-link").symlink_to(outside, target_is_directory=True)

    report = walk(project, linked)
    assert [s.name for s in report.servers] == ["real"]
    assert [e.message for e in report.errors] == ["symbolic link pointing outside the scanned tree; not read"]

    everything = walk(project, skip_dirs=frozenset())
    assert {s.name for s in everything.servers} == {"real", "vendored", "some-mcp"}


def test_a_missing_path_is_an_error(tmp_path: Path) -> None:
    report = walk(tmp_path / "nope")
    assert [e.message for e in report.errors] == ["not a directory"]


def test_lock_file_readers(tmp_path: Path) -> None:
    lock = write(
        tmp_path / "yarn.lock",
        """
        # yarn lockfile v1
        "@modelcontextprotocol/sdk@^1.0.0", "@modelcontextprotocol/sdk@^1.2.0":
          version "1.17.2"
          resolved "https://registry.yarnpkg.com/@modelcontextprotocol/sdk/-/sdk-1.17.2.tgz"
        zod@^3.23.8:
          version "3.23.8"
    """,
    )
    assert _yarn_lock(lock.read_text()) == {"@modelcontextprotocol/sdk": "1.17.2", "zod": "3.23.8"}
    berry = write(
        tmp_path / "berry" / "yarn.lock",
        """
        __metadata:
          version: 8
        "mcp-remote@npm:0.1.15":
          version: 0.1.15
          resolution: "mcp-remote@npm:0.1.15"
    """,
    )
    assert _yarn_lock(berry.read_text())["mcp-remote"] == "0.1.15"
    assert _split_pnpm_key("/@modelcontextprotocol/sdk@1.17.2(zod@3.23.8)") == (
        "@modelcontextprotocol/sdk",
        "1.17.2",
    )
    assert _split_pnpm_key("mcp-remote@0.1.15") == ("mcp-remote", "0.1.15")
    assert _split_pnpm_key("/mcp-remote/0.1.15") == ("mcp-remote", "0.1.15")


def _many_projects(root: Path, count: int = 60) -> None:
    for index in range(count):
        project = root / f"group{index % 6}" / f"p{index}"
        write_json(
            project / "package.json",
            {"name": f"p{index}", "dependencies": {"@modelcontextprotocol/sdk": "1.17.0"}},
        )
        write(project / "src" / "index.js", "export {}\n")
        if index % 3 == 0:
            write_json(
                project / ".cursor" / "mcp.json",
                {"mcpServers": {f"s{index}": stdio("@playwright/mcp@0.0.32")}},
            )


def test_parallel_walk_finds_exactly_what_the_sequential_walk_finds(tmp_path: Path) -> None:
    _many_projects(tmp_path)
    sequential = walk(tmp_path, workers=1)
    parallel = walk(tmp_path, workers=3)
    assert len(sequential.servers) == 80
    assert [s.id for s in parallel.servers] == [s.id for s in sequential.servers]
    assert [f.rule for f in parallel.findings] == [f.rule for f in sequential.findings]


def test_a_failed_worker_share_is_walked_by_the_parent(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os

    from mcpward import _fork

    def lost(child: tuple[int, int]) -> None:
        pid, read_end = child
        os.close(read_end)  # as if the worker had died: its result never arrives
        os.waitpid(pid, 0)
        return None

    _many_projects(tmp_path)
    monkeypatch.setattr(_fork, "_finish", lost)
    report = walk(tmp_path, workers=3)
    assert len(report.servers) == 80


def test_fork_map_redoes_the_items_of_failed_children() -> None:
    from mcpward._fork import fork_map

    def square_or_die(item: int) -> int:
        import os

        if item == 3 and os.getpid() != parent:
            os._exit(9)  # the child dies; the parent must compute 3 itself
        return item * item

    import os

    parent = os.getpid()
    assert fork_map(square_or_die, [1, 2, 3, 4]) == [1, 4, 9, 16]


@pytest.mark.parametrize(
    "spec,version,flagged",
    [
        ("1.10.2", "1.10.2", True),
        ("=v1.10.2", "1.10.2", True),
        ("^1.10.2", None, False),
        ("1.24.0", "1.24.0", False),
    ],
)
def test_a_package_json_pinning_the_sdk_exactly_is_checked_without_a_lock(
    tmp_path: Path, spec: str, version: str | None, flagged: bool
) -> None:
    # requirements.txt with mcp==1.9.0 was checked, package.json with an exact SDK version not.
    write_json(
        tmp_path / "svc" / "package.json",
        {"name": "@acme/notes-mcp", "version": "0.3.0", "dependencies": {"@modelcontextprotocol/sdk": spec}},
    )
    report = walk(tmp_path)
    (server,) = report.servers
    assert [(d.name, d.version) for d in server.dependencies] == [("@modelcontextprotocol/sdk", version)]
    assert (
        ("@acme/notes-mcp", "known-vulnerable") in {(f.server, f.rule) for f in report.findings}
    ) is flagged
