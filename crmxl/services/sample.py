"""A sample accounts workbook for the demo: real demo accounts with a few edits, new accounts, and
a handful of bad cells of different rules, so a first `crmxl import` shows every part of the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from crmxl.db.models import Account, Qualification, User
from crmxl.db.session import Database
from crmxl.domain.cnpj import cnpj_check_digits
from crmxl.domain.enums import WITHOUT_PORTFOLIO, Role
from crmxl.domain.text import sorted_names
from crmxl.schema import ACCOUNTS

SAMPLE_OWNER = "agent.sp1"


def _cnpj(base: str) -> str:
    return base + cnpj_check_digits(base)


def _bad_cnpj(base: str) -> str:
    digits = cnpj_check_digits(base)
    return base + digits[0] + str((int(digits[1]) + 1) % 10)


def sample_rows(db: Database) -> list[dict[str, Any]]:
    """The sample's rows (dicts by field): edits of demo accounts, new accounts, bad cells."""
    accounts, users = Account.__table__, User.__table__
    with db.transaction() as conn:
        owner_id = conn.execute(select(users.c.id).where(users.c.login == SAMPLE_OWNER)).scalar()
        existing = conn.execute(
            select(accounts).where(accounts.c.owner_id == owner_id).order_by(accounts.c.id).limit(8)
        ).all()
    rows: list[dict[str, Any]] = []
    for row in existing:
        rows.append({"account_number": row.number, "name": row.name, "type": row.type, "portfolio": SAMPLE_OWNER,
                     "uf": row.uf, "city": row.city, "address": row.address, "cep": row.cep, "phone": row.phone,
                     "email": row.email})
    if len(rows) >= 8:
        rows[1]["city"] = "Campinas"  # an update
        rows[2]["phone"] = "(11) 3456-7890"  # an update
        rows[3]["portfolio"] = "agent.sp2"  # a transfer: an error unless --allow-transfers
        rows[4]["contact_name"], rows[4]["contact_type"] = "Marta Siqueira", "SECRETARY"  # a new contact
        rows[5]["uf"] = "XY"  # bad cell: not a UF
    new = [
        {"account_number": "765432/SP", "name": "Dra. Helena Prado", "type": "MEDICAL", "portfolio": SAMPLE_OWNER,
         "uf": "SP", "contact_name": "Helena Prado", "contact_type": "DOCTOR",
         "qualifications": "Cardiologia; Clínica Médica", "city": "São Paulo", "phone": "(11) 98765-4321"},
        {"account_number": "CRM-SP 765433", "name": "Dr. Caio Antunes", "type": "MEDICAL", "portfolio": SAMPLE_OWNER,
         "uf": "SP", "contact_name": "Caio Antunes", "contact_type": "DOCTOR", "qualifications": "Cardiologgia"},
        {"account_number": _cnpj("41222333" + "0001"), "name": "Clínica Horizonte Azul Ltda",
         "type": "COMPANY", "portfolio": SAMPLE_OWNER, "uf": "SP", "contact_name": "Rita Campos",
         "contact_type": "OTHERS", "contact_email": "rita.campos@example.com.br", "cep": "01310-100"},
        {"account_number": _bad_cnpj("41222334" + "0001"), "name": "Laboratório Aurora Ltda", "type": "COMPANY",
         "portfolio": SAMPLE_OWNER, "uf": "SP"},
        {"account_number": _cnpj("4AB22335" + "0001"), "name": "Aurora Seguros S.A.", "type": "INSURANCE",
         "portfolio": WITHOUT_PORTFOLIO, "uf": "RJ", "city": "Rio de Janeiro"},
        {"account_number": "765434/PR", "name": "Dr. Rui Falcão", "type": "MEDICAL", "portfolio": "agent.sp9",
         "uf": "PR"},
        {"account_number": "765435/SP", "name": "Dra. Sônia Lemos", "type": "MEDICAL", "portfolio": SAMPLE_OWNER,
         "uf": "SP", "email": "sonia.lemos(at)example.com.br"},
    ]
    return rows + new


def write_sample_workbook(db: Database, out: Path, *, lang: str = "en") -> Path:
    """Write the sample accounts workbook (the model workbook's layout) to ``out``; returns ``out``."""
    from crmxl.workbook.layout import Lists, write_model_workbook

    users, quals = User.__table__, Qualification.__table__
    with db.transaction() as conn:
        logins = sorted_names(conn.execute(select(users.c.login).where(users.c.active.is_(True),
                                                                 users.c.role != Role.ADMIN.value)).scalars())
        names = sorted_names(conn.execute(select(quals.c.name)).scalars())
    rows = [[row.get(f) for f in ACCOUNTS.fields] for row in sample_rows(db)]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_model_workbook(out, ACCOUNTS, lang=lang, lists=Lists(logins, names), rows=rows)
    return out
