"""Counts and articles in the sentences the parts print: "1 finding", "2 findings", "an API key"."""

from __future__ import annotations

#: Plurals that are not the word with an "s".
_IRREGULAR = {
    "entry": "entries",
    "advisory": "advisories",
    "known advisory": "known advisories",
    "policy": "policies",
    "proxy": "proxies",
    "property": "properties",
}


def counted(number: int, noun: str) -> str:
    """``number`` and ``noun``, the noun plural unless the number is one."""
    if number == 1:
        return f"1 {noun}"
    return f"{number} {_IRREGULAR.get(noun, noun + 's')}"


def with_article(phrase: str) -> str:
    """``phrase`` after "a" or "an", by its first letter (the way it is read aloud: "an API
    key", "an openai-project-key", "a GitHub token"; "a user", "an hour" are not told apart)."""
    first = phrase[:1]
    if first.lower() in "aeio" and first:
        return f"an {phrase}"
    if phrase[:2].isupper() and first in "FHLMNRSX":  # read letter by letter: "an SSH key"
        return f"an {phrase}"
    return f"a {phrase}"
