"""Documents that parse but hold the wrong types (a number or null where a list or an object is
expected), and an output that cannot be written: one line on standard error and exit 2, never
an internal error (exit 70) or a traceback."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cli_kit import mcpward_in_home

# A listing that names nothing is refused before anything is written: these name one package.
ONE_PACKAGE_LISTING = '{"servers": [{"packages": [{"registryType": "npm", "identifier": "acme-crm-mcp"}]}]}'


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return mcpward_in_home(home, *args)


# Our own official-list format with a number, null or a list of numbers where names belong.
OWN_LISTS: list[Any] = [
    {"npm": 1},
    {"npm": {"packages": 1}},
    {"npm": {"packages": [1, None]}},
    {"npm": {}, "brands": 1},
    {"npm": {}, "brands": {"acme": 1}},
]


@pytest.mark.parametrize("document", OWN_LISTS)
def test_identity_update_refuses_a_list_of_wrong_types(tmp_path: Path, document: Any) -> None:
    source = tmp_path / "official.json"
    source.write_text(json.dumps(document))
    result = run(tmp_path, "identity", "update", "--source", str(source), "-o", str(tmp_path / "out.json"))
    assert result.returncode == 2, (result.returncode, result.stderr[-400:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(source) in lines[0] and "not an official package list" in lines[0]
    assert not (tmp_path / "out.json").exists()


def test_identity_update_skips_a_listings_wrong_types(tmp_path: Path) -> None:
    # A registry listing's servers that are numbers, or whose packages are, name nothing; the
    # well-formed package beside them is still taken.
    listing = {
        "servers": [
            1,
            {"server": 1},
            {"server": {"packages": 1}},
            {"server": {"packages": [{"registryType": "npm", "identifier": "@acme/mcp"}]}},
        ]
    }
    source = tmp_path / "listing.json"
    source.write_text(json.dumps(listing))
    out = tmp_path / "out.json"
    result = run(tmp_path, "identity", "update", "--source", str(source), "-o", str(out))
    assert result.returncode == 0, result.stderr[-400:]
    assert json.loads(out.read_text())["npm"]["packages"] == ["@acme/mcp"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_questionnaire_that_cannot_be_written_says_so_in_one_line(tmp_path: Path) -> None:
    result = run(tmp_path, "report", "questionnaire", "-f", "xlsx", "-o", "/dev/full")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["mcpward: cannot write /dev/full: No space left on device"]
    written = run(tmp_path, "report", "questionnaire", "-f", "xlsx", "-o", str(tmp_path / "q.xlsx"))
    assert written.returncode == 0 and (tmp_path / "q.xlsx").read_bytes()[:2] == b"PK"


def data_dir_is_a_file(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "afile").write_text("x")
    return mcpward_in_home(tmp_path, *args, data=tmp_path / "afile")


@pytest.mark.parametrize(
    "args", [("registry", "list"), ("report", "sbom"), ("identity", "update", "--source", "{listing}")]
)
def test_a_data_folder_that_is_a_file_is_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    listing = tmp_path / "listing.json"
    listing.write_text(ONE_PACKAGE_LISTING)
    result = data_dir_is_a_file(tmp_path, *(arg.format(listing=listing) for arg in args))
    assert result.returncode == 2, (result.returncode, result.stderr[-400:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path / "afile") in lines[0] and "internal error" not in lines[0]


def test_a_database_url_naming_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a database\n" * 100)
    result = run(tmp_path, "registry", "list", "--database", f"sqlite:///{tmp_path}/notes.txt")
    assert result.returncode == 2, (result.returncode, result.stderr[-400:])
    assert result.stderr.strip().splitlines() == [
        f"mcpward: cannot open the registry database sqlite:///{tmp_path}/notes.txt: file is not a database"
    ]


@pytest.mark.parametrize(
    ("command", "source"),
    [("identity", ONE_PACKAGE_LISTING), ("advisories", '{"id": "OSV-1", "affected": []}')],
)
def test_an_update_does_not_replace_a_fifo_given_as_its_output(
    tmp_path: Path, command: str, source: str
) -> None:
    # -o names a FIFO (as it could name /dev/full or /dev/stdout, as root): moved over it, the
    # new file replaced the special file itself.
    (tmp_path / "source.json").write_text(source)
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    result = run(tmp_path, command, "update", "--source", str(tmp_path / "source.json"), "-o", str(fifo))
    assert result.returncode == 2, (result.returncode, result.stderr[-400:])
    assert result.stderr.strip().splitlines()[0].endswith(f"cannot write {fifo}: not a regular file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "out", "source.json"]


@pytest.mark.parametrize(
    "args",
    [
        ("registry", "show", "{big}"),
        ("registry", "approve", "{big}", "-m", "x"),
        ("registry", "approve", "1", "--revision", "{big}", "-m", "x"),
        ("registry", "export", "{big}"),
        ("registry", "audit", "--entry", "{big}"),
    ],
)
def test_an_id_larger_than_the_database_stores_is_a_usage_error(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    # SQLite's OverflowError was an internal error (exit 70).
    big = str(10**22)
    result = run(tmp_path, *(a.format(big=big) for a in args), "--database", f"sqlite:///{tmp_path}/r.db")
    assert result.returncode == 2, (result.returncode, result.stderr[-400:])
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert f"{big} is not in the range" in result.stderr


def test_gateway_token_lines_hold_any_name_as_one_toml_string(tmp_path: Path) -> None:
    import tomllib

    name = 'o"brien\nadmin = true\x1b[31m'
    result = run(tmp_path, "gateway", "token", name)
    assert result.returncode == 0, result.stderr[-400:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("token: ") and "\x1b" not in result.stdout
    table = tomllib.loads("\n".join(lines[1:]))["serve"]["clients"][0]
    assert table.keys() == {"name", "sha256"} and table["name"] == name


@pytest.mark.parametrize(
    "args",
    [
        ("scan", "--only-paths", "--path", "{tmp}", "--report-to", "{url}"),
        ("scan", "--only-paths", "--path", "{tmp}", "--registry", "{url}"),
        ("advisories", "update", "--source", "{url}", "-o", "{tmp}/out.json"),
        ("identity", "update", "--source", "{url}", "-o", "{tmp}/out.json"),
        ("enforce", "--registry", "{url}", "--root", "{tmp}/root"),
    ],
)
@pytest.mark.parametrize("url", ["http://[::1", "https://[::1"])
def test_a_url_that_does_not_parse_is_one_line(tmp_path: Path, args: tuple[str, ...], url: str) -> None:
    # An unclosed IPv6 address (httpx's InvalidURL, urllib's ValueError) was an internal error.
    result = run(tmp_path, *(a.format(tmp=tmp_path, url=url) for a in args))
    assert result.returncode == 2, (result.returncode, result.stderr[-400:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and url in lines[0] and "internal error" not in lines[0]
    assert not (tmp_path / "out.json").exists() and not (tmp_path / "root").exists()
