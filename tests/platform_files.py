"""Realistic documents of the automation platforms scan inventories, written from each product's
documented formats (no copied user data): n8n workflows, Flowise chatflows, LangFlow flows,
LiteLLM proxy configs, and their SQLite databases."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any


def n8n_workflow(name: str = "Support agent", *, active: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "active": active,
        "nodes": [
            {
                "parameters": {"options": {}},
                "id": "5d1c0f1e-1111-4c3b-9a51-0c1f1e0a0001",
                "name": "When chat message received",
                "type": "@n8n/n8n-nodes-langchain.chatTrigger",
                "typeVersion": 1.1,
                "position": [0, 0],
            },
            {
                "parameters": {
                    "endpointUrl": "https://mcp.tickets.example.com/mcp",
                    "serverTransport": "httpStreamable",
                    "authentication": "bearerAuth",
                    "include": "all",
                },
                "id": "5d1c0f1e-1111-4c3b-9a51-0c1f1e0a0002",
                "name": "Tickets MCP",
                "type": "@n8n/n8n-nodes-langchain.mcpClientTool",
                "typeVersion": 1.2,
                "position": [200, 200],
                "credentials": {"httpBearerAuth": {"id": "W8jPE6Hrm", "name": "Tickets token"}},
            },
            {
                "parameters": {"sseEndpoint": "http://wiki.corp.example.com:8080/sse"},
                "id": "5d1c0f1e-1111-4c3b-9a51-0c1f1e0a0003",
                "name": "Wiki MCP",
                "type": "@n8n/n8n-nodes-langchain.mcpClientTool",
                "typeVersion": 1,
                "position": [400, 200],
            },
        ],
        "connections": {"Tickets MCP": {"ai_tool": [[{"node": "AI Agent", "type": "ai_tool", "index": 0}]]}},
        "settings": {"executionOrder": "v1"},
        "meta": {"instanceId": "0b6d3f5c2a"},
    }


def n8n_server_workflow(path: str = "crm-tools", authentication: str = "none") -> dict[str, Any]:
    parameters: dict[str, Any] = {"path": path}
    if authentication != "none":
        parameters["authentication"] = authentication
    return {
        "name": f"CRM tools ({authentication})",
        "active": True,
        "nodes": [
            {
                "parameters": parameters,
                "id": "7a0e2f4b-2222-4d1c-8f00-0a0b0c0d0001",
                "name": "MCP Server Trigger",
                "type": "@n8n/n8n-nodes-langchain.mcpTrigger",
                "typeVersion": 2,
                "position": [0, 0],
                "webhookId": "5f275236-ecc8-48a3-ac13-8544b319386f",
            },
            {
                "parameters": {"operation": "getAll"},
                "id": "7a0e2f4b-2222-4d1c-8f00-0a0b0c0d0002",
                "name": "List contacts",
                "type": "n8n-nodes-base.hubspotTool",
                "typeVersion": 2.1,
                "position": [200, 200],
            },
        ],
        "connections": {
            "List contacts": {"ai_tool": [[{"node": "MCP Server Trigger", "type": "ai_tool", "index": 0}]]}
        },
    }


def n8n_database(path: Path, workflows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE workflow_entity (id varchar(36) PRIMARY KEY, name varchar(128) NOT NULL, "
            "active boolean NOT NULL, nodes text, connections text, settings text, staticData text, "
            "createdAt datetime, updatedAt datetime)"
        )
        for index, workflow in enumerate(workflows):
            db.execute(
                "INSERT INTO workflow_entity (id, name, active, nodes, connections) VALUES (?, ?, ?, ?, ?)",
                (
                    f"wf{index}",
                    workflow["name"],
                    int(workflow["active"]),
                    json.dumps(workflow["nodes"]),
                    json.dumps(workflow["connections"]),
                ),
            )
    db.close()
    return path


def flowise_chatflow(config: dict[str, Any]) -> dict[str, Any]:
    """A chatflow with a Tool Agent and one Custom MCP node, as Flowise exports it."""
    return {
        "nodes": [
            {
                "id": "toolAgent_0",
                "position": {"x": 900, "y": 200},
                "type": "customNode",
                "data": {
                    "id": "toolAgent_0",
                    "label": "Tool Agent",
                    "name": "toolAgent",
                    "version": 2,
                    "category": "Agents",
                    "inputs": {"tools": ["{{customMCP_0}}"]},
                },
            },
            {
                "id": "customMCP_0",
                "position": {"x": 400, "y": 300},
                "type": "customNode",
                "data": {
                    "id": "customMCP_0",
                    "label": "Custom MCP",
                    "name": "customMCP",
                    "version": 1.1,
                    "type": "Custom MCP Tool",
                    "category": "Tools (MCP)",
                    "inputs": {
                        "mcpServerConfig": json.dumps(config, indent=2),
                        "mcpActions": '["read_file"]',
                    },
                },
            },
            {
                "id": "githubMCP_0",
                "position": {"x": 400, "y": 600},
                "type": "customNode",
                "data": {
                    "id": "githubMCP_0",
                    "label": "GitHub MCP",
                    "name": "githubMCP",
                    "version": 1,
                    "type": "GitHub MCP Tool",
                    "category": "Tools (MCP)",
                    "credential": "",
                    "inputs": {"mcpActions": '["list_issues"]'},
                },
            },
        ],
        "edges": [{"source": "customMCP_0", "target": "toolAgent_0", "type": "buttonedge", "id": "e1"}],
    }


def flowise_database(path: Path, flows: dict[str, dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute(
            'CREATE TABLE chat_flow (id varchar PRIMARY KEY, name varchar NOT NULL, "flowData" text NOT NULL, '
            'deployed boolean, "isPublic" boolean, type varchar, "createdDate" datetime)'
        )
        for index, (name, flow) in enumerate(flows.items()):
            db.execute(
                'INSERT INTO chat_flow (id, name, "flowData", type) VALUES (?, ?, ?, ?)',
                (f"cf{index}", name, json.dumps(flow), "CHATFLOW"),
            )
    db.close()
    return path


def langflow_flow(name: str = "Docs agent") -> dict[str, Any]:
    """A LangFlow export with an MCP Tools component (1.4 and later) and an MCP Stdio one."""
    return {
        "name": name,
        "description": "Answers from the docs",
        "data": {
            "nodes": [
                {
                    "id": "MCPTools-Xy12z",
                    "type": "genericNode",
                    "data": {
                        "id": "MCPTools-Xy12z",
                        "type": "MCPTools",
                        "node": {
                            "display_name": "MCP Tools",
                            "template": {
                                "mcp_server": {
                                    "value": {
                                        "name": "fetch",
                                        "config": {"command": "uvx", "args": ["mcp-server-fetch==2025.4.7"]},
                                    }
                                },
                                "tool": {"value": "fetch"},
                            },
                        },
                    },
                },
                {
                    "id": "MCPStdio-a1B2c",
                    "type": "genericNode",
                    "data": {
                        "id": "MCPStdio-a1B2c",
                        "type": "MCPStdio",
                        "node": {
                            "template": {
                                "command": {"value": "npx -y @modelcontextprotocol/server-everything"}
                            }
                        },
                    },
                },
            ],
            "edges": [],
        },
    }


def langflow_database(path: Path, flows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE flow (id char(32) PRIMARY KEY, name varchar NOT NULL, description text, data json)"
        )
        for index, flow in enumerate(flows):
            db.execute(
                "INSERT INTO flow (id, name, data) VALUES (?, ?, ?)",
                (f"f{index}", flow["name"], json.dumps(flow["data"])),
            )
    db.close()
    return path


LITELLM_CONFIG = """\
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY

mcp_servers:
  circleci_mcp:
    transport: "stdio"
    command: "npx"
    args: ["-y", "@circleci/mcp-server-circleci"]
    env:
      CIRCLECI_TOKEN: "os.environ/CIRCLECI_TOKEN"
  deepwiki_mcp:
    url: "https://mcp.deepwiki.com/mcp"
    transport: "http"
    auth_type: "api_key"
  internal_sse:
    url: "http://10.20.0.7:8000/sse"

general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
"""


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def npm_global_package(root: Path, name: str, version: str) -> Path:
    return write_json(
        root / "usr" / "local" / "lib" / "node_modules" / name / "package.json",
        {"name": name, "version": version, "bin": {name: "bin/run"}},
    )


def pipx_dist_info(home: Path, name: str, version: str) -> Path:
    folder = home / ".local" / "share" / "pipx" / "venvs" / name / "lib" / "python3.12" / "site-packages"
    dist = folder / f"{name}-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    return dist
