"""The database foundation on SQLite and PostgreSQL: migrations, seeding, demo data."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
import pytest
from sqlalchemy import func, select, text

from crmxl.db import migrate
from crmxl.db.models import UPDATE_ROOM, Account, Base, Contact, ExportProfile, Qualification, User, contact_qualifications
from crmxl.db.session import Database
from crmxl.domain.cnpj import is_valid_cnpj
from crmxl.domain.crm import parse_crm
from crmxl.domain.enums import UFS, AccountType
from crmxl.services.demo import load_demo
from crmxl.services.setup import init_database
from tests.conftest import BACKENDS, table_dump


# SQLite's expression indexes (lower(login)) cannot be reflected, so they are compared on PostgreSQL only; that
# SQLite has them too is shown by tests/cli/test_login_case_cli.py (the database refuses a login's other case).
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_migrations_build_exactly_the_models(empty_db):
    db = Database(empty_db.url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    assert migrate.is_current(db)


def test_init_seeds_registry_and_default_profiles_once(empty_db):
    db = Database(empty_db.url)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Qualification)) == 55
        profiles = s.scalars(select(ExportProfile).order_by(ExportProfile.name)).all()
        assert [(p.entity, p.is_default) for p in profiles] == [("accounts", True), ("contacts", True)]
    again = init_database(db)
    assert again.qualifications_added == 0 and again.profiles_added == 0
    assert again.revision_before == again.revision_after == migrate.head_revision()


def test_demo_data_is_realistic(demo_db):
    db = Database(demo_db.url)
    with db.session() as s:
        roles = {role: n for role, n in s.execute(select(User.role, func.count()).group_by(User.role))}
        assert roles == {"admin": 1, "manager": 2, "agent": 8}
        for manager in s.scalars(select(User).where(User.role == "manager")):
            assert len(manager.agents) == 4
        accounts = s.scalars(select(Account)).all()
        assert 2900 <= len(accounts) <= 3100
        by_type = {t: [a for a in accounts if a.type == t] for t in AccountType}
        assert all(len(v) > 300 for v in by_type.values())
        for account in accounts:
            assert account.uf in UFS
            if account.type == AccountType.MEDICAL:
                assert parse_crm(account.number) == account.number
            else:
                assert is_valid_cnpj(account.number)
        inactive = [a for a in accounts if a.owner_id is None]
        assert 0.05 * len(accounts) < len(inactive) < 0.2 * len(accounts)
        assert any(not a.number.isdigit() for a in by_type[AccountType.COMPANY] + by_type[AccountType.INSURANCE])
        assert len({a.uf for a in accounts}) >= 10
        contacts = s.scalar(select(func.count()).select_from(Contact))
        assert 3600 <= contacts <= 4400
        links = s.scalar(select(func.count()).select_from(contact_qualifications))
        assert links > 1000
        mismatched = s.scalar(
            select(func.count()).select_from(Contact).join(Account).where(Contact.identifier != Account.number)
        )
        assert mismatched == 0


def test_demo_is_idempotent(demo_db):
    db = Database(demo_db.url)
    before = table_dump(demo_db.url)
    result = load_demo(db)
    assert (result.users_added, result.accounts_added, result.contacts_added) == (0, 0, 0)
    assert table_dump(demo_db.url) == before



@pytest.mark.parametrize("empty_db", [BACKENDS[1]], indirect=True)
def test_accounts_and_contacts_keep_room_for_updates_on_postgresql(empty_db):
    """Imports update accounts and contacts in bulk: their pages keep room for the new row versions."""
    db = Database(empty_db.url)
    with db.engine.connect() as conn:
        options = dict(conn.execute(text(
            "SELECT relname, reloptions FROM pg_class WHERE relname IN ('accounts', 'contacts', 'users')")).all())
    db.dispose()
    assert options == {"accounts": [f"fillfactor={UPDATE_ROOM}"], "contacts": [f"fillfactor={UPDATE_ROOM}"],
                       "users": None}
    assert 50 <= UPDATE_ROOM < 100


def test_an_existing_sqlite_database_is_migrated_to_ids_never_reused(tmp_path):
    """Revision 0004 rebuilds accounts and contacts of a database holding data: every row and link kept, the
    foreign keys intact, and from then on an id deleted is not handed out again."""
    db = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    migrate.upgrade(db, "0003")
    seed = Database(f"sqlite:///{tmp_path / 'seed.sqlite3'}")
    init_database(seed)
    load_demo(seed)
    tables = ("users", "qualifications", "accounts", "contacts", "contact_qualifications")
    with seed.engine.connect() as source, db.engine.begin() as target:
        for table in tables:
            rows = source.execute(Base.metadata.tables[table].select()).mappings().all()
            target.execute(Base.metadata.tables[table].insert(), [dict(r) for r in rows])
    seed.dispose()
    before = table_dump(db.url)
    init_database(db)
    assert migrate.is_current(db) and table_dump(db.url) == before
    with db.engine.begin() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        sql = dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'").all())
        assert "AUTOINCREMENT" in sql["accounts"] and "AUTOINCREMENT" in sql["contacts"]
        last = conn.execute(select(func.max(Contact.id))).scalar()
        conn.execute(contact_qualifications.delete().where(contact_qualifications.c.contact_id == last))
        conn.execute(Contact.__table__.delete().where(Contact.id == last))
    with db.session() as s:
        account = s.scalars(select(Account).limit(1)).one()
        s.add(Contact(account_id=account.id, identifier=account.number, name="Nova", type="OTHERS"))
        s.commit()
        assert s.scalar(select(func.max(Contact.id))) == last + 1
    db.dispose()


def test_a_database_of_an_older_crmxl_is_refused_with_the_way_out(tmp_path, cli):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    db = Database(url)
    migrate.upgrade(db, "0003")
    db.dispose()
    result = cli("history", "--db", url)
    assert result.exit_code == 2 and "revision 0003" in result.stderr and "crmxl db init" in result.stderr
    assert cli("db", "init", "--db", url).exit_code == 0 and migrate.is_current(db)
