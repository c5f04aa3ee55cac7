"""Is a package name an imitation of an official MCP package or a vendor's brand?

Used by ``scan`` on launch lines and manifests, and by ``vet`` before approval. The names it
compares against ship as data (``data/official_packages.json``) so they can be extended
without code.
"""

from __future__ import annotations

import enum
import json
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from mcpward._paths import replace_whole, user_data_dir
from mcpward._regex import compiled
from mcpward.errors import McpwardError
from mcpward.model import Ecosystem

#: Automation and agent platforms that launch MCP servers from their configuration (n8n,
#: Flowise, LangFlow, LiteLLM, Langchain-Chatchat): a project depending on one is reported by
#: scan, and their advisories (the 2026 stdio configuration-to-command CVEs) are kept in the
#: advisory snapshot with the MCP packages'.
PLATFORM_PACKAGES: dict[Ecosystem, frozenset[str]] = {
    Ecosystem.NPM: frozenset({"n8n", "flowise", "flowise-components"}),
    Ecosystem.PYPI: frozenset({"litellm", "langflow", "langflow-base", "langchain-chatchat"}),
}


class NameRiskKind(enum.StrEnum):
    HOMOGLYPH = "homoglyph"  # looks identical to an official name
    SCOPE_LOOKALIKE = "scope-lookalike"  # @modeIcontextprotocol/..., @model-context-protocol/...
    TYPOSQUAT = "typosquat"  # one or two edits from an official name
    BRAND = "brand"  # a vendor's brand in a name the vendor did not publish


@dataclass(frozen=True, slots=True)
class NameRisk:
    kind: NameRiskKind
    imitates: str
    detail: str


@dataclass(frozen=True, slots=True)
class OfficialNames:
    npm_scopes: frozenset[str]
    npm: frozenset[str]
    pypi: frozenset[str]
    pypi_prefixes: tuple[str, ...]
    oci_namespaces: frozenset[str]
    oci: frozenset[str]
    known: frozenset[str]  # legitimate community names, never reported
    brands: dict[str, tuple[str, ...]]

    def is_known(self, ecosystem: Ecosystem, name: str) -> bool:
        if name in self.known:
            return True
        if ecosystem is Ecosystem.NPM:
            return name in self.npm or _npm_scope(name) in self.npm_scopes
        if ecosystem is Ecosystem.PYPI:
            return name in self.pypi or name.startswith(self.pypi_prefixes)
        if ecosystem is Ecosystem.OCI:
            return name in self.oci or name.rsplit("/", 1)[0] in self.oci_namespaces
        return False

    def names(self, ecosystem: Ecosystem) -> frozenset[str]:
        return {Ecosystem.NPM: self.npm, Ecosystem.PYPI: self.pypi, Ecosystem.OCI: self.oci}.get(
            ecosystem, frozenset()
        )


def user_official_path() -> Path:
    return user_data_dir() / "official_packages.json"


@cache
def official_names() -> OfficialNames:
    """The bundled list, extended by the user's refreshed one when there is one."""
    raw: dict[str, Any] = json.loads(
        resources.files("mcpward.data").joinpath("official_packages.json").read_text("utf-8")
    )
    try:
        extra = json.loads(_read_trusted(user_official_path()).decode("utf-8"))
        _merge(raw, extra)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass  # no refreshed list, a damaged one or one others may write: the bundled list stands
    npm, pypi, oci = raw["npm"], raw["pypi"], raw["oci"]
    return OfficialNames(
        npm_scopes=frozenset(npm["official_scopes"]),
        npm=frozenset(npm["packages"]),
        pypi=frozenset(canonicalize_name(n) for n in pypi["packages"]),
        pypi_prefixes=tuple(pypi["official_prefixes"]),
        oci_namespaces=frozenset(oci["official_namespaces"]),
        oci=frozenset(oci["images"]),
        known=frozenset(npm["known_community"] + pypi["known_community"]),
        brands={brand: tuple(scopes) for brand, scopes in raw["brands"].items()},
    )


