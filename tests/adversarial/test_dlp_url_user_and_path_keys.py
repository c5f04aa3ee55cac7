"""Secrets in URLs and names that masking left readable (found by a review of `mcpward scan`,
2026-12-05); each was printed in clear by `scan`, `redact_text` and the gateway's evidence:

- a key as a URL's user name with no password, git's usual form for a personal access token
  (`https://<token>@github.com/org/repo.git`, `git+https://<token>@host/...`), and the user
  before GitHub's `x-oauth-basic` password: masked only when the token had a known format;
- the key a hosted MCP service puts in a client's own server URL (`/mcp/<key>`,
  `/api/mcp/s/<key>/sse`): only query values and passwords were masked;
- a known-format token glued after a word and a hyphen (a server named `name-ghp_<token>`):
  the formats' start refused a "-" before a token.

Now a random user name, a random segment of an MCP endpoint's path followed only by transport
segments, and a token after a hyphen are masked; ordinary user names, UUIDs, commit names,
version and documentation paths stay readable (the clean side below)."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

from cli_kit import mcpward
from linear_time import superlinear

from mcpward.dlp import assess_value, redact_text, redact_url, url_secret_parts
from mcpward.dlp._credentials import find_credentials
from mcpward.dlp.scanning import default_engine


def _random(alphabet: str, length: int, seed: int) -> str:
    chooser = random.Random(seed)  # noqa: S311 - a fake key, seeded
    return "".join(chooser.choice(alphabet) for _ in range(length))


#: A key of no known format (an old GitHub token is 40 hex digits; others are base62).
KEY = _random(string.ascii_letters + string.digits, 32, 11)
HEX_TOKEN = _random("0123456789abcdef", 40, 12)
GITHUB = "ghp_" + _random(string.ascii_letters + string.digits, 36, 13)
MCP_KEY = _random(string.ascii_letters + string.digits, 40, 14)
MCP_KEY_URL_SAFE = _random(string.ascii_letters + string.digits + "-_", 43, 15)

USER_KEY_URLS = (
    f"https://{KEY}@github.com/acme/tools.git",
    f"git+https://{KEY}@git.example.net/acme/tools.git",
    f"https://{HEX_TOKEN}@github.com/acme/tools.git",
    f"https://{KEY}:x-oauth-basic@github.com/acme/tools.git",
)
PATH_KEY_URLS = (
    (f"https://mcp.example.com/mcp/{MCP_KEY}", MCP_KEY),
    (f"https://api.example.com/api/mcp/s/{MCP_KEY}/sse", MCP_KEY),
    (f"https://actions.example.com/mcp/{MCP_KEY_URL_SAFE}/sse", MCP_KEY_URL_SAFE),
    (f"https://tools.example.com/{MCP_KEY}/mcp", MCP_KEY),
    (f"https://mcp.example.org/{MCP_KEY}", MCP_KEY),
)


def test_a_key_as_a_urls_user_name_is_masked() -> None:
    for url in USER_KEY_URLS:
        secret = url.split("://", 1)[1].split("@")[0].split(":")[0]
        assert secret not in redact_text(url), url
        assert secret not in redact_text(f"git clone {url} ./tools"), url
        assert secret not in redact_url(url), url
        assert "username" in url_secret_parts(url), url
        assert url.split("@", 1)[1] in redact_text(url)  # the host and path stay readable


def test_the_engine_reports_a_user_key_as_a_secret(tmp_path: Path) -> None:
    source = tmp_path / "result.json"
    source.write_text(json.dumps({"remote": USER_KEY_URLS[0], "log": f"cloning {USER_KEY_URLS[2]} done"}))
    redacted = tmp_path / "redacted.json"
    done = mcpward("dlp", "scan", str(source), "--format", "json", "--redacted", str(redacted))
    assert KEY not in done.stdout and HEX_TOKEN not in done.stdout
    assert done.stdout.count("url-user-key") >= 2, done.stdout
    assert KEY not in redacted.read_text() and HEX_TOKEN not in redacted.read_text()
    assert "github.com/acme/tools.git" in redacted.read_text()


def test_an_mcp_endpoints_path_key_is_masked() -> None:
    for url, key in PATH_KEY_URLS:
        assert key not in redact_text(url), url
        assert key not in redact_text(f'{{"url": "{url}"}}'), url
        assert key not in redact_url(url), url
        assert url_secret_parts(url) == ["path"], url
    assert redact_text(PATH_KEY_URLS[1][0]) == "https://api.example.com/api/mcp/s/****/sse"


def test_a_token_after_a_word_and_a_hyphen_is_masked() -> None:
    for text in (f"name-{GITHUB}", f"server name-{GITHUB} started", f"prod-{GITHUB}"):
        assert GITHUB[4:] not in redact_text(text), text
        assert [m.kind for m in find_credentials(text)] == ["github-token"]
    assert redact_text(f"name-{GITHUB}") == "name-ghp_****"
    # Inside base64 or a longer identifier, unchanged: no match.
    assert find_credentials(f"abc+{GITHUB}") == [] and find_credentials(f"name_{GITHUB}") == []


def test_scan_reports_and_masks_them(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    servers = {
        f"name-{GITHUB}": {"command": "node", "args": ["server.js"]},
        "hosted": {"url": PATH_KEY_URLS[1][0]},
        "mirror": {"url": f"https://{KEY}@mcp-mirror.example.com/acme/mcp"},
    }
    (project / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    done = mcpward("scan", "--only-paths", "--path", str(project), "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    for secret in (GITHUB[4:], MCP_KEY, KEY):
        assert secret not in done.stdout and secret not in done.stderr
    report = json.loads(done.stdout)
    assert "ghp_****" in done.stdout and "/api/mcp/s/****/sse" in done.stdout, report
    assert "url-path" in done.stdout and "url-username" in done.stdout


CLEAN_URLS = (
    "https://git@github.com/acme/tools.git",
    "ssh://git@github.com/acme/tools.git",
    "https://alice@example.com/repo",
    "https://x-access-token@github.com/acme/tools",
    "https://oauth2@gitlab.example.com/acme/tools.git",
    "https://gitlab-ci-token@gitlab.example.com/acme/tools.git",
    "https://alice%40corp.example@git.example.com/repo",
    "https://john.doe.1987@git.example.com/repo",
    "https://deploy-user-2024-prod@git.example.com/repo",
    "https://mcp.example.com/mcp",
    "https://mcp.example.com/v1/mcp",
    "https://mcp.example.com/sse",
    "https://mcp.example.com/mcp/550e8400-e29b-41d4-a716-446655440000/sse",
    "https://mcp.example.com/servers/my-server-v2-production-2024/mcp",
    "https://docs.example.com/mcp/release-20240101T120000Z",
    "https://github.com/acme/mcp/commit/4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "https://github.com/acme/mcp/blob/4b825dc642cb6eb9a060e54bf8d69288fbee4904/README.md",
    f"https://github.com/acme/mcp/tree/{MCP_KEY}/src",
    "https://modelcontextprotocol.io/specification/2025-06-18/basic/transports",
    "https://example.com/docs/mcp/getting-started/installation-guide-v2",
    f"https://cdn.example.com/assets/{MCP_KEY}/app.js",
    f"https://example.com/files/{MCP_KEY}",
)


def test_ordinary_urls_stay_readable() -> None:
    for url in CLEAN_URLS:
        assert redact_text(url) == url, url
        assert redact_url(url) == url, url
        assert url_secret_parts(url) == [], url
        assert assess_value("url", None, url) == [], url
        assert [m.rule for m in default_engine().scan(url) if m.kind == "secret"] == [], url
    for name in ("my-server", "github-mcp-server", "server-2024-v2", "name-ghp_short"):
        assert redact_text(name) == name


def test_hostile_urls_cost_linear_time() -> None:
    user = "a1" * 20_000
    path = "/mcp/" + "/".join(["Ab3dE5fG7hJ9kL1mN3pQ"] * 4_000)
    for single in (
        f"https://{user}@mcp.example.com/mcp",
        f"https://mcp.example.com{path}",
        f"x-{GITHUB}-" * 2_000,
    ):
        quadruple = single.replace("a1" * 20_000, "a1" * 80_000) if "@" in single else single * 4
        assert superlinear(redact_text, single, quadruple) is None, single[:40]
