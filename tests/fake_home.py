"""Builds fake home directories holding one real-looking config for every host application,
laid out as on Linux, macOS or Windows, and says which servers the scan must find."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from mcpward.scan import TargetOS


def config_dir(home: Path, target: TargetOS) -> Path:
    if target is TargetOS.WINDOWS:
        return home / "AppData" / "Roaming"
    if target is TargetOS.MACOS:
        return home / "Library" / "Application Support"
    return home / ".config"


def managed_dir(root: Path, target: TargetOS) -> Path:
    if target is TargetOS.WINDOWS:
        return root / "ProgramData" / "ClaudeCode"
    if target is TargetOS.MACOS:
        return root / "Library" / "Application Support" / "ClaudeCode"
    return root / "etc" / "claude-code"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def write_json(path: Path, data: object) -> Path:
    return write(path, json.dumps(data, indent=2))


def npx(package: str, *args: str) -> dict[str, object]:
    return {"command": "npx", "args": ["-y", package, *args]}


def build_home(home: Path, root: Path, target: TargetOS) -> dict[str, set[str]]:
    """Write every host's config under ``home`` (and managed ones under ``root``); return the
    server names expected per host."""
    cfg = config_dir(home, target)
    expected: dict[str, set[str]] = {}

    write_json(
        cfg / "Claude" / "claude_desktop_config.json",
        {
            "mcpServers": {
                "filesystem": npx(
                    "@modelcontextprotocol/server-filesystem@2025.8.21", str(home / "projects")
                ),
                "memory": npx("@modelcontextprotocol/server-memory@2025.8.4"),
            }
        },
    )
    expected["claude-desktop"] = {"filesystem", "memory"}

    write_json(
        home / ".claude.json",
        {
            "numStartups": 12,
            "mcpServers": {"sentry": {"type": "http", "url": "https://mcp.sentry.dev/mcp"}},
            "projects": {
                str(home / "src" / "shop"): {
                    "mcpServers": {
                        "postgres": npx(
                            "@modelcontextprotocol/server-postgres@0.6.2", "postgresql://localhost/shop"
                        ),
                    },
                    "allowedTools": [],
                },
                str(home / "src" / "empty"): {"mcpServers": {}},
            },
        },
    )
    write_json(
        home / ".claude" / "plugins" / "marketplaces" / "acme" / "plugins" / "linear" / ".mcp.json",
        {"linear": {"type": "sse", "url": "https://mcp.linear.app/sse"}},
    )
    write_json(home / ".claude" / "settings.json", {"permissions": {"allow": ["mcp__sentry__search_issues"]}})
    write_json(
        managed_dir(root, target) / "managed-mcp.json",
        {
            "mcpServers": {
                "company-docs": {
                    "type": "http",
                    "url": "https://mcp.internal.example.com/docs",
                    "headers": {"Authorization": "Bearer ${DOCS_TOKEN}"},
                },
            }
        },
    )
    expected["claude-code"] = {"sentry", "postgres", "linear", "company-docs"}

    write_json(
        home / ".cursor" / "mcp.json",
        {
            "mcpServers": {
                "context7": npx("@upstash/context7-mcp@1.0.14"),
                "playwright": npx("@playwright/mcp@0.0.32"),
            }
        },
    )
    expected["cursor"] = {"context7", "playwright"}

    write_json(
        home / ".codeium" / "windsurf" / "mcp_config.json",
        {
            "mcpServers": {
                "notion": {"serverUrl": "https://mcp.notion.com/mcp"},
                "time": {"command": "uvx", "args": ["mcp-server-time==2025.8.4"]},
            }
        },
    )
    expected["windsurf"] = {"notion", "time"}

    write(
        cfg / "Code" / "User" / "mcp.json",
        """
        {
          // Servers for Copilot agent mode
          "servers": {
            "github": {
              "type": "http",
              "url": "https://api.githubcopilot.com/mcp/",
              "headers": {"Authorization": "Bearer ${input:github_token}"},
            },
            "fetch": {"type": "stdio", "command": "uvx", "args": ["mcp-server-fetch==2025.4.7"],},
          },
          "inputs": [{"type": "promptString", "id": "github_token", "password": true}],
        }
    """,
    )
    write(
        cfg / "Code - Insiders" / "User" / "settings.json",
        """
        {
          "editor.fontSize": 13, // comment
          "mcp": {"servers": {"everything": {"command": "npx", "args": ["@modelcontextprotocol/server-everything@2025.8.18"]}}},
        }
    """,
    )
    expected["vscode"] = {"github", "fetch", "everything"}

    cline = "saoudrizwan.claude-dev"
    write_json(
        cfg / "Code" / "User" / "globalStorage" / cline / "settings" / "cline_mcp_settings.json",
        {
            "mcpServers": {
                "git": {
                    "command": "uvx",
                    "args": ["mcp-server-git==2025.9.25"],
                    "disabled": False,
                    "autoApprove": ["git_status"],
                }
            }
        },
    )
    write_json(
        cfg / "Cursor" / "User" / "globalStorage" / cline / "settings" / "cline_mcp_settings.json",
        {"mcpServers": {"sqlite": {"command": "uvx", "args": ["mcp-server-sqlite==2025.4.25"]}}},
    )
    expected["cline"] = {"git", "sqlite"}

    roo = "rooveterinaryinc.roo-cline"
    write_json(
        cfg / "Windsurf" / "User" / "globalStorage" / roo / "settings" / "mcp_settings.json",
        {
            "mcpServers": {
                "puppeteer": {
                    "command": "node",
                    "args": [str(home / "mcp" / "puppeteer.js")],
                    "alwaysAllow": ["puppeteer_screenshot"],
                }
            }
        },
    )
    expected["roo-code"] = {"puppeteer"}

    write(
        home / ".continue" / "config.yaml",
        """
        name: Local Assistant
        version: 1.0.0
        schema: v1
        mcpServers:
          - name: SQLite
            command: npx
            args: ["-y", "mcp-sqlite@1.0.0", "/tmp/db.sqlite"]
          - name: Remote search
            type: streamable-http
            url: https://search.example.com/mcp
    """,
    )
    write_json(
        home / ".continue" / "config.json",
        {
            "experimental": {
                "modelContextProtocolServers": [
                    {"transport": {"type": "stdio", "command": "uvx", "args": ["mcp-server-time==2025.8.4"]}},
                ]
            }
        },
    )
    expected["continue"] = {"SQLite", "Remote search", "server-1"}

    zed = (
        (cfg / "Zed" / "settings.json")
        if target is TargetOS.WINDOWS
        else (home / ".config" / "zed" / "settings.json")
    )
    write(
        zed,
        """
        // Zed settings
        {
          "theme": "One Dark",
          "context_servers": {
            "tavily": {"source": "custom", "command": "npx", "args": ["-y", "tavily-mcp@0.2.9"], "env": {"TAVILY_API_KEY": "${TAVILY_API_KEY}"}},
            "legacy": {"command": {"path": "uvx", "args": ["mcp-server-fetch==2025.4.7"], "env": {}}},
            "mcp-server-github": {"source": "extension", "settings": {"github_personal_access_token": "${GITHUB}"}},
          },
        }
    """,
    )
    expected["zed"] = {"tavily", "legacy", "mcp-server-github"}

    write_json(
        home / ".gemini" / "settings.json",
        {
            "mcpServers": {
                "stripe": {
                    "httpUrl": "https://mcp.stripe.com",
                    "headers": {"Authorization": "Bearer ${STRIPE_KEY}"},
                },
                "events": {"url": "https://events.example.com/sse"},
                "python-tools": {
                    "command": "python",
                    "args": ["-m", "my_tools.server"],
                    "cwd": "./tools",
                    "trust": True,
                },
            }
        },
    )
    write_json(
        home / ".gemini" / "extensions" / "security" / "gemini-extension.json",
        {
            "name": "security",
            "version": "1.0.0",
            "mcpServers": {"scanner": {"command": "node", "args": ["${extensionPath}/dist/server.js"]}},
        },
    )
    expected["gemini-cli"] = {"stripe", "events", "python-tools", "scanner"}

    write(
        home / ".codex" / "config.toml",
        """
        model = "o4-mini"

        [mcp_servers.docs]
        command = "npx"
        args = ["-y", "mcp-remote@0.1.29", "https://docs.example.com/mcp"]

        [mcp_servers.figma]
        url = "https://mcp.figma.com/mcp"
        bearer_token_env_var = "FIGMA_TOKEN"
    """,
    )
    expected["codex"] = {"docs", "figma"}

    write_json(
        home / ".copilot" / "mcp-config.json",
        {
            "mcpServers": {
                "azure": {
                    "type": "local",
                    "command": "npx",
                    "args": ["-y", "@azure/mcp@0.5.8", "server", "start"],
                    "tools": ["*"],
                },
            }
        },
    )
    expected["copilot-cli"] = {"azure"}

    write_json(
        home / ".kiro" / "settings" / "mcp.json",
        {
            "mcpServers": {
                "aws-docs": {
                    "command": "uvx",
                    "args": ["awslabs.aws-documentation-mcp-server@1.1.2"],
                    "disabled": False,
                    "autoApprove": [],
                },
            }
        },
    )
    expected["kiro"] = {"aws-docs"}

    write_json(
        home / ".aws" / "amazonq" / "mcp.json",
        {
            "mcpServers": {
                "terraform": {
                    "command": "docker",
                    "args": ["run", "-i", "--rm", "hashicorp/terraform-mcp-server:0.2.3"],
                },
            }
        },
    )
    write_json(
        home / ".aws" / "amazonq" / "agents" / "dev.json",
        {
            "name": "dev",
            "mcpServers": {"jira": {"command": "uvx", "args": ["mcp-atlassian==0.11.9"]}},
            "allowedTools": ["fs_read", "@jira/jira_get_issue"],
        },
    )
    expected["amazon-q"] = {"terraform", "jira"}

    write_json(
        home / ".config" / "opencode" / "opencode.json",
        {
            "$schema": "https://opencode.ai/config.json",
            "mcp": {
                "local-db": {
                    "type": "local",
                    "command": [
                        "npx",
                        "-y",
                        "@modelcontextprotocol/server-postgres@0.6.2",
                        "postgresql://localhost/dev",
                    ],
                    "enabled": True,
                },
                "remote-kb": {
                    "type": "remote",
                    "url": "https://kb.example.com/mcp",
                    "headers": {"X-Api-Key": "{env:KB_KEY}"},
                },
            },
        },
    )
    expected["opencode"] = {"local-db", "remote-kb"}

    goose = (
        (cfg / "Block" / "goose" / "config" / "config.yaml")
        if target is TargetOS.WINDOWS
        else (home / ".config" / "goose" / "config.yaml")
    )
    write(
        goose,
        """
        GOOSE_PROVIDER: anthropic
        extensions:
          developer:
            enabled: true
            name: developer
            type: builtin
          github:
            cmd: npx
            args: [-y, "@modelcontextprotocol/server-github@2025.4.8"]
            enabled: true
            envs: {GITHUB_PERSONAL_ACCESS_TOKEN: "${GITHUB_TOKEN}"}
            name: github
            type: stdio
          weather:
            uri: https://weather.example.com/mcp
            enabled: false
            name: weather
            type: streamable_http
    """,
    )
    expected["goose"] = {"github", "weather"}

    write_json(
        home / ".lmstudio" / "mcp.json",
        {
            "mcpServers": {
                "hf": {
                    "url": "https://huggingface.co/mcp",
                    "headers": {"Authorization": "Bearer ${HF_TOKEN}"},
                },
            }
        },
    )
    expected["lm-studio"] = {"hf"}

    # Amp: the dotted key of its settings file (JSONC), and the admin's managed settings.
    write(
        home / ".config" / "amp" / "settings.json",
        """
        {
          // Amp reads ~/.config/amp on every OS
          "amp.mcpServers": {
            "playwright": {"command": "npx", "args": ["-y", "@playwright/mcp@0.0.41", "--headless"]},
            "linear": {"url": "https://mcp.linear.app/sse", "headers": {"Authorization": "Bearer ${LINEAR_TOKEN}"}},
          },
        }
        """,
    )
    if target is TargetOS.MACOS:
        amp_managed = root / "Library" / "Application Support" / "ampcode"
    elif target is TargetOS.WINDOWS:
        amp_managed = root / "ProgramData" / "ampcode"
    else:
        amp_managed = root / "etc" / "ampcode"
    write_json(
        amp_managed / "managed-settings.json",
        {"amp.mcpServers": {"company-search": {"url": "https://mcp.example.internal/mcp"}}},
    )
    expected["amp"] = {"playwright", "linear", "company-search"}

    # Antigravity: the IDE agent's mcp_config.json, serverUrl for a remote server.
    write_json(
        home / ".gemini" / "antigravity" / "mcp_config.json",
        {
            "mcpServers": {
                "firebase": npx("firebase-tools@14.11.0", "experimental:mcp"),
                "docs": {
                    "serverUrl": "https://developerknowledge.googleapis.com/mcp",
                    "headers": {"X-Goog-Api-Key": "${DK_API_KEY}"},
                },
            }
        },
    )
    expected["antigravity"] = {"firebase", "docs"}

    # Junie: ~/.junie/mcp/mcp.json on every OS; stdio entries without a type field.
    write_json(
        home / ".junie" / "mcp" / "mcp.json",
        {
            "mcpServers": {
                "jetbrains-docs": npx("@jetbrains/mcp-proxy@1.8.0"),
                "sentry": {"url": "https://mcp.sentry.dev/mcp"},
            }
        },
    )
    expected["junie"] = {"jetbrains-docs", "sentry"}
    return expected