def _read_trusted(path: Path) -> bytes:
    """The bytes of the user's list if only the user (or root) may have written it: a name the
    list holds is never reported, so in a shared data folder another user's file, or one others
    may write, made ``postmark-mcp`` a known package. Checked on the open descriptor, opened
    without following a last link or waiting on a FIFO; not checked where there are no user
    ids (Windows)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    with os.fdopen(os.open(path, flags), "rb") as handle:
        facts = os.fstat(handle.fileno())
        own = getattr(os, "geteuid", None)
        if not stat.S_ISREG(facts.st_mode) or (
            own is not None and (facts.st_mode & 0o022 or facts.st_uid not in (own(), 0))
        ):
            raise OSError(f"{path}: another user may have written it")
        return handle.read(64 * 1024 * 1024)


_LIST_KEYS = {
    "npm": ("official_scopes", "packages", "known_community"),
    "pypi": ("official_prefixes", "packages", "known_community"),
    "oci": ("official_namespaces", "images"),
}


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for section, keys in _LIST_KEYS.items():
        for key in keys:
            values = (extra.get(section) or {}).get(key) or []
            into[section][key] = sorted(set(into[section][key]) | {str(v) for v in values})
    for brand, scopes in (extra.get("brands") or {}).items():
        into["brands"][str(brand)] = sorted(set(into["brands"].get(brand, [])) | {str(s) for s in scopes})


def _own_list_problem(document: dict[str, Any]) -> str | None:
    """What in a list of our own format is not the shape ``_merge`` reads, or None."""
    for section, keys in _LIST_KEYS.items():
        part = document.get(section)
        if part is None:
            continue
        if not isinstance(part, dict):
            return f"{section} is not an object"
        for key in keys:
            values = part.get(key)
            if values is not None and not (
                isinstance(values, list) and all(isinstance(v, str) for v in values)
            ):
                return f"{section}.{key} is not a list of names"
    brands = document.get("brands")
    if brands is not None and not (
        isinstance(brands, dict)
        and all(
            isinstance(scopes, list) and all(isinstance(s, str) for s in scopes) for scopes in brands.values()
        )
    ):
        return "brands is not an object of lists of names"
    return None


_MAX_LISTED_NAME = 512


def official_from_registry(document: Any) -> dict[str, Any]:
    """The packages of an official MCP registry listing (``/v0/servers``: ``servers`` with
    ``packages`` of ``registryType``/``identifier``), in the shape of our own list."""
    found: dict[str, Any] = {"npm": {"packages": []}, "pypi": {"packages": []}, "oci": {"images": []}}
    servers = document.get("servers", []) if isinstance(document, dict) else document
    for item in servers if isinstance(servers, list) else []:
        server = item.get("server", item) if isinstance(item, dict) else {}
        # A listing's wrong types (a number for a server or its packages) were internal errors;
        # like a package that is not an object, they name nothing and are skipped.
        packages = server.get("packages") if isinstance(server, dict) else None
        for package in packages if isinstance(packages, list) else []:
            if not isinstance(package, dict):
                continue
            kind = str(
                package.get("registryType")
                or package.get("registry_type")
                or package.get("registry_name")
                or ""
            )
            identifier = package.get("identifier") or package.get("name")
            if not isinstance(identifier, str) or not identifier or len(identifier) > _MAX_LISTED_NAME:
                continue  # longer than any registry's names (npm's limit is 214): judged for nothing
            if kind.lower() == "npm":
                found["npm"]["packages"].append(identifier)
            elif kind.lower() == "pypi":
                found["pypi"]["packages"].append(identifier)
            elif kind.lower() in ("oci", "docker"):
                found["oci"]["images"].append(identifier.split("@", 1)[0].rsplit(":", 1)[0])
    return found


@dataclass(frozen=True, slots=True)
class OfficialUpdate:
    path: Path
    count: int  # packages written
    left_out: tuple[str, ...]  # names of registry listings taken for imitations


#: More packages than any registry listing holds (the official registry lists a few thousand):
#: each listed name is judged by :func:`assess_name`, about 0.1 ms.
_MAX_LISTED = 50_000

_LISTED = (
    ("npm", "packages", Ecosystem.NPM),
    ("pypi", "packages", Ecosystem.PYPI),
    ("oci", "images", Ecosystem.OCI),
)


def update_official(sources: list[str], destination: Path | None = None) -> OfficialUpdate:
    """Merge official package lists (our own format, or an official MCP registry listing),
    read from files or URLs, into the user's list (replacing it).

    A list of our own format is taken as written: it is the user's decision. A registry
    listing is anyone's (publishing needs a GitHub account, not a vendor's): a package of it
    that :func:`assess_name` takes for an imitation (``postmark-mcp``) is left out, or it would
    never be reported again. A source that names no package is refused, the list in place
    kept: an error document read as an empty listing dropped the vendors the user had added."""
    merged: dict[str, Any] = {section: {key: [] for key in keys} for section, keys in _LIST_KEYS.items()}
    merged["brands"] = {}
    left_out: list[str] = []
    listed = 0
    for source in sources:
        document = _read_json_source(source)
        if isinstance(document, dict) and "npm" in document and "servers" not in document:
            problem = _own_list_problem(document)
            if problem:
                # Merged as it was, a number or null in place of a list was an internal error.
                raise IdentityDataError(f"{source}: not an official package list ({problem})")
            part: dict[str, Any] = document
        else:
            part = official_from_registry(document)
            listed += sum(len(part[section][key]) for section, key, _ in _LISTED)
            if listed > _MAX_LISTED:
                raise IdentityDataError(
                    f"{source}: more than {_MAX_LISTED:,} packages listed, more than a registry "
                    "listing holds; the list in place is kept"
                )
            left_out += _leave_out_imitations(part)
        if not _names_anything(part):
            raise IdentityDataError(f"{source}: names no package; the list in place is kept")
        _merge(merged, part)
    if not _names_anything(merged):
        raise IdentityDataError("no package left to add; the list in place is kept")
    target = destination or user_official_path()
    try:
        # Mode 644: read back only if no one else may write it (_read_trusted). Replaced whole
        # through a fresh name: written as TARGET.tmp, a failure (a folder below a file) was an
        # internal error, a fixed name clobbered a file of that name, and -o /dev/full replaced
        # the device with a regular file.
        replace_whole(target, json.dumps(merged, indent=1).encode("utf-8"), mode=0o644)
    except OSError as exc:
        raise IdentityDataError(f"cannot write {target}: {exc.strerror or exc}") from None
    official_names.cache_clear()
    _skeletons.cache_clear()
    count = sum(len(merged[s]["packages"]) for s in ("npm", "pypi")) + len(merged["oci"]["images"])
    return OfficialUpdate(target, count, tuple(left_out))


def _names_anything(document: dict[str, Any]) -> bool:
    parts = [document.get(section) or {} for section in _LIST_KEYS]
    return bool(document.get("brands")) or any(
        part.get(key) for part, keys in zip(parts, _LIST_KEYS.values(), strict=True) for key in keys
    )


def _leave_out_imitations(listing: dict[str, Any]) -> list[str]:
    """Take out of a registry listing (in place) the names that imitate an official package
    or a brand of the list in use; returns them."""
    taken_out: list[str] = []
    for section, key, ecosystem in _LISTED:
        kept = []
        for name in dict.fromkeys(listing[section][key]):
            if assess_name(ecosystem, name):
                taken_out.append(name)
            else:
                kept.append(name)
        listing[section][key] = kept
    return taken_out


class IdentityDataError(McpwardError):
    """An official-package source that cannot be read."""


_MAX_SOURCE_BYTES = 64 * 1024 * 1024


def _read_json_source(source: str) -> Any:
    if re.match(r"^https?://", source):
        from mcpward._http import DownloadError, download

        try:
            return json.loads(download(source, _MAX_SOURCE_BYTES))
        except DownloadError as exc:
            raise IdentityDataError(str(exc)) from None
        except (ValueError, RecursionError):  # RecursionError: nested thousands of levels deep
            raise IdentityDataError(f"{source}: not JSON") from None
    from mcpward._documents import DocumentError, read_raw

    try:
        # The bounded reader, as for a URL: a FIFO blocked the update forever and /dev/zero ran
        # it out of memory (an internal error).
        return json.loads(read_raw(source, _MAX_SOURCE_BYTES).decode("utf-8"))
    except DocumentError as exc:
        raise IdentityDataError(f"{source}: {exc}") from None
    except (ValueError, RecursionError):
        raise IdentityDataError(f"{source}: not JSON") from None


# ASCII look-alikes that Unicode's confusables table does not fold (it is about other scripts).
_ASCII_SKELETON = (
    ("rn", "m"),
    ("vv", "w"),
    ("cl", "d"),
    ("0", "o"),
    ("1", "l"),
    ("i", "l"),
    ("|", "l"),
    ("5", "s"),
    ("$", "s"),
    ("_", "-"),
    (".", "-"),
)


#: Skeletons kept: each name judged is compared with every brand, official scope and image,
#: whose skeletons were made again for each (280 a scoped name, two thirds of its cost).
_SKELETONS_KEPT = 4096


@lru_cache(maxsize=_SKELETONS_KEPT)
def skeleton(name: str) -> str:
    """A form under which names that look alike are equal (``@modeIcontextprotocol`` and
    ``@modelcontextprotocol``; a Cyrillic and a Latin ``a``)."""
    text = unicodedata.normalize("NFKC", name)
    if not text.isascii():
        chars = []
        for char in text:
            if char.isascii():
                chars.append(char)
                continue
            found = _confusables().is_confusable(char, preferred_aliases=["latin"], greedy=True) or []
            latin = [g["c"] for item in found for g in item["homoglyphs"] if g["c"].isascii()]
            chars.append(latin[0] if latin else char)
        text = "".join(chars)
    text = text.replace("I", "l").lower()
    for source, target in _ASCII_SKELETON:
        text = text.replace(source, target)
    return text


def _confusables() -> Any:
    # Loading Unicode's confusables table costs 40 ms: only names that are not ASCII need it.
    from confusable_homoglyphs import confusables

    return confusables


def _distance(a: str, b: str) -> int:
    from rapidfuzz.distance import DamerauLevenshtein

    return int(DamerauLevenshtein.distance(a, b))


@cache
def _skeletons(ecosystem: Ecosystem) -> dict[str, str]:
    return {skeleton(name): name for name in sorted(official_names().names(ecosystem))}


def _npm_scope(name: str) -> str:
    return name.split("/", 1)[0] if name.startswith("@") and "/" in name else ""


#: Official scopes this short (``@slack``, ``@figma``) are a changed letter away from other real
#: scopes (``@clack``, ``@sigma``): only look-alike letters (the skeleton) count as changes.
_SHORT_SCOPE = 7


def _near_scope(scope: str, official_scope: str) -> bool:
    """Whether ``scope`` is within the edits that make a look-alike of ``official_scope`` (both
    with ``@``, without hyphens)."""
    distance = _distance(scope, official_scope)
    if len(official_scope) > _SHORT_SCOPE:
        return distance <= _edit_budget(official_scope)
    if distance != 1:
        return distance == 0
    # a letter added or dropped, or two swapped (``@slackk``, ``@slak``, ``@salck``)
    return len(scope) != len(official_scope) or sorted(scope) == sorted(official_scope)


#: Words that make a name long without telling it apart (``mcp-server-time`` is ``time``).
_GENERIC_WORDS = frozenset({"mcp", "server"})


def _name_edit_budget(candidate: str) -> int:
    """The edits from an official name that make an imitation of it: two only where its own
    words are ten letters or more, since two edits turn a short word into another
    (``mcp-server-time``, ``mcp-server-line``). Scoped and image names keep the plain budget."""
    budget = _edit_budget(candidate)
    if budget < 2 or "/" in candidate:
        return budget
    own = sum(len(word) for word in _TOKEN.findall(candidate.lower()) if word not in _GENERIC_WORDS)
    return budget if own >= 10 else 1


def _edit_budget(name: str) -> int:
    # A name under five characters (PyPI's ``mcp``) is one edit from many real ones (``mcpo``,
    # ``mcpi``, ``cmp``): only its look-alikes (the skeleton) are imitations.
    if len(name) < 5:
        return 0
    return 1 if len(name) < 15 else 2


_TOKEN = compiled(r"[a-z0-9]+")


def assess_name(ecosystem: Ecosystem, name: str) -> list[NameRisk]:
    """How ``name`` imitates an official package or a brand; empty when it does not."""
    official = official_names()
    if ecosystem is Ecosystem.PYPI and name.isascii():
        name = canonicalize_name(name)
    name_skeleton = skeleton(name)
    if not unicodedata.normalize("NFKC", name).isascii():
        # Registries refuse non-ASCII names for new packages: one in a launch line is written
        # to be misread, whatever scope it claims.
        return [
            NameRisk(
                NameRiskKind.HOMOGLYPH,
                name_skeleton,
                f"{name!r} mixes look-alike non-Latin characters into {name_skeleton!r}",
            )
        ]
    if official.is_known(ecosystem, name):
        return []
    candidates = sorted(official.names(ecosystem))
    candidate = _skeletons(ecosystem).get(name_skeleton)
    if candidate is not None:
        return [
            NameRisk(NameRiskKind.HOMOGLYPH, candidate, f"{name!r} is written to look like {candidate!r}")
        ]
    scope = _npm_scope(name) if ecosystem is Ecosystem.NPM else ""
    if scope:
        for official_scope in sorted(official.npm_scopes):
            compact, official_compact = scope.replace("-", ""), official_scope.replace("-", "")
            if skeleton(scope) == skeleton(official_scope) or _near_scope(compact, official_compact):
                return [
                    NameRisk(
                        NameRiskKind.SCOPE_LOOKALIKE,
                        official_scope,
                        f"scope {scope!r} imitates {official_scope!r}",
                    )
                ]
    claimed = _official_with_claims(ecosystem, name_skeleton)
    if claimed is not None:
        return [
            NameRisk(
                NameRiskKind.TYPOSQUAT,
                claimed,
                f"{name!r} is {claimed!r} with words added that claim to be it",
            )
        ]
    for candidate in candidates:
        if abs(len(candidate) - len(name)) > 2:
            continue
        distance = _distance(name, candidate)
        if 0 < distance <= _name_edit_budget(candidate) and _differs_in_core(name, candidate):
            return [
                NameRisk(
                    NameRiskKind.TYPOSQUAT, candidate, f"{name!r} is {distance} edit(s) from {candidate!r}"
                )
            ]
    if ecosystem is Ecosystem.OCI:
        return _official_image_elsewhere(name, official)
    # npm: a vendor publishes under its scope, so an unscoped name with its brand is someone
    # else's. PyPI has no scopes: a name with a brand that is not one of the vendor's listed
    # packages is someone else's the same way (``postmark-mcp`` published there instead).
    if (ecosystem is Ecosystem.NPM and not scope) or ecosystem is Ecosystem.PYPI:
        tokens = set(_TOKEN.findall(name.lower()))
        skeleton_words = _TOKEN.findall(name_skeleton)
        skeleton_tokens = set(skeleton_words)
        cores = {_word_core(token) for token in skeleton_tokens}
        # the words a misspelt brand could be, first ones first: a bounded number, so that the
        # brands' edit distances stay linear in the name's length
        spellings = [
            core
            for core in dict.fromkeys(map(_word_core, skeleton_words))
            if _MISSPELT_BRAND - 1 <= len(core) <= _LONGEST_BRAND + 1
        ][:_MISSPELT_WORDS]
        for brand, scopes in official.brands.items():
            if (
                brand in tokens
                or skeleton(brand) in skeleton_tokens
                or _disguises(skeleton(brand), cores, spellings if "mcp" in name_skeleton else [])
            ):
                publishes = (
                    f"the vendor publishes under {', '.join(scopes)}"
                    if ecosystem is Ecosystem.NPM
                    else "it is not a package the vendor is known to publish"
                )
                where = "unscoped " if ecosystem is Ecosystem.NPM else ""
                detail = f"{where}{name!r} uses the brand {brand!r}; {publishes}"
                return [NameRisk(NameRiskKind.BRAND, brand, detail)]
    if ecosystem is Ecosystem.NPM and scope:
        return (
            _vendor_looking_scope(scope, official)
            or _mcp_scope_with_brand(scope, official)
            or _mcp_under_bare_brand(scope, name_skeleton, official)
        )
    return []


#: Words an impersonator joins to a vendor's name so that an account or package looks like the
#: vendor's own (``postmarkapp-mcp``, ``@postmarkhq``, ``@stripe-official``). Not ``labs``,
#: ``sdk``, ``cloud`` or ``ai``: vendors' real scopes use them (``@twilio-labs``, ``@aws-sdk``,
#: ``@google-cloud``, ``@google-ai``).
_VENDOR_WORDS = ("official", "hq", "inc", "app", "team", "corp")
#: Words of an unscoped name a brand is run into (``postmarkmcp``, ``mcppostmark``).
_JOINED_WORDS = (*_VENDOR_WORDS, "mcp", "server")
# Names are compared as skeletons (``official`` is ``offldal`` there), so the words are too.
_JOINED_ALTERNATIVES = "|".join(skeleton(word) for word in _JOINED_WORDS)
_JOINED = compiled(rf"^(?:mcp)?(.+?)(?:{_JOINED_ALTERNATIVES}){{0,2}}$")
_VENDOR_SUFFIX = compiled(rf"(?:{'|'.join(skeleton(word) for word in _VENDOR_WORDS)})+")


def _word_core(word: str) -> str:
    """A word without the ``mcp`` and vendor-like words run into it: ``mcppostmarkapp`` is
    ``postmark``. A word that is only such words stays as it is."""
    match = _JOINED.match(word[:_MAX_WORD])
    return match.group(1) if match else word


#: A word is read for a brand in its first this many characters (the longest brand has 13), and a
#: scope with a longer word is none of the vendor-looking ones: bounded work per word.
_MAX_WORD = 64
#: Brands this long or longer are matched one edit away (``postmak``); a shorter brand is one
#: edit from everyday words (notion and motion, slack and stack).
_MISSPELT_BRAND = 7


#: Of a name's words, those first this many of a brand's length are compared with the brands
#: by edits (a registry name holds a few words: npm's are at most 214 characters).
_MISSPELT_WORDS = 32
_LONGEST_BRAND = 16


def _disguises(brand: str, cores: set[str], spellings: list[str]) -> bool:
    """Whether a word of the name is the brand run into other words (``cores``), or one of
    ``spellings`` (given for a name that says mcp) the brand misspelt by one edit."""
    if brand in cores:
        return True
    if len(brand) < _MISSPELT_BRAND or len(brand) > _LONGEST_BRAND:
        return False
    return any(abs(len(word) - len(brand)) <= 1 and _distance(word, brand) == 1 for word in spellings)


def _vendor_looking_scope(scope: str, official: OfficialNames) -> list[NameRisk]:
    """A scope that is a brand or an official scope with only vendor-like words added
    (``@postmarkhq``, ``@postmark-official``, ``@notionhq-official``): made to pass for the
    vendor's account, and owned by whoever created it."""
    words = _TOKEN.findall(skeleton(scope.removeprefix("@")))
    if not words or len(words) > 8 or any(len(word) > _MAX_WORD for word in words):
        return []
    joined = "".join(words)
    for brand, scopes in sorted(official.brands.items()):
        if scope not in scopes and _only_vendor_words(joined, skeleton(brand)):
            return [
                NameRisk(
                    NameRiskKind.BRAND,
                    brand,
                    f"scope {scope!r} dresses the brand {brand!r} as a vendor's account; the "
                    f"vendor publishes under {', '.join(scopes)}",
                )
            ]
    for official_scope in sorted(official.npm_scopes):
        core = "".join(_TOKEN.findall(skeleton(official_scope.removeprefix("@"))))
        if joined != core and _only_vendor_words(joined, core):
            return [
                NameRisk(
                    NameRiskKind.BRAND,
                    official_scope,
                    f"scope {scope!r} is the official scope {official_scope!r} with words added",
                )
            ]
    return []


