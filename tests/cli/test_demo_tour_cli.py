"""`crmxl demo --tour`: the commands it suggests give what it showed."""

from __future__ import annotations

import shlex


def _lines(text, prefix):
    return [line for line in text.splitlines() if line.startswith(prefix)]


def test_the_tours_import_command_gives_the_dry_run_it_showed(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    tour = cli("demo", "--db", url, "--tour")
    assert tour.exit_code == 0, tour.stderr
    shown = tour.stdout.split("What to try next")[0]
    assert "1 portfolio move)" in shown and "Warning: 5 errors in 5 rows" in shown
    commands = [line.strip() for line in tour.stdout.splitlines() if line.strip().startswith("crmxl import")]
    assert len(commands) == 2 and all("--allow-transfers" in c and f"--db {url}" in c for c in commands)
    dry = cli(*shlex.split(commands[0])[1:])  # the command the dry run is
    assert dry.exit_code == 1, dry.stderr
    for prefix in ("Rows read", "Plan:", "  row ", "Warning:"):
        assert _lines(dry.stdout, prefix) == _lines(shown, prefix), prefix
    assert "portfolio_transfer" not in dry.stdout
    assert "add --skip-invalid --commit to apply the valid rows" in dry.stdout
    committed = cli(*shlex.split(commands[1])[1:])  # the one it suggests next: the valid rows, the move among them
    assert committed.exit_code == 1 and "Committed as batch" in committed.stdout, committed.stdout
    assert _lines(committed.stdout, "Plan:") == _lines(shown, "Plan:")
