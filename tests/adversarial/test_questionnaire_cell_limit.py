"""A workbook's cell holds at most 32,767 characters (Excel's limits): an answer longer than
that (one naming 50 long approved URLs) made ``report questionnaire --format xlsx`` a file
Excel calls damaged, repaired by dropping the cell, until 2026-12-06. A longer answer is cut
to the limit with a note saying how much more the other formats hold."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from mcpward.report.questionnaire import Question, render_csv, render_xlsx

LIMIT = 32_767


def _cells(questions: list[Question]) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(render_xlsx(questions))).active
    assert sheet is not None
    return [[str(cell.value or "") for cell in row] for row in sheet.iter_rows(min_row=2)]


def test_a_long_answer_is_cut_to_what_a_cell_holds_and_says_so() -> None:
    answer = "Approved: " + ", ".join(f"https://mcp.example.com/{'p' * 900}/{n}" for n in range(50))
    assert len(answer) > LIMIT
    (row,) = _cells([Question("MCP-1", "Which servers?", answer, "")])
    assert len(row[2]) <= LIMIT
    assert row[2].startswith(answer[:1000]) and "more characters" in row[2]
    shown = int(row[2].rsplit("[... ", 1)[1].split(" ", 1)[0])
    assert len(row[2].rsplit(" [... ", 1)[0]) + shown == len(answer)
    assert answer in render_csv([Question("MCP-1", "Which servers?", answer, "")])  # whole there


def test_an_answer_at_the_limit_is_kept_whole() -> None:
    answer = "x" * LIMIT
    (row,) = _cells([Question("MCP-1", "Which servers?", answer, "")])
    assert row[2] == answer


def test_characters_past_the_basic_plane_count_twice_as_a_cell_counts_them() -> None:
    answer = "\U0001f6e1" * 20_000  # 20,000 characters, 40,000 UTF-16 units
    (row,) = _cells([Question("MCP-1", "Which servers?", answer, "")])
    assert len(row[2].encode("utf-16-le")) // 2 <= LIMIT and "more characters" in row[2]
