"""Realistic, deterministic demo data: users, portfolios, accounts, contacts.

Seeded, so every run generates the same rows; idempotent, so running it on a
database that already holds them changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import insert, select

from crmxl.db.models import Account, Contact, Qualification, User, contact_qualifications, utcnow
from crmxl.db.session import Database, bump_data_version
from crmxl.domain.cnpj import cnpj_check_digits
from crmxl.domain.enums import UFS, AccountType, ContactType, Role
from crmxl.domain.text import sorted_names
from crmxl.services.passwords import hash_password

DEMO_PASSWORD = "crmxl-demo"
SEED = 20261125

# login, name, role, manager login, home UFs
DEMO_USERS: tuple[tuple[str, str, Role, str | None, tuple[str, ...]], ...] = (
    ("admin", "Administrador CRM", Role.ADMIN, None, ()),
    ("mgr.south", "Marina Costa", Role.MANAGER, None, ()),
    ("mgr.north", "Paulo Nunes", Role.MANAGER, None, ()),
    ("agent.sp1", "Ana Ribeiro", Role.AGENT, "mgr.south", ("SP",)),
    ("agent.sp2", "Bruno Almeida", Role.AGENT, "mgr.south", ("SP",)),
    ("agent.pr1", "Carla Mendes", Role.AGENT, "mgr.south", ("PR", "SC")),
    ("agent.rs1", "Diego Farias", Role.AGENT, "mgr.south", ("RS",)),
    ("agent.ba1", "Elisa Santos", Role.AGENT, "mgr.north", ("BA", "SE")),
    ("agent.pe1", "Fábio Lima", Role.AGENT, "mgr.north", ("PE", "PB", "AL")),
    ("agent.am1", "Gabriela Rocha", Role.AGENT, "mgr.north", ("AM", "PA", "RR", "AP")),
    ("agent.df1", "Hugo Carvalho", Role.AGENT, "mgr.north", ("DF", "GO", "TO")),
)

FIRST = ("Ana", "Beatriz", "Carlos", "Daniela", "Eduardo", "Fernanda", "Gustavo", "Helena", "Igor", "Juliana",
         "Karina", "Lucas", "Mariana", "Nelson", "Otávio", "Patrícia", "Rafael", "Sofia", "Tiago", "Vanessa",
         "João", "Luíza", "Marcos", "Renata", "Sérgio", "Camila", "André", "Larissa", "Felipe", "Débora")
LAST = ("Silva", "Souza", "Oliveira", "Pereira", "Lima", "Carvalho", "Ferreira", "Rodrigues", "Almeida",
        "Costa", "Gomes", "Martins", "Araújo", "Melo", "Barbosa", "Ribeiro", "Castro", "Moreira", "Cardoso",
        "Teixeira", "Correia", "Nogueira", "Batista", "Freitas", "Monteiro")
COMPANY_WORDS = ("Clínica", "Hospital", "Laboratório", "Centro Médico", "Policlínica", "Instituto", "Farmácia")
COMPANY_NAMES = ("Vida", "Saúde Plena", "Bem Estar", "São Lucas", "Santa Clara", "Esperança", "Horizonte",
                 "Boa Vista", "Aliança", "Primavera", "Nova Era", "Santa Maria", "Sol Nascente")
INSURERS = ("Seguros", "Saúde", "Assistência Médica", "Planos de Saúde", "Seguradora")
CITIES = {"SP": "São Paulo", "PR": "Curitiba", "SC": "Florianópolis", "RS": "Porto Alegre", "BA": "Salvador",
          "SE": "Aracaju", "PE": "Recife", "PB": "João Pessoa", "AL": "Maceió", "AM": "Manaus", "PA": "Belém",
          "RR": "Boa Vista", "AP": "Macapá", "DF": "Brasília", "GO": "Goiânia", "TO": "Palmas", "RJ": "Rio de Janeiro",
          "MG": "Belo Horizonte", "ES": "Vitória", "CE": "Fortaleza"}
DDD = {"SP": 11, "PR": 41, "SC": 48, "RS": 51, "BA": 71, "SE": 79, "PE": 81, "PB": 83, "AL": 82, "AM": 92,
       "PA": 91, "RR": 95, "AP": 96, "DF": 61, "GO": 62, "TO": 63, "RJ": 21, "MG": 31, "ES": 27, "CE": 85}
STREETS = ("Rua das Flores", "Av. Brasil", "Rua XV de Novembro", "Av. Paulista", "Rua Sete de Setembro",
           "Av. Getúlio Vargas", "Rua da Consolação", "Av. Sete de Setembro", "Rua Augusta")

N_MEDICAL, N_COMPANY, N_INSURANCE = 1500, 1000, 500


@dataclass(frozen=True)
class DemoResult:
    users_added: int
    accounts_added: int
    contacts_added: int
    accounts_total: int
    contacts_total: int


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"


def _cnpj(rng: random.Random, alphanumeric: bool) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ" if alphanumeric else "0123456789"
    base = "".join(rng.choice(alphabet) for _ in range(8)) + "0001"
    return base + cnpj_check_digits(base)


def _slug(name: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return ".".join(ascii_name.split()[:2])


def generate(rng: random.Random | None = None) -> tuple[list[dict], list[dict]]:
    """The demo accounts and contacts (owner and qualification given by login / name)."""
    rng = rng or random.Random(SEED)
    agents = [(login, ufs) for login, _n, role, _m, ufs in DEMO_USERS if role == Role.AGENT]
    accounts: list[dict] = []
    contacts: list[dict] = []
    seen: set[str] = set()
    plan = [AccountType.MEDICAL] * N_MEDICAL + [AccountType.COMPANY] * N_COMPANY + [AccountType.INSURANCE] * N_INSURANCE
    for account_type in plan:
        login, ufs = rng.choice(agents)
        uf = rng.choice(ufs)
        owner = None if rng.random() < 0.1 else login
        if account_type == AccountType.MEDICAL:
            while True:
                number = f"{rng.randint(1000, 999999)}/{uf}"
                if number not in seen:
                    break
            name = "Dr(a). " + _person(rng)
        else:
            while True:
                number = _cnpj(rng, alphanumeric=rng.random() < 0.05)
                if number not in seen:
                    break
            if account_type == AccountType.COMPANY:
                name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_NAMES)} Ltda"
            else:
                name = f"{rng.choice(COMPANY_NAMES)} {rng.choice(INSURERS)} S.A."
        seen.add(number)
        ddd = DDD.get(uf, 11)
        accounts.append({
            "number": number, "type": account_type.value, "name": name, "uf": uf,
            "city": CITIES.get(uf), "address": f"{rng.choice(STREETS)}, {rng.randint(1, 3000)}",
            "cep": f"{rng.randint(1000, 99999):05d}-{rng.randint(0, 999):03d}",
            "phone": f"({ddd}) 9{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
            "email": f"contato{len(accounts)}@example.com.br", "owner": owner,
        })
        people = []
        if account_type == AccountType.MEDICAL:
            people.append((name.removeprefix("Dr(a). "), ContactType.DOCTOR))
        else:
            people.append((_person(rng), ContactType.OTHERS))
        if rng.random() < 0.3:
            people.append((_person(rng), ContactType.SECRETARY))
        for person, contact_type in people:
            contacts.append({
                "number": number, "name": person, "type": contact_type.value,
                "email": f"{_slug(person)}{len(contacts)}@example.com.br",
                "phone": f"({ddd}) 9{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                "qualifications": rng.sample(range(55), rng.choice((1, 1, 2))) if contact_type == ContactType.DOCTOR else [],
            })
    return accounts, contacts


def load_demo(db: Database) -> DemoResult:
    """Insert the demo users, accounts and contacts that are not there yet."""
    accounts, contacts = generate()
    users_t, acc_t, con_t = User.__table__, Account.__table__, Contact.__table__
    with db.transaction() as conn:
        user_ids = {login: uid for login, uid in conn.execute(select(users_t.c.login, users_t.c.id))}
        users_added = 0
        for login, name, role, manager, _ufs in DEMO_USERS:
            if login in user_ids:
                continue
            result = conn.execute(insert(users_t).values(
                login=login, name=name, role=role.value, manager_id=user_ids.get(manager) if manager else None,
                password_hash=hash_password(DEMO_PASSWORD), lang="en", active=True, created_at=utcnow()))
            user_ids[login] = result.inserted_primary_key[0]
            users_added += 1

        existing = set(conn.execute(select(acc_t.c.number)).scalars())
        now = utcnow()
        new_accounts = [
            {**{k: v for k, v in a.items() if k != "owner"}, "owner_id": user_ids.get(a["owner"]) if a["owner"] else None,
             "created_at": now, "updated_at": now, "version": 1}
            for a in accounts if a["number"] not in existing
        ]
        if new_accounts:
            conn.execute(insert(acc_t), new_accounts)
        account_ids = {number: aid for number, aid in conn.execute(select(acc_t.c.number, acc_t.c.id))}

        # by index in the registry ordered in Python: the same qualifications on any database and collation
        registry = dict(conn.execute(select(Qualification.__table__.c.name, Qualification.__table__.c.id)).all())
        qualification_ids = [registry[name] for name in sorted_names(registry)]
        have = {(ident, name) for ident, name in conn.execute(select(con_t.c.identifier, con_t.c.name))}
        new_contacts, links = [], []
        for c in contacts:
            if (c["number"], c["name"]) in have:
                continue
            have.add((c["number"], c["name"]))
            new_contacts.append({
                "account_id": account_ids[c["number"]], "identifier": c["number"], "name": c["name"],
                "type": c["type"], "email": c["email"], "phone": c["phone"], "birth_date": None,
                "created_at": now, "updated_at": now, "version": 1,
            })
            links.append([qualification_ids[i] for i in c["qualifications"] if i < len(qualification_ids)])
        if new_contacts:
            conn.execute(insert(con_t), new_contacts)
            ids = dict(
                ((ident, name), cid)
                for cid, ident, name in conn.execute(select(con_t.c.id, con_t.c.identifier, con_t.c.name))
            )
            rows = [
                {"contact_id": ids[(c["identifier"], c["name"])], "qualification_id": qid}
                for c, quals in zip(new_contacts, links, strict=True) for qid in quals
            ]
            if rows:
                conn.execute(insert(contact_qualifications), rows)
        if users_added or new_accounts or new_contacts:
            bump_data_version(conn)
        total_accounts = len(account_ids)
        total_contacts = len(have)
    return DemoResult(users_added, len(new_accounts), len(new_contacts), total_accounts, total_contacts)


__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "DemoResult", "generate", "load_demo", "UFS"]
