"""SQLAlchemy 2 models: the tables of the CRM as crmxl sees them.

The schema is created and migrated by Alembic (``crmxl/db/migrations``); a test
checks that the migrations produce exactly these tables.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


# PostgreSQL fills the pages of accounts and contacts to 80%: an import's updates then find room for
# the new row versions on their own page and skip the index updates (heap-only tuples).
UPDATE_ROOM = 80


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"
    # logins are unique regardless of case: a Portfolio cell, --as or --portfolio names one user in any case
    __table_args__ = (Index("uq_users_lower_login", func.lower("login"), unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # admin / manager / agent
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    api_token_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    lang: Mapped[str] = mapped_column(String(8), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    manager: Mapped[User | None] = relationship(remote_side=[id], back_populates="agents")
    agents: Mapped[list[User]] = relationship(back_populates="manager")


class Qualification(Base):
    __tablename__ = "qualifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)


contact_qualifications = Table(
    "contact_qualifications",
    Base.metadata,
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Column("qualification_id", ForeignKey("qualifications.id"), primary_key=True),
)


class Account(Base):
    __tablename__ = "accounts"
    # one index serves what reads accounts by portfolio (exports: a portfolio's accounts of some types)
    __table_args__ = (Index("ix_accounts_owner_id_type", "owner_id", "type"),
                      {"postgresql_with": {"fillfactor": UPDATE_ROOM}, "sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # canonical CRM or compact CNPJ
    type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    uf: Mapped[str] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    cep: Mapped[str | None] = mapped_column(String(9))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(255))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None = Without Portfolio
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    owner: Mapped[User | None] = relationship()
    contacts: Mapped[list[Contact]] = relationship(back_populates="account")

    @property
    def active(self) -> bool:
        return self.owner_id is not None


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_identifier_name", "identifier", "name"),
                      {"postgresql_with": {"fillfactor": UPDATE_ROOM}, "sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    identifier: Mapped[str] = mapped_column(String(32))  # the account number, repeated
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    account: Mapped[Account] = relationship(back_populates="contacts")
    qualifications: Mapped[list[Qualification]] = relationship(secondary=contact_qualifications)


class ExportProfile(Base):
    __tablename__ = "export_profiles"
    # names are unique regardless of case: `profiles show alfa` finds Alfa
    __table_args__ = (Index("uq_export_profiles_lower_name", func.lower("name"), unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    entity: Mapped[str] = mapped_column(String(16))  # accounts / contacts
    columns: Mapped[list] = mapped_column(JSON)  # fields (exported in the template's order)
    filters: Mapped[dict] = mapped_column(JSON)  # portfolios, without_portfolio, types, active, ufs
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ImportBatch(Base):
    """One committed change set: an import, a transfer, or the undo of one."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # import_accounts / import_contacts / transfer / undo
    user_login: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="committed")  # committed / undone
    undone_by: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    undo_of: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))


class RowChange(Base):
    """The before and after image of one row a batch touched."""

    __tablename__ = "row_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    entity: Mapped[str] = mapped_column(String(16))  # account / contact
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # create / update / delete
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    row: Mapped[int | None] = mapped_column(Integer)  # worksheet row it came from


class AuditEvent(Base):
    """Append-only log: who did what, when (batches, undos, profile and user changes)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    user_login: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class Meta(Base):
    """Key/value facts about the database (e.g. a data version bumped on every commit)."""

    __tablename__ = "crmxl_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


__all__ = [
    "Account",
    "AuditEvent",
    "Base",
    "Contact",
    "ExportProfile",
    "ImportBatch",
    "Meta",
    "Qualification",
    "RowChange",
    "User",
    "contact_qualifications",
    "utcnow",
]
