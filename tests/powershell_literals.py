"""Reading back the single-quoted literals of a PowerShell script, as PowerShell reads them
(no PowerShell on the test machines)."""

from __future__ import annotations


def ps_literals(script: str) -> list[str]:
    """The single-quoted literals of a PowerShell script, decoded as PowerShell reads them:
    ' or a typographic single quote (U+2018 to U+201B) opens and closes one, and two quotes
    in a row are one quote."""
    quotes = "'\u2018\u2019\u201a\u201b"
    literals: list[str] = []
    index, current = 0, None
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
                literals.append(current)
                current = None
        else:
            current += char
        index += 1
    assert current is None, "an unterminated literal"
    return literals
