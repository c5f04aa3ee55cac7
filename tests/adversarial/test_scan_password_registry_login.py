"""``docker login -u deploy -p PASSWORD registry`` in a launch line (a server started by a
script that logs in to a private registry first, or a process list) printed the password
whole and made no finding: ``-p`` of docker is a port everywhere else, so its flags were not
read. A container tool's ``login`` (docker, podman, nerdctl, buildah, skopeo, oras, ``helm
registry login``) takes the registry's password with ``-p``, glued or as the next word: masked
and found now; ``-p`` of their other subcommands prints as written."""

from __future__ import annotations

import pytest
from cli_kit import assert_password_masked

from mcpward.dlp import redact_argv, redact_command_line

SECRET = "Xq7vR2mK9pL4wZ8tQ3"

ATTACKS = [
    ("docker", ["login", "-u", "deploy", "-p", SECRET, "registry.example.test"]),
    ("podman", ["login", f"-p{SECRET}", "-u", "deploy", "quay.example.test"]),
    ("/usr/bin/nerdctl", ["login", "--username", "deploy", "-p", SECRET, "reg.example.test"]),
    ("skopeo", ["login", "-u", "deploy", "-p", SECRET, "reg.example.test"]),
    ("helm", ["registry", "login", "reg.example.test", "-u", "deploy", "-p", SECRET]),
    ("sh", ["-c", f"docker login -u deploy -p {SECRET} reg.example.test && docker run -i mcp/x"]),
    # The tool's own options before the subcommand, and the words they take (an engine's
    # address, a config folder, a context) read as the subcommand: the login was missed.
    (
        "docker",
        ["-H", "tcp://build.example.test:2376", "login", "-u", "deploy", "-p", SECRET, "reg.example.test"],
    ),
    ("docker", ["--config", "/srv/ci/docker", "--context", "ci", "login", "-p", SECRET, "reg.example.test"]),
    ("podman", ["--url", "unix:///run/podman.sock", "login", f"-p{SECRET}", "quay.example.test"]),
    ("nerdctl", ["--namespace", "k8s.io", "login", "-p", SECRET, "reg.example.test"]),
    ("helm", ["--kube-context", "prod", "registry", "login", "reg.example.test", "-p", SECRET]),
]


@pytest.mark.parametrize(("command", "args"), ATTACKS, ids=lambda x: str(x)[:40])
def test_the_registry_password_is_masked(command: str, args: list[str]) -> None:
    assert_password_masked(command, args, SECRET)


def test_a_process_command_line_masks_it() -> None:
    assert SECRET not in redact_command_line(f"docker login -u deploy -p {SECRET} reg.example.test")


BENIGN = [
    ("docker", ["run", "--rm", "-i", "-p", "8080:80", "mcp/fetch"]),
    ("podman", ["run", "-p3000:3000", "--name", "login", "mcp/x"]),
    ("docker", ["compose", "-p", "login", "up"]),  # a project named login
    ("docker", ["login", "-u", "deploy", "--password-stdin", "reg.example.test"]),
    ("docker", ["run", "-i", "img", "login", "-p", "8080"]),  # the image's own words
    # The tool's own options before another subcommand.
    ("docker", ["-H", "tcp://build.example.test:2376", "run", "-p", "8080:80", "mcp/fetch"]),
    ("docker", ["--debug", "run", "-p", "8080:80", "mcp/fetch"]),
    ("podman", ["--remote", "--url", "unix:///run/podman.sock", "run", "-p", "3000:3000", "mcp/x"]),
    ("docker", ["--context", "login", "compose", "-p", "shop", "up"]),  # a context named login
]


@pytest.mark.parametrize(("command", "args"), BENIGN, ids=lambda x: str(x)[:40])
def test_ports_and_other_words_print_as_written(command: str, args: list[str]) -> None:
    assert redact_argv(args, command=command) == (tuple(args), [])
