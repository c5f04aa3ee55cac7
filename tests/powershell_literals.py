"""Reading back the single-quoted literals of a PowerShell script, as PowerShell reads them
(no PowerShell on the test machines)."""

from __future__ import annotations

import re

#: ``+ [char]0xHHHH`` and ``+ '...'`` after a literal: one string, concatenated.
_CHAR = re.compile(r"\s*\+\s*\[char\]0x([0-9A-Fa-f]{4})")
_MORE = re.compile(r"\s*\+\s*(?=['\u2018-\u201b])")


def ps_literals(script: str) -> list[str]:
    """The single-quoted literals of a PowerShell script, decoded as PowerShell reads them:
    ' or a typographic single quote (U+2018 to U+201B) opens and closes one, and two quotes
    in a row are one quote. A literal followed by ``+ [char]0xHHHH`` or ``+ '...'`` is
    concatenated with them into one string (UTF-16 code units, as PowerShell's strings are)."""
    quotes = "'\u2018\u2019\u201a\u201b"
    literals: list[str] = []
    index, current = 0, None
    joined = ""
    while index < len(script):
        char = script[index]
        if current is None:
            if char == "#" and (index == 0 or script[index - 1] == "\n"):
                index = script.index("\n", index)
                continue
            if char in quotes:
                current = ""
        elif char in quotes:
            if index + 1 < len(script) and script[index + 1] in quotes:
                current += script[index + 1]
                index += 1
            else:
                joined += current
                current = None
                while found := _CHAR.match(script, index + 1):
                    joined += chr(int(found.group(1), 16))
                    index = found.end() - 1
                more = _MORE.match(script, index + 1)
                if more:
                    index = more.end()
                    current = ""
                else:
                    literals.append(joined.encode("utf-16-le", "surrogatepass").decode("utf-16-le"))
                    joined = ""
        else:
            current += char
        index += 1
    assert current is None, "an unterminated literal"
    return literals