def _mcp_under_bare_brand(scope: str, name_skeleton: str, official: OfficialNames) -> list[NameRisk]:
    """An MCP package under a scope that is a brand the vendor does not publish under
    (``@notion/mcp``; Notion's is ``@notionhq``). Only MCP packages: a vendor may own its bare
    name without the list naming it (``@twilio``), and its SDKs there are no MCP servers."""
    package_words = _TOKEN.findall(name_skeleton.partition("/")[2])
    if "mcp" not in package_words:
        return []
    bare = skeleton(scope.removeprefix("@"))
    for brand, scopes in sorted(official.brands.items()):
        if bare == skeleton(brand) and scope not in scopes:
            return [
                NameRisk(
                    NameRiskKind.BRAND,
                    brand,
                    f"scope {scope!r} is the brand {brand!r}, for an MCP package; the vendor "
                    f"publishes under {', '.join(scopes)}",
                )
            ]
    return []


def _only_vendor_words(joined: str, core: str) -> bool:
    """``joined`` is ``core`` followed by at least one of the vendor-like words."""
    if not joined.startswith(core) or joined == core:
        return False
    rest = joined[len(core) :]
    return _VENDOR_SUFFIX.fullmatch(rest) is not None


def _mcp_scope_with_brand(scope: str, official: OfficialNames) -> list[NameRisk]:
    """A scope that joins a vendor's brand or an official scope to ``mcp`` (``@stripe-mcp``,
    ``@mcp-notionhq``, ``@modelcontextprotocol-servers``): shaped as the vendor's MCP scope
    and owned by whoever made it, it was no finding, while the unscoped ``stripe-mcp`` was."""
    words = _TOKEN.findall(skeleton(scope.removeprefix("@")))[:20]
    tokens = set(words)
    # runs of words, for official scopes of several (@anthropic-ai, @mongodb-js)
    runs = {"-".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
    if "mcp" not in tokens and not any(skeleton("modelcontextprotocol") in word for word in words):
        return []
    for brand, scopes in sorted(official.brands.items()):
        if scope not in scopes and skeleton(brand) in tokens:
            return [
                NameRisk(
                    NameRiskKind.BRAND,
                    brand,
                    f"scope {scope!r} joins the brand {brand!r} to mcp; the vendor publishes under "
                    f"{', '.join(scopes)}",
                )
            ]
    for official_scope in sorted(official.npm_scopes):
        core = skeleton(official_scope.removeprefix("@"))
        if scope != official_scope and core in runs:
            return [
                NameRisk(
                    NameRiskKind.BRAND,
                    official_scope,
                    f"scope {scope!r} joins the official scope {official_scope!r} to other words",
                )
            ]
    return []


#: Words added to an official name to pass for it, or for its port to a language
#: (``mcp-remote-official``, ``node-mcp-remote``); as skeletons, as names are compared.
_CLAIM_WORDS = frozenset(
    skeleton(word)
    for word in (
        "official", "js", "node", "nodejs", "py", "python", "latest", "original",
        "real", "secure", "fixed", "new", "updated", "verified",
    )
)  # fmt: skip


#: A version after an official name (``mcp-remote-v2``), as a skeleton (``v1`` is ``vl``): a new
#: major version of an official package comes under its own name, not another.
_VERSION_WORD = compiled(r"v?[0-9lo]{1,3}")


def _official_with_claims(ecosystem: Ecosystem, name_skeleton: str) -> str | None:
    """The unscoped official name (of five characters or more) that ``name_skeleton`` is with
    only claim words added before or after it, or None."""
    words = name_skeleton.split("-")
    start, end = 0, len(words)
    while start < end and words[start] in _CLAIM_WORDS:
        start += 1
    while end > start and (words[end - 1] in _CLAIM_WORDS or _VERSION_WORD.fullmatch(words[end - 1])):
        end -= 1
    if start == end or (start, end) == (0, len(words)):
        return None
    candidate = _skeletons(ecosystem).get("-".join(words[start:end]))
    if candidate is None or len(candidate) < 5 or "/" in candidate:
        return None  # scoped npm names and images: their owners publish any name under them
    return candidate


_DOCKER_HUB = compiled(r"^(?:(?:index\.|registry-1\.)?docker\.io/)?(?:library/)?")
#: An official image's repository name this long says whose it is (``github-mcp-server``); a
#: shorter one (``mcp/fetch``, ``mcp/postgres``) is a word anyone's image may be named.
_OWN_IMAGE_NAME = 10


def _image_place(name: str) -> tuple[str, str]:
    """An image reference's namespace and repository name, Docker Hub's spellings as one."""
    reference = _DOCKER_HUB.sub("", name.lower(), count=1)
    namespace, _, repository = reference.rpartition("/")
    return namespace, repository


def _official_image_elsewhere(name: str, official: OfficialNames) -> list[NameRisk]:
    """An official image's own repository name under another namespace (``ghcr.io/evil/
    github-mcp-server``): whoever pushed it there, it passes for the official one."""
    namespace, repository = _image_place(name)
    repository_skeleton = skeleton(repository)
    for image in sorted(official.oci):
        official_namespace, official_repository = _image_place(image)
        if (
            len(official_repository) >= _OWN_IMAGE_NAME
            and repository_skeleton == skeleton(official_repository)
            and namespace != official_namespace
        ):
            return [
                NameRisk(
                    NameRiskKind.TYPOSQUAT,
                    image,
                    f"{name!r} is the official image {image!r}'s name under another owner",
                )
            ]
    return []


def _differs_in_core(name: str, candidate: str) -> bool:
    """False when the names differ only by a plural. A version-like suffix (``mcp-remote2``)
    is a difference: a name claiming to be an official package's next version imitates it."""
    longer, shorter = (name, candidate) if len(name) > len(candidate) else (candidate, name)
    return not (longer.startswith(shorter) and longer[len(shorter) :] == "s")
