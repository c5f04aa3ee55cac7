"""A requester names a shell tool so the tier floor misses it (camelCase, or a "process" it
starts), to get one approval instead of two; and the other side: ordinary tools whose names
share a word with shell tools (process_payment, start_timer) stay at the tier they earn."""

from __future__ import annotations

import json

import pytest

from mcpward.registry._tier import derive_tier
from mcpward.registry.interface import DataScope


def _tier(name: str, description: str) -> int:
    pins = {
        f"tool:{name}": {
            "sha256": "0" * 64,
            "canonical": json.dumps({"name": name, "description": description}),
        }
    }
    return derive_tier(DataScope(), pins, None)[0]


@pytest.mark.parametrize(
    ("name", "description"),
    [
        ("startProcess", "Starts it."),
        ("spawnChildProcess", "Spawns it."),
        ("execCommand", "Executes it."),
        ("runShellScript", "Runs it."),
        ("openTerminal", "Opens it."),
        ("send_input_to_repl", "Sends it."),
        ("getSecret", "Gets it."),  # a credential tool in camelCase is Tier-0 as well
        ("tool_a", "Start a new terminal process and return its id."),
        ("tool_b", "Send keystrokes to the running shell."),
        ("tool_c", "Execute a command line and return its output."),
    ],
)
def test_a_shell_or_credential_tool_is_tier_0_in_any_spelling(name: str, description: str) -> None:
    assert _tier(name, description) == 0


@pytest.mark.parametrize(
    ("name", "description"),
    [
        ("process_payment", "Process a card payment through the payment provider."),
        ("processPayment", "Charge a saved card."),
        ("start_timer", "Start a countdown timer."),
        ("startTimer", "Start a countdown timer."),
        ("command_palette_search", "Search the editor's command palette."),
        ("get_process_definition", "Get a BPMN process definition by key."),
        ("start_workflow_process", "Start a business process instance in the workflow engine."),
        ("list_processes_models", "List process models."),
        ("run_tests", "Run the project's test suite and report failures."),
        ("shellfishPrices", "Today's shellfish prices."),
        ("executiveSummary", "Summarise a document for executives."),
        ("cliHelp", "Show the help text of the service's CLI."),
        ("HTTPRequestLog", "Read the HTTP request log."),
    ],
)
def test_an_ordinary_tool_sharing_a_word_with_shell_tools_stays_tier_2(name: str, description: str) -> None:
    """These read data; Tier-0 for them would make every such server need two reviewers and
    teach reviewers to wave Tier-0 through."""
    assert _tier(name, description) == 2
