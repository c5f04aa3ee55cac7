"""Each config risk category, on realistic inputs that must be flagged and that must not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import scan_home
from fake_home import write, write_json
from mcpward.model import Category, Report, Severity, to_jsonable

GITHUB_PAT = "ghp_" + "R8xkq2Vb7LmN4pZs1TyW9cUf3HjD6gAe0K5o"
OPENAI_KEY = "sk-proj-" + "Xq7Lm2Vb9RtN4pZs1TyW8cUf3HjD6gAe0K5oQw2Er7Ty9Ui1Op"


def scan_cursor(tmp_path: Path, servers: dict[str, Any]) -> Report:
    write_json(tmp_path / "home" / ".cursor" / "mcp.json", {"mcpServers": servers})
    return scan_home(tmp_path / "home")


def findings(report: Report, category: Category, server: str) -> list[tuple[str, Severity]]:
    return sorted(
        (f.rule, f.severity) for f in report.findings if f.category is category and f.server == server
    )


def assert_findings(
    report: Report, category: Category, expected: dict[str, list[tuple[str, Severity]]]
) -> None:
    assert {name: findings(report, category, name) for name in expected} == expected


def npx(*args: str) -> dict[str, Any]:
    return {"command": "npx", "args": list(args)}


# -- unpinned-package --------------------------------------------------------------------------

UNPINNED = {
    "npx-bare": npx("-y", "@modelcontextprotocol/server-memory"),
    "npx-latest": npx("-y", "@modelcontextprotocol/server-memory@latest"),
    "npx-range": npx("-y", "mcp-remote@^0.1.16", "https://x.example.com/mcp"),
    "npx-package-flag": npx("-y", "--package=@playwright/mcp", "mcp-server-playwright"),
    "pnpm": {"command": "pnpm", "args": ["dlx", "@upstash/context7-mcp"]},
    "bunx": {"command": "bunx", "args": ["tavily-mcp@next"]},
    "uvx-bare": {"command": "uvx", "args": ["mcp-server-fetch"]},
    "uvx-from-latest": {"command": "uvx", "args": ["--from", "mcp-server-git@latest", "mcp-server-git"]},
    "uvx-range": {"command": "uvx", "args": ["mcp-server-time>=2025.1"]},
    "pipx": {"command": "pipx", "args": ["run", "mcp-server-fetch"]},
    "docker-implied-latest": {"command": "docker", "args": ["run", "-i", "--rm", "mcp/fetch"]},
    "docker-latest": {
        "command": "podman",
        "args": ["run", "-i", "--rm", "ghcr.io/github/github-mcp-server:latest"],
    },
    "git-branch": npx("-y", "github:acme/mcp-tools#main"),
    "windows-cmd": {"command": "cmd", "args": ["/c", "npx", "-y", "@modelcontextprotocol/server-memory"]},
}
PINNED = {
    "npx-exact": npx("-y", "@modelcontextprotocol/server-memory@2025.8.4"),
    "npx-prerelease": npx("-y", "@playwright/mcp@0.0.32-beta.1"),
    "uvx-exact": {"command": "uvx", "args": ["mcp-server-fetch==2025.4.7"]},
    "uvx-at": {"command": "uvx", "args": ["mcp-server-time@2025.8.4"]},
    "uvx-from-exact": {
        "command": "uvx",
        "args": ["--python", "3.12", "--from", "mcp-server-git==2025.9.25", "mcp-server-git"],
    },
    "docker-digest": {"command": "docker", "args": ["run", "-i", "--rm", "mcp/fetch@sha256:" + "a" * 64]},
    "docker-version-tag": {
        "command": "docker",
        "args": ["run", "-i", "--rm", "-e", "GITHUB_TOKEN", "ghcr.io/github/github-mcp-server:v0.13.0"],
    },
    "node-local": {"command": "node", "args": ["/opt/servers/weather/build/index.js"]},
    "uv-project": {"command": "uv", "args": ["--directory", "/home/me/weather", "run", "weather.py"]},
    "python-module": {"command": "python3", "args": ["-m", "company_tools.server"]},
    "git-commit": npx("-y", "github:acme/mcp-tools#" + "0123456789abcdef0123456789abcdef01234567"),
    "binary": {"command": "/usr/local/bin/github-mcp-server", "args": ["stdio"]},
}


def test_unpinned_packages_are_flagged(tmp_path: Path) -> None:
    report = scan_cursor(tmp_path, UNPINNED)
    for name in UNPINNED:
        assert findings(report, Category.UNPINNED_PACKAGE, name), name


def test_pinned_packages_are_not_flagged(tmp_path: Path) -> None:
    report = scan_cursor(tmp_path, PINNED)
    assert [f for f in report.findings if f.category is Category.UNPINNED_PACKAGE] == []


def test_unpinned_rules_name_the_ecosystem(tmp_path: Path) -> None:
    report = scan_cursor(tmp_path, UNPINNED)
    assert findings(report, Category.UNPINNED_PACKAGE, "npx-latest") == [("npm-unpinned", Severity.MEDIUM)]
    assert findings(report, Category.UNPINNED_PACKAGE, "uvx-bare") == [("pypi-unpinned", Severity.MEDIUM)]
    assert findings(report, Category.UNPINNED_PACKAGE, "docker-latest") == [("oci-unpinned", Severity.MEDIUM)]
    assert findings(report, Category.UNPINNED_PACKAGE, "git-branch") == [("git-unpinned", Severity.MEDIUM)]
    npx_flag = next(s for s in report.servers if s.name == "npx-package-flag")
    assert npx_flag.package is not None and npx_flag.package.name == "@playwright/mcp"


# -- plaintext-secret --------------------------------------------------------------------------

SECRETS = {
    "env-format": {
        **npx("-y", "@modelcontextprotocol/server-github@2025.4.8"),
        "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": GITHUB_PAT},
    },
    "env-key-name": {**npx("-y", "@acme/crm-mcp@1.0.0"), "env": {"CRM_API_KEY": "a8F3kq92LmZx71Pq"}},
    "env-password": {**npx("-y", "@acme/db-mcp@1.0.0"), "env": {"DB_PASSWORD": "Winter2025!"}},
    # PostgreSQL's own variable: the secret word glued to its prefix
    "env-pgpassword": {**npx("-y", "@acme/pg-mcp@1.0.0"), "env": {"PGPASSWORD": "Harbour-Lights-81"}},
    "header": {
        "url": "https://mcp.example.com/mcp",
        "headers": {"Authorization": "Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0"},
    },
    "arg-flag": npx("-y", "@acme/search-mcp@1.0.0", f"--api-key={OPENAI_KEY}"),
    "arg-separate": npx("-y", "@acme/search-mcp@1.0.0", "--token", "q7Lm2Vb9RtN4pZs1TyW8"),
    "db-url": npx(
        "-y",
        "@modelcontextprotocol/server-postgres@0.6.2",
        "postgresql://app:S3cretPassw0rd@db.internal:5432/prod",
    ),
    "url-query": {"url": "https://mcp.example.com/sse?api_key=4f9a8b7c6d5e4f3a2b1c"},
    "docker-env": {
        "command": "docker",
        "args": [
            "run",
            "-i",
            "--rm",
            "-e",
            f"GITHUB_TOKEN={GITHUB_PAT}",
            "ghcr.io/github/github-mcp-server:v0.13.0",
        ],
    },
    "mcp-remote-header": npx(
        "-y",
        "mcp-remote@0.1.29",
        "https://mcp.example.com/mcp",
        "--header",
        "Authorization: Bearer q7Lm2Vb9RtN4pZs1TyW8cU",
    ),
}
NOT_SECRETS = {
    "env-ref": {
        **npx("-y", "@modelcontextprotocol/server-github@2025.4.8"),
        "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_TOKEN}"},
    },
    "input-ref": {
        "url": "https://api.githubcopilot.com/mcp/",
        "headers": {"Authorization": "Bearer ${input:github_token}"},
    },
    "opencode-ref": {"url": "https://kb.example.com/mcp", "headers": {"X-Api-Key": "{env:KB_KEY}"}},
    # "pass" glued inside another word is no password
    "glued-words": {**npx("-y", "@acme/nav-mcp@1.0.0"), "env": {"PROXY_BYPASS": "Internal-Hosts-81"}},
    "placeholders": {
        **npx("-y", "@acme/crm-mcp@1.0.0"),
        "env": {
            "CRM_API_KEY": "<your-api-key>",
            "OPENAI_API_KEY": "your_openai_api_key_here",
            "STRIPE_SECRET_KEY": "sk_test_xxxxxxxxxxxxxxxxxxxxxxxx",
            "TOKEN": "changeme",
            "PASSWORD": "",
        },
    },
    "ordinary-env": {
        **npx("-y", "@acme/llm-mcp@1.0.0"),
        "env": {
            "MAX_TOKENS": "4096",
            "LOG_LEVEL": "debug",
            "API_KEY_FILE": "/run/secrets/api_key",
            "TOKEN_URL": "https://auth.example.com/token",
            "AUTH_MODE": "oauth",
            "KEYBOARD_LAYOUT": "us",
            "GOOGLE_APPLICATION_CREDENTIALS": "/home/me/.config/gcloud/key.json",
            "DEBUG": "true",
        },
    },
    "db-url-no-password": npx(
        "-y", "@modelcontextprotocol/server-postgres@0.6.2", "postgresql://localhost/shop"
    ),
    "token-file-flag": npx(
        "-y", "@acme/search-mcp@1.0.0", "--token-file", "/run/secrets/token", "--max-tokens", "2000"
    ),
    "remote-header-ref": npx(
        "-y",
        "mcp-remote@0.1.29",
        "https://mcp.example.com/mcp",
        "--header",
        "Authorization: Bearer ${AUTH_TOKEN}",
    ),
}


def test_plaintext_secrets_are_flagged(tmp_path: Path) -> None:
    report = scan_cursor(tmp_path, SECRETS)
    for name in SECRETS:
        assert findings(report, Category.PLAINTEXT_SECRET, name), name
    assert findings(report, Category.PLAINTEXT_SECRET, "env-format") == [
        ("secret-known-format", Severity.HIGH)
    ]
    assert findings(report, Category.PLAINTEXT_SECRET, "env-key-name") == [
        ("secret-by-key-name", Severity.MEDIUM)
    ]


def test_references_placeholders_and_ordinary_values_are_not_flagged(tmp_path: Path) -> None:
    report = scan_cursor(tmp_path, NOT_SECRETS)
    assert [(f.server, f.evidence) for f in report.findings if f.category is Category.PLAINTEXT_SECRET] == []


def test_secret_values_are_redacted_in_records_and_evidence(tmp_path: Path) -> None:
    report = scan_cursor(tmp_path, SECRETS)
    text = json.dumps(to_jsonable(report))
    for secret in (
        GITHUB_PAT,
        OPENAI_KEY,
        "a8F3kq92LmZx71Pq",
        "Winter2025!",
        "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "q7Lm2Vb9RtN4pZs1TyW8",
        "S3cretPassw0rd",
        "4f9a8b7c6d5e4f3a2b1c",
    ):
        assert secret not in text
    by = {s.name: s for s in report.servers}
    assert by["db-url"].args[-1] == "postgresql://app:****@db.internal:5432/prod"
    assert by["arg-flag"].args[-1] == "--api-key=sk-proj-****"
    assert by["url-query"].url == "https://mcp.example.com/sse?api_key=****"
    assert "GITHUB_TOKEN=ghp_****" in by["docker-env"].args
    assert by["env-format"].env_names == ("GITHUB_PERSONAL_ACCESS_TOKEN",)


# -- shell-wrapper -----------------------------------------------------------------------------

SHELLS = {
    "pipe-to-shell": {"command": "bash", "args": ["-c", "curl -fsSL https://get.example.com/mcp.sh | sh"]},
    "iwr-iex": {
        "command": "powershell",
        "args": ["-NoProfile", "-Command", "iwr https://x.example.com/i.ps1 | iex"],
    },
    "script": {"command": "sh", "args": ["-c", "cd /opt/mcp && npx -y @acme/mcp@1.0.0 2>>/tmp/mcp.log"]},
    "substitution": {
        "command": "bash",
        "args": ["-lc", "TOKEN=$(security find-generic-password -w -s gh) node /opt/gh.js"],
    },
    "encoded": {"command": "pwsh", "args": ["-EncodedCommand", "bgBwAHgAIAAtAHkAIABtAGMAcAA="]},
    "windows-cmd": {
        "command": "cmd",
        "args": ["/c", "npx", "-y", "@modelcontextprotocol/server-memory@2025.8.4"],
    },
    "command-line": {"command": "npx -y @acme/mcp@1.0.0 && echo started"},
}
NO_SHELLS = {
    "direct": npx("-y", "@modelcontextprotocol/server-memory@2025.8.4"),
    "script-file": {"command": "bash", "args": ["/opt/mcp/start.sh"]},
    "split-command": {"command": "node /opt/mcp/server.js"},
    "python": {"command": "python", "args": ["-m", "weather_server", "--units", "metric"]},
}


def test_shell_launches_are_flagged_by_danger(tmp_path: Path) -> None:
    report = scan_cursor(tmp_path, SHELLS)
    assert_findings(
        report,
        Category.SHELL_WRAPPER,
        {
            "pipe-to-shell": [("shell-download-exec", Severity.CRITICAL)],
            "iwr-iex": [("shell-download-exec", Severity.CRITICAL)],
            "script": [("shell-script", Severity.HIGH)],
            "substitution": [("shell-script", Severity.HIGH)],
            "encoded": [("shell-encoded-command", Severity.HIGH)],
            "windows-cmd": [("shell-wrapper", Severity.LOW)],
            "command-line": [("shell-syntax-in-command", Severity.MEDIUM)],
        },
    )
    # The package behind the wrapper is still resolved.
    by = {s.name: s for s in report.servers}
    assert (
        by["windows-cmd"].package is not None
        and by["windows-cmd"].package.name == "@modelcontextprotocol/server-memory"
    )
    assert by["script"].package is None or by["script"].package.name != "sh"
    encoded = next(f for f in report.findings if f.server == "encoded")
    assert "npx -y mcp" in (encoded.evidence or "")  # decoded for the reviewer


def test_direct_launches_are_not_flagged_as_shell(tmp_path: Path) -> None:
    report = scan_cursor(tmp_path, NO_SHELLS)
    assert [f for f in report.findings if f.category is Category.SHELL_WRAPPER] == []


# -- insecure-transport ------------------------------------------------------------------------


def test_plain_http_and_disabled_tls_are_flagged(tmp_path: Path) -> None:
    report = scan_cursor(
        tmp_path,
        {
            "http": {"url": "http://mcp.example.com/mcp"},
            "http-auth": {"url": "http://10.1.2.3:8080/sse", "headers": {"X-API-Key": "${KEY}"}},
            "bridge": npx("-y", "mcp-remote@0.1.29", "http://mcp.example.com/mcp", "--allow-http"),
            "tls-off": {**npx("-y", "@acme/mcp@1.0.0"), "env": {"NODE_TLS_REJECT_UNAUTHORIZED": "0"}},
            "no-auth": {"url": "https://mcp.example.com/mcp"},
        },
    )
    assert findings(report, Category.INSECURE_TRANSPORT, "http") == [
        ("http-plaintext", Severity.HIGH),
        ("remote-no-credentials", Severity.INFO),
    ]
    assert findings(report, Category.INSECURE_TRANSPORT, "http-auth") == [
        ("http-credentials-in-clear", Severity.CRITICAL)
    ]
    assert findings(report, Category.INSECURE_TRANSPORT, "bridge") == [("http-plaintext", Severity.HIGH)]
    assert findings(report, Category.INSECURE_TRANSPORT, "tls-off") == [
        ("tls-verification-disabled", Severity.HIGH)
    ]
    assert findings(report, Category.INSECURE_TRANSPORT, "no-auth") == [
        ("remote-no-credentials", Severity.INFO)
    ]


def test_loopback_and_authenticated_https_are_not_flagged(tmp_path: Path) -> None:
    report = scan_cursor(
        tmp_path,
        {
            "local": {"url": "http://localhost:3000/mcp"},
            "local-ip": {"url": "http://127.0.0.1:8931/sse"},
            "local-v6": {"url": "http://[::1]:9000/mcp"},
            "local-bridge": npx("-y", "mcp-remote@0.1.29", "http://localhost:8080/mcp"),
            "https": {"url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer ${TOKEN}"}},
            "tls-on": {
                **npx("-y", "@acme/mcp@1.0.0"),
                "env": {"NODE_TLS_REJECT_UNAUTHORIZED": "1", "NODE_EXTRA_CA_CERTS": "/etc/ca.pem"},
            },
        },
    )
    assert [(f.server, f.rule) for f in report.findings if f.category is Category.INSECURE_TRANSPORT] == []


# -- impersonation -----------------------------------------------------------------------------


def test_lookalike_names_are_flagged(tmp_path: Path) -> None:
    report = scan_cursor(
        tmp_path,
        {
            "homoglyph": npx("-y", "@modeIcontextprotocol/server-filesystem@1.0.0", "/tmp"),
            "cyrillic": npx("-y", "@modelcontextprotocol/server-mеmory@1.0.0"),
            "scope": npx("-y", "@model-context-protocol/server-memory@1.0.0"),
            "typo": npx("-y", "mcp-remot@0.1.29", "https://x.example.com/mcp"),
            "pypi-typo": {"command": "uvx", "args": ["mcp-server-fetc==1.0.0"]},
            "brand": npx("-y", "postmark-mcp@1.0.15"),
            "pypi-brand": {"command": "uvx", "args": ["postmark_mcp==1.0.15"]},
            "image": {
                "command": "docker",
                "args": ["run", "-i", "--rm", "ghcr.io/githbu/github-mcp-server:v1.0.0"],
            },
        },
    )
    expected = {
        "homoglyph": [("impersonation-homoglyph", Severity.CRITICAL)],
        "cyrillic": [("impersonation-homoglyph", Severity.CRITICAL)],
        "scope": [("impersonation-scope-lookalike", Severity.CRITICAL)],
        "typo": [("impersonation-typosquat", Severity.HIGH)],
        "pypi-typo": [("impersonation-typosquat", Severity.HIGH)],
        "brand": [("impersonation-brand", Severity.MEDIUM)],
        "pypi-brand": [("impersonation-brand", Severity.MEDIUM)],
        "image": [("impersonation-typosquat", Severity.HIGH)],
    }
    assert_findings(report, Category.IMPERSONATION, expected)


def test_official_and_ordinary_community_names_are_not_flagged(tmp_path: Path) -> None:
    report = scan_cursor(
        tmp_path,
        {
            "official": npx("-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "/tmp"),
            "new-official": npx("-y", "@modelcontextprotocol/server-brand-new@0.1.0"),
            "vendor": npx("-y", "@stripe/mcp@0.2.4"),
            "vendor-unscoped": npx("-y", "tavily-mcp@0.2.9"),
            "community": npx("-y", "@executeautomation/playwright-mcp-server@1.0.6"),
            "generic": npx("-y", "weather-mcp-server@1.2.0"),
            "k8s": npx("-y", "mcp-server-kubernetes@2.5.0"),
            "python": {"command": "uvx", "args": ["mcp-server-fetch==2025.4.7"]},
            "python-vendor": {"command": "uvx", "args": ["mcp-atlassian==0.11.9"]},
            "python-generic": {"command": "uvx", "args": ["weather-mcp-server==1.0.0"]},
            "aws": {"command": "uvx", "args": ["awslabs.cdk-mcp-server@1.0.0"]},
            "image": {"command": "docker", "args": ["run", "-i", "--rm", "mcp/postgres@sha256:" + "b" * 64]},
        },
    )
    assert [(f.server, f.rule) for f in report.findings if f.category is Category.IMPERSONATION] == []


# -- known-vulnerable --------------------------------------------------------------------------


def test_versions_with_advisories_are_flagged(tmp_path: Path) -> None:
    report = scan_cursor(
        tmp_path,
        {
            "mcp-remote": npx("-y", "mcp-remote@0.1.15", "https://mcp.example.com/mcp"),
            "inspector": npx("-y", "@modelcontextprotocol/inspector@0.14.0"),
            "filesystem": npx("-y", "@modelcontextprotocol/server-filesystem@0.6.2", "/tmp"),
            "postmark": npx("-y", "postmark-mcp@1.0.16"),
        },
    )
    assert findings(report, Category.KNOWN_VULNERABLE, "mcp-remote") == [
        ("known-vulnerable", Severity.CRITICAL)
    ]
    remote = next(
        f for f in report.findings if f.server == "mcp-remote" and f.category is Category.KNOWN_VULNERABLE
    )
    assert remote.identifiers == ("GHSA-6xpm-ggf7-wc3p", "CVE-2025-6514")
    assert "0.1.16" in remote.remediation
    assert findings(report, Category.KNOWN_VULNERABLE, "inspector") == [
        ("known-vulnerable", Severity.CRITICAL)
    ]
    assert len(findings(report, Category.KNOWN_VULNERABLE, "filesystem")) == 2
    assert findings(report, Category.KNOWN_VULNERABLE, "postmark") == [
        ("known-vulnerable", Severity.CRITICAL)
    ]


def test_fixed_older_and_unversioned_are_not_flagged(tmp_path: Path) -> None:
    report = scan_cursor(
        tmp_path,
        {
            "fixed": npx("-y", "mcp-remote@0.1.16", "https://mcp.example.com/mcp"),
            "before-introduced": npx("-y", "mcp-remote@0.0.4", "https://mcp.example.com/mcp"),
            "inspector-fixed": npx("-y", "@modelcontextprotocol/inspector@0.14.1"),
            "unversioned": npx("-y", "mcp-remote", "https://mcp.example.com/mcp"),
            "postmark-clean": npx("-y", "postmark-mcp@1.0.15"),
            "filesystem": npx("-y", "@modelcontextprotocol/server-filesystem@2025.7.1", "/tmp"),
        },
    )
    assert [(f.server, f.message) for f in report.findings if f.category is Category.KNOWN_VULNERABLE] == []


# -- excessive-scope ---------------------------------------------------------------------------


def test_broad_filesystem_and_container_privileges_are_flagged(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    fs = "@modelcontextprotocol/server-filesystem@2025.8.21"
    report = scan_cursor(
        tmp_path,
        {
            "fs-root": npx("-y", fs, "/"),
            "fs-tilde": npx("-y", fs, "~"),
            "fs-home": npx("-y", fs, home),
            "fs-users": npx("-y", fs, "/Users/alice/"),
            "fs-windows": npx("-y", fs, "C:\\Users\\alice"),
            "privileged": {
                "command": "docker",
                "args": ["run", "-i", "--rm", "--privileged", "mcp/fetch@sha256:" + "c" * 64],
            },
            "host-net": {
                "command": "docker",
                "args": ["run", "-i", "--rm", "--network=host", "mcp/fetch@sha256:" + "c" * 64],
            },
            "socket": {
                "command": "docker",
                "args": [
                    "run",
                    "-i",
                    "--rm",
                    "-v",
                    "/var/run/docker.sock:/var/run/docker.sock",
                    "mcp/docker@sha256:" + "c" * 64,
                ],
            },
            "root-mount": {
                "command": "docker",
                "args": [
                    "run",
                    "-i",
                    "--rm",
                    "--mount",
                    "type=bind,src=/,dst=/host",
                    "mcp/filesystem@sha256:" + "c" * 64,
                ],
            },
            "caps": {
                "command": "docker",
                "args": ["run", "-i", "--rm", "--cap-add", "SYS_ADMIN", "mcp/fetch@sha256:" + "c" * 64],
            },
            "approve-write": {
                **npx("-y", fs, "/tmp"),
                "autoApprove": ["read_file", "write_file", "move_file"],
            },
            "approve-all": {**npx("-y", "@acme/mcp@1.0.0"), "alwaysAllow": ["*"]},
        },
    )
    for name in ("fs-root", "fs-tilde", "fs-home", "fs-users", "fs-windows"):
        assert findings(report, Category.EXCESSIVE_SCOPE, name) == [("fs-broad-root", Severity.HIGH)], name
    expected = {
        "privileged": [("container-privileged", Severity.CRITICAL)],
        "host-net": [("container-host-network", Severity.HIGH)],
        "socket": [("container-docker-socket", Severity.CRITICAL)],
        "root-mount": [("container-host-mount", Severity.HIGH)],
        "caps": [("container-capabilities", Severity.HIGH)],
        "approve-write": [("auto-approve-write-tools", Severity.HIGH)],
        "approve-all": [("auto-approve-all", Severity.HIGH)],
    }
    assert_findings(report, Category.EXCESSIVE_SCOPE, expected)
    evidence = next(f.message for f in report.findings if f.server == "approve-write")
    assert "write_file" in evidence and "read_file" not in evidence


def test_narrow_scope_is_not_flagged(tmp_path: Path) -> None:
    fs = "@modelcontextprotocol/server-filesystem@2025.8.21"
    report = scan_cursor(
        tmp_path,
        {
            "fs-projects": npx("-y", fs, str(tmp_path / "home" / "projects"), "/Users/alice/Desktop"),
            "fs-tmp": npx("-y", fs, "/tmp/scratch"),
            "not-fs": npx("-y", "@modelcontextprotocol/server-memory@2025.8.4", "/"),
            "docker-data": {
                "command": "docker",
                "args": [
                    "run",
                    "-i",
                    "--rm",
                    "-v",
                    "./data:/data:ro",
                    "--network",
                    "bridge",
                    "mcp/sqlite@sha256:" + "d" * 64,
                ],
            },
            "approve-reads": {
                **npx("-y", fs, "/tmp"),
                "autoApprove": ["read_file", "list_directory", "search_files", "get_file_info"],
            },
        },
    )
    assert [(f.server, f.rule) for f in report.findings if f.category is Category.EXCESSIVE_SCOPE] == []


def test_client_wide_auto_approval_settings(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_json(
        home / ".claude.json",
        {
            "mcpServers": {
                "github": npx("-y", "@modelcontextprotocol/server-github@2025.4.8"),
                "memory": npx("-y", "@modelcontextprotocol/server-memory@2025.8.4"),
                "fetch": {"command": "uvx", "args": ["mcp-server-fetch==2025.4.7"]},
            }
        },
    )
    write_json(
        home / ".claude" / "settings.json",
        {
            "permissions": {
                "allow": ["Bash(npm test)", "mcp__github", "mcp__memory__read_graph", "mcp__fetch__fetch"]
            }
        },
    )
    write(
        home / ".config" / "goose" / "config.yaml",
        """
        GOOSE_MODE: auto
        extensions:
          memory: {type: stdio, cmd: npx, args: ["-y", "@modelcontextprotocol/server-memory@2025.8.4"], enabled: true, name: memory}
    """,
    )
    report = scan_home(home)
    scoped = sorted(
        (f.host, f.server, f.rule) for f in report.findings if f.category is Category.EXCESSIVE_SCOPE
    )
    assert scoped == [("claude-code", "github", "auto-approve-all"), ("goose", "memory", "auto-approve-all")]
    github = next(
        f for f in report.findings if f.server == "github" and f.category is Category.EXCESSIVE_SCOPE
    )
    assert "mcp__github" in (github.evidence or "")


@pytest.mark.parametrize(
    "tool,write_like",
    [
        ("write_file", True),
        ("createIssue", True),
        ("execute_sql", True),
        ("send_email", True),
        ("browser_click", False),
        ("read_file", False),
        ("list_directory", False),
        ("get_me", False),
        ("search_code", False),
        ("query", False),
    ],
)
def test_write_tool_names(tool: str, write_like: bool) -> None:
    from mcpward.scan._checks.excessive_scope import is_write_tool

    assert is_write_tool(tool) is write_like
