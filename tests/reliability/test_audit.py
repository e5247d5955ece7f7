"""Audit: who did what and when is recorded for batches, undos and profile changes, and cannot be edited."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DatabaseError

from crmxl.db.models import AuditEvent
from crmxl.db.session import Database
from crmxl.services.access import actor_for
from crmxl.services.history import undo
from crmxl.services.profiles import add_profile
from crmxl.services.transfer import commit_transfer, plan_transfer


def test_the_log_records_and_cannot_be_edited(demo_db):
    db = Database(demo_db.url)
    with db.session() as s:
        manager = actor_for(s, "mgr.south")
    batch = commit_transfer(db, manager, plan_transfer(db, manager, "agent.sp1", "agent.sp2", types=["INSURANCE"]))
    undo(db, manager, batch)
    add_profile(db, manager, "audited", "accounts")
    with db.session() as s:
        events = s.execute(select(AuditEvent.user_login, AuditEvent.action)).all()
    assert [tuple(e) for e in events] == [("mgr.south", "transfer"), ("mgr.south", "undo"),
                                          ("mgr.south", "profile_add")]
    engine = create_engine(demo_db.url)
    for statement in ("UPDATE audit_events SET user_login = 'someone'", "DELETE FROM audit_events",
                      "DELETE FROM row_changes", "UPDATE row_changes SET after = NULL"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()
