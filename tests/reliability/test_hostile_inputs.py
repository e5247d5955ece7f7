"""Hostile and broken input: exit 2 or findings, a message naming the problem, no traceback, nothing written."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import table_dump
from tests.reliability.hostile import make_all


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    return make_all(tmp_path_factory.mktemp("hostile"))


CASES = ["zip bomb", "billion laughs", "huge dimension", "not a zip", "truncated zip", "encrypted", "old .xls",
         ".ods", "wrong template", "formulas, errors, merged, hidden, 10,000 columns, long strings",
         "CSV in an unknown encoding"]


@pytest.mark.parametrize("case", CASES)
def test_every_hostile_file_gets_a_clear_answer_and_writes_nothing(case, hostile, cli, sqlite_demo_db, tmp_path):
    before = table_dump(sqlite_demo_db.url)
    result = cli("import", "accounts", hostile[case], "--commit", "--json", "--db", sqlite_demo_db.url,
                 "--report", tmp_path / "report.xlsx")
    assert "Traceback" not in result.stdout + result.stderr
    if result.exit_code == 2:
        assert hostile[case].name in result.stderr, result.stderr
    else:
        data = json.loads(result.stdout)
        empty = result.exit_code == 0 and data["rows"] == 0  # e.g. 1,048,576 x 16,384 claimed, no cells
        assert empty or (result.exit_code == 1 and data["findings"]), (case, result.stdout[:500])
        assert data["committed"] is False or data["batch_id"] is None
    assert table_dump(sqlite_demo_db.url) == before


@pytest.mark.parametrize("case", ["zip bomb", "huge dimension", "billion laughs"])
def test_memory_stays_bounded(case, hostile, sqlite_demo_db):
    """In a process limited to 1.5 GB of address space, the importer still answers cleanly."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))

    proc = subprocess.run([sys.executable, "-m", "crmxl", "import", "accounts", str(hostile[case]),
                           "--db", sqlite_demo_db.url], capture_output=True, text=True, timeout=120,
                          preexec_fn=limit, env={**os.environ, "CRMXL_HOME": str(hostile[case].parent)})
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr


def test_an_unwritable_report_path_is_a_clear_error_and_the_input_is_untouched(hostile, cli, sqlite_demo_db,
                                                                               tmp_path):
    source = hostile["formulas, errors, merged, hidden, 10,000 columns, long strings"]
    before = source.read_bytes()
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    result = cli("import", "accounts", source, "--report", blocked / "report.xlsx", "--db", sqlite_demo_db.url)
    assert result.exit_code == 2 and "report" in result.stderr.lower()
    assert "Traceback" not in result.stderr
    assert source.read_bytes() == before
