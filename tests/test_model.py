"""The shared vocabulary of model.py."""

from __future__ import annotations

import pytest

from mcpward.model import MessageAction


def test_actions_on_a_message_only_rise() -> None:
    assert [action.rank for action in MessageAction] == [0, 1, 2, 3]
    assert MessageAction.stronger("alert", "redact") is MessageAction.REDACT
    assert MessageAction.stronger("block", "allow") is MessageAction.BLOCK
    with pytest.raises(ValueError):
        MessageAction.stronger("allow", "hold")  # not an action: refused, never ranked


@pytest.mark.parametrize(
    "spec",
    [
        "npm:@scope/server-files@1.2.3",
        "npm:plain-server@0.1.0",
        "pypi:mcp-server-git==2025.1.14",
        "npm:unversioned",
    ],
)
def test_one_package_spelling_from_the_command_line_to_the_registry(spec: str) -> None:
    """vet's target, the registry's identity and the shared PackageRef spell a package the same
    way, and parsing that spelling gives the package back."""
    from mcpward.registry import InvalidInput, parse_identity
    from mcpward.vet import parse_target

    target = parse_target(spec)
    assert target.display == target.ref.spec == spec
    if target.version is None:
        with pytest.raises(InvalidInput):  # an approval names an exact version
            parse_identity(spec)
        return
    identity = parse_identity(spec)
    assert identity.display == spec
    assert identity.ref is not None and identity.ref.spec == spec
    assert parse_target(identity.ref.spec).ref == target.ref


def test_identity_names_for_images_and_remotes() -> None:
    from mcpward.registry import default_entry_name, parse_identity

    digest = "sha256:" + "ab" * 32
    image = parse_identity(f"oci:ghcr.io/acme/mcp-server@{digest}")
    assert image.display == f"ghcr.io/acme/mcp-server@{digest}"
    assert image.ref is not None and image.ref.spec == f"oci:ghcr.io/acme/mcp-server@{digest}"
    assert default_entry_name(image) == "oci/mcp-server"
    remote = parse_identity("https://mcp.example.com/v1/sse")
    assert remote.ref is None and remote.display == "https://mcp.example.com/v1/sse"
    assert default_entry_name(remote) == "com.example.mcp/v1-sse"
    assert default_entry_name(parse_identity("npm:@acme/files@1.0.0")) == "npm.acme/files"
