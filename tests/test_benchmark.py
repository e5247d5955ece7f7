"""The benchmark's code runs (on 1,000 rows) so that it cannot rot; its figures are not asserted."""

from __future__ import annotations

import json

from crmxl.benchmark import main, run


def test_every_stage_runs_on_a_small_file(tmp_path, monkeypatch):
    stages = {s.name: s for s in run(1000, 3000, tmp_path)}
    expected = {"raw xlsxwriter write", "raw calamine read", "read", "validate", "plan",
                "dry run (read+validate+plan)", "annotated report",
                "commit SQLite", "bare upsert SQLite", "export", "10,000 UDF lookups", "undo SQLite"}
    assert expected <= set(stages)
    assert stages["read"].rows == 1000 and stages["commit SQLite"].rows < 1000  # the bad rows are not committed
    assert stages["export"].rows > 1000
    assert stages["undo SQLite"].rows == stages["commit SQLite"].rows
    assert all(s.seconds > 0 for s in stages.values())


def test_the_command_prints_a_table_and_a_json_line(capsys, monkeypatch):
    assert main(["--rows", "300", "--preload", "500", "--pg", "off"]) == 0
    out = capsys.readouterr().out
    last = json.loads(out.strip().splitlines()[-1])
    assert "rows/s" in out and last["machine"]["cores"] >= 1
    assert {s["stage"] for s in last["300"]} >= {"read", "validate", "plan", "annotated report", "export"}
