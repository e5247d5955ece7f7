"""The column specs of every model workbook: the one source of truth.

Templates, header mapping, validation and the export layout are all derived
from the ``Template`` objects below. Changing a column here changes every face;
the committed workbooks in ``workbook_templates/`` are checked against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from crmxl.domain.text import normalize


class Kind(StrEnum):
    """How a column's cells are parsed and validated."""

    ACCOUNT_NUMBER = "account_number"
    IDENTIFIER = "identifier"
    TEXT = "text"
    ACCOUNT_TYPE = "account_type"
    CONTACT_TYPE = "contact_type"
    UF = "uf"
    PORTFOLIO = "portfolio"
    QUALIFICATIONS = "qualifications"
    EMAIL = "email"
    PHONE = "phone"
    CEP = "cep"
    BIRTH_DATE = "birth_date"  # dd/mm/yyyy or a date cell, from 01/01/1900 to today


LANGS = ("en", "pt-BR")
# The kinds whose cells hold text however they look: a CEP 01310100 or a phone typed later stays as typed, never
# a number that loses its zeros. Their columns get Excel's Text format ("@"); a date column gets DATE_FORMAT.
TEXT_KINDS = frozenset({Kind.ACCOUNT_NUMBER, Kind.IDENTIFIER, Kind.CEP, Kind.PHONE, Kind.PORTFOLIO, Kind.TEXT,
                        Kind.EMAIL, Kind.QUALIFICATIONS})
TEXT_FORMAT = "@"
DATE_FORMAT = "dd/mm/yyyy"


@dataclass(frozen=True)
class Column:
    field: str
    header_en: str
    header_pt: str
    kind: Kind
    help_en: str
    help_pt: str
    example: str
    mandatory: bool = False
    required_with: str | None = None  # this column becomes mandatory when that field is filled
    width: int = 18
    max_length: int = 255
    aliases: tuple[str, ...] = ()

    def header(self, lang: str = "en") -> str:
        base = self.header_pt if lang == "pt-BR" else self.header_en
        return base + "*" if self.mandatory else base

    def help(self, lang: str = "en") -> str:
        return self.help_pt if lang == "pt-BR" else self.help_en

    def note(self, lang: str = "en") -> str:
        """The header's note: the help and an example."""
        return f"{self.help(lang)}\n{'Exemplo' if lang == 'pt-BR' else 'Example'}: {self.example}"

    @property
    def number_format(self) -> str | None:
        """The column's number format: text, a date, or None (General)."""
        return TEXT_FORMAT if self.kind in TEXT_KINDS else DATE_FORMAT if self.kind == Kind.BIRTH_DATE else None


@dataclass(frozen=True)
class Template:
    id: str
    version: str
    sheet_en: str
    sheet_pt: str
    columns: tuple[Column, ...]
    key_field: str = "account_number"
    compatible_versions: frozenset[str] = field(default_factory=frozenset)

    def sheet(self, lang: str = "en") -> str:
        return self.sheet_pt if lang == "pt-BR" else self.sheet_en

    @property
    def sheet_names(self) -> tuple[str, str]:
        return (self.sheet_en, self.sheet_pt)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns)

    def column(self, field_name: str) -> Column:
        for col in self.columns:
            if col.field == field_name:
                return col
        raise KeyError(field_name)

    def letter(self, field_name: str) -> str:
        """Column letter of ``field_name`` in the template layout."""
        return column_letter(self.fields.index(field_name))

    @property
    def mandatory_fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns if c.mandatory)

    def reads_version(self, version: str | None) -> bool:
        return version == self.version or version in self.compatible_versions

    def is_newer(self, version: str | None) -> bool:
        """``version`` (``2.0``) is later than this crmxl's: a file made by a newer crmxl."""
        found, ours = _version_key(version), _version_key(self.version)
        return found is not None and ours is not None and found > ours


def _version_key(version: str | None) -> tuple[int, ...] | None:
    parts = (version or "").strip().split(".")
    if not all(p.isdigit() for p in parts):
        return None
    numbers = [int(p) for p in parts]
    while len(numbers) > 1 and numbers[-1] == 0:  # 2 and 2.0 are the same version
        numbers.pop()
    return tuple(numbers)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# Hidden columns an export adds after the template's, for the import's conflict check: the row's key and
# version, and on an accounts export with contact columns, the key and version of the contact they show.
KEY_HEADER = "crmxl:id"
VERSION_HEADER = "crmxl:version"
CONTACT_KEY_HEADER = "crmxl:contact_id"
CONTACT_VERSION_HEADER = "crmxl:contact_version"
KEY_WIDTH = 12
HIDDEN_FIELDS = {KEY_HEADER: "_id", VERSION_HEADER: "_version", CONTACT_KEY_HEADER: "_contact_id",
                 CONTACT_VERSION_HEADER: "_contact_version"}
# A qualifications cell is stored as links to the registry, not as text: only Excel's own limit applies (the
# whole registry written out, as an export writes it, is about 1,100 characters).
LIST_CELL = 32_767
ACCOUNT_CONTACT_COLUMNS = frozenset({"contact_name", "contact_type", "qualifications", "contact_email"})


def shows_a_contact(template_id: str, columns: Sequence[str]) -> bool:
    """An accounts export of ``columns`` shows each account's first contact (and carries its key)."""
    return template_id == "accounts" and bool(ACCOUNT_CONTACT_COLUMNS & set(columns))


def importable_columns(tpl: Template, columns: Sequence[str]) -> tuple[str, ...]:
    """``columns`` with what an export needs to be imported back (the mandatory (red) columns the profile leaves
    out, and on an accounts export that shows a contact, its Contact Name (which contact the row is) and Contact
    Type (mandatory with a name)), in the model workbook's order whatever order ``columns`` come in."""
    wanted = {c for c in columns if c in tpl.fields} | set(tpl.mandatory_fields)
    if shows_a_contact(tpl.id, wanted):
        wanted.add("contact_name")
    for col in tpl.columns:  # a column mandatory when another is filled
        if col.required_with in wanted:
            wanted.add(col.field)
    return tuple(f for f in tpl.fields if f in wanted)


def key_headers(template_id: str, columns: Sequence[str]) -> tuple[str, ...]:
    """The hidden key columns an export of ``columns`` of template ``template_id`` ends with."""
    if shows_a_contact(template_id, columns):
        return KEY_HEADER, VERSION_HEADER, CONTACT_KEY_HEADER, CONTACT_VERSION_HEADER
    return KEY_HEADER, VERSION_HEADER

# The hidden sheet that stamps a workbook as a crmxl template.
STAMP_SHEET = "_crmxl"
LISTS_SHEET = {"en": "Lists", "pt-BR": "Listas"}
INSTRUCTIONS_SHEET = {"en": "Instructions", "pt-BR": "Instruções"}
SUMMARY_SHEET = {"en": "Summary", "pt-BR": "Resumo"}


def ours(sheet_name: str) -> bool:
    """A sheet crmxl writes beside the data (instructions, dropdown lists, a report's summary), never data."""
    return header_key(sheet_name) in _OUR_SHEET_KEYS
ERRORS_HEADER = {"en": "Errors", "pt-BR": "Erros"}
OK_TEXT = {"en": "OK", "pt-BR": "OK"}


ACCOUNTS = Template(
    id="accounts",
    version="1.0",
    sheet_en="Accounts",
    sheet_pt="Contas",
    columns=(
        Column("account_number", "Account Number", "Número da Conta", Kind.ACCOUNT_NUMBER,
               "CRM number for MEDICAL accounts (e.g. 123456/SP), CNPJ for COMPANY and INSURANCE.",
               "Número do CRM para contas MEDICAL (ex.: 123456/SP), CNPJ para COMPANY e INSURANCE.",
               "12.345.678/0001-95", mandatory=True, width=22, max_length=32),
        Column("name", "Account Name", "Nome da Conta", Kind.TEXT,
               "The doctor's or the company's name.", "Nome do médico ou da empresa.",
               "Clínica Boa Saúde Ltda", mandatory=True, width=32, max_length=200),
        Column("type", "Account Type", "Tipo de Conta", Kind.ACCOUNT_TYPE,
               "MEDICAL, COMPANY or INSURANCE.", "MEDICAL, COMPANY ou INSURANCE.",
               "COMPANY", mandatory=True, width=16),
        Column("portfolio", "Portfolio", "Carteira", Kind.PORTFOLIO,
               "The agent's login (active account), or 'Without Portfolio' (inactive account).",
               "O login do agente (conta ativa), ou 'Sem Carteira' (conta inativa).",
               "agent.sp1", mandatory=True, width=20, max_length=64),
        Column("uf", "UF", "UF", Kind.UF,
               "State: one of the 27 UFs (SP, RJ, MG, ...).", "Estado: uma das 27 UFs (SP, RJ, MG, ...).",
               "SP", mandatory=True, width=8, max_length=2),
        Column("contact_name", "Contact Name", "Nome do Contato", Kind.TEXT,
               "Optional: fill to create a contact for this account automatically.",
               "Opcional: preencha para criar automaticamente um contato desta conta.",
               "Dra. Ana Souza", width=28, max_length=200),
        Column("contact_type", "Contact Type", "Tipo de Contato", Kind.CONTACT_TYPE,
               "DOCTOR, SECRETARY or OTHERS; mandatory when Contact Name is filled.",
               "DOCTOR, SECRETARY ou OTHERS; obrigatório quando Nome do Contato está preenchido.",
               "DOCTOR", required_with="contact_name", width=16),
        Column("qualifications", "Qualifications", "Qualificações", Kind.QUALIFICATIONS,
               "The doctor's specialties from the registry; separate several with ';'.",
               "Especialidades do médico conforme o cadastro; separe várias com ';'.",
               "Cardiologia; Clínica Médica", width=30, max_length=LIST_CELL),
        Column("contact_email", "Contact Email", "E-mail do Contato", Kind.EMAIL,
               "The contact's e-mail.", "E-mail do contato.", "ana.souza@example.com.br", width=28),
        Column("city", "City", "Cidade", Kind.TEXT, "City.", "Cidade.", "São Paulo", width=20, max_length=100),
        Column("address", "Address", "Endereço", Kind.TEXT, "Street and number.", "Rua e número.",
               "Av. Paulista, 1000", width=32, max_length=200),
        Column("cep", "CEP", "CEP", Kind.CEP, "Postal code, 8 digits.", "CEP, 8 dígitos.", "01310-100", width=12),
        Column("phone", "Phone", "Telefone", Kind.PHONE, "Phone with area code.", "Telefone com DDD.",
               "(11) 91234-5678", width=18),
        Column("email", "Email", "E-mail", Kind.EMAIL, "The account's e-mail.", "E-mail da conta.",
               "contato@example.com.br", width=28),
    ),
)

CONTACTS = Template(
    id="contacts",
    version="1.0",
    sheet_en="Contacts",
    sheet_pt="Contatos",
    columns=(
        Column("account_number", "Account Number", "Número da Conta", Kind.ACCOUNT_NUMBER,
               "The account the contact belongs to: CRM (medical) or CNPJ (company, insurance).",
               "A conta do contato: CRM (médica) ou CNPJ (empresa, convênio).",
               "123456/SP", mandatory=True, width=22, max_length=32),
        Column("name", "Contact Name", "Nome do Contato", Kind.TEXT,
               "The doctor, or the person responsible at the company or insurer.",
               "O médico, ou o responsável na empresa ou convênio.",
               "Dr. João Lima", mandatory=True, width=28, max_length=200),
        Column("identifier", "Identifier", "Identificador", Kind.IDENTIFIER,
               "The account number again (must repeat column A): finds the contact to update.",
               "O número da conta novamente (repete a coluna A): localiza o contato a atualizar.",
               "123456/SP", mandatory=True, width=22, max_length=32),
        Column("type", "Type", "Tipo", Kind.CONTACT_TYPE,
               "DOCTOR, SECRETARY or OTHERS.", "DOCTOR, SECRETARY ou OTHERS.", "DOCTOR",
               mandatory=True, width=14),
        Column("qualifications", "Qualifications", "Qualificações", Kind.QUALIFICATIONS,
               "Specialties from the registry (doctors only); separate several with ';'.",
               "Especialidades conforme o cadastro (só médicos); separe várias com ';'.",
               "Cardiologia", width=30, max_length=LIST_CELL),
        Column("email", "Email", "E-mail", Kind.EMAIL, "The contact's e-mail.", "E-mail do contato.",
               "joao.lima@example.com.br", width=28),
        Column("phone", "Phone", "Telefone", Kind.PHONE, "Phone with area code.", "Telefone com DDD.",
               "+55 11 91234-5678", width=18),
        Column("birth_date", "Birth Date", "Data de Nascimento", Kind.BIRTH_DATE,
               "dd/mm/yyyy, or a date cell.", "dd/mm/aaaa, ou uma célula de data.", "25/12/1980", width=16),
    ),
    key_field="identifier",
)

TEMPLATES: dict[str, Template] = {t.id: t for t in (ACCOUNTS, CONTACTS)}


def template(template_id: str) -> Template:
    return TEMPLATES[template_id]


def header_key(text: object) -> str:
    """Normalise a header cell: case, accents, spaces, a trailing '*' do not matter."""
    return normalize(str(text or "").replace("*", " "))


@dataclass
class HeaderMap:
    """Where each field sits in a sheet as uploaded (0-based indices)."""

    fields: dict[str, int]
    unknown: list[tuple[int, str]]  # columns whose header is not the template's
    duplicates: list[tuple[int, str]]  # a second column for a field already mapped
    hidden: dict[str, int]  # export's key/version columns
    unnamed: list[int] = field(default_factory=list)  # columns with no header at all

    def missing(self, tpl: Template) -> list[str]:
        """Mandatory fields of ``tpl`` that no column of the sheet names."""
        return [f for f in tpl.mandatory_fields if f not in self.fields]


def header_lookup(tpl: Template) -> dict[str, str]:
    """Every accepted spelling (normalised) -> field."""
    lookup: dict[str, str] = {}
    for col in tpl.columns:
        for spelling in (col.header_en, col.header_pt, col.field, col.field.replace("_", " "), *col.aliases):
            lookup[header_key(spelling)] = col.field
    return lookup


def map_headers(tpl: Template, headers: list[object]) -> HeaderMap:
    lookup = header_lookup(tpl)
    hidden_lookup = {header_key(h): f for h, f in HIDDEN_FIELDS.items()}
    fields: dict[str, int] = {}
    hidden: dict[str, int] = {}
    unknown: list[tuple[int, str]] = []
    duplicates: list[tuple[int, str]] = []
    unnamed: list[int] = []
    errors_keys = {header_key(v) for v in ERRORS_HEADER.values()}
    for index, raw in enumerate(headers):
        key = header_key(raw)
        if not key:
            unnamed.append(index)
            continue
        if key in errors_keys:
            continue
        if key in hidden_lookup:
            hidden[hidden_lookup[key]] = index
        elif key in lookup:
            name = lookup[key]
            if name in fields:
                duplicates.append((index, str(raw)))
            else:
                fields[name] = index
        else:
            unknown.append((index, str(raw)))
    return HeaderMap(fields=fields, unknown=unknown, duplicates=duplicates, hidden=hidden, unnamed=unnamed)


def header_score(tpl: Template, headers: list[object]) -> int:
    """How many of the template's fields a header row names (to find a sheet by its headers)."""
    return len(map_headers(tpl, headers).fields)


_OUR_SHEET_KEYS = {header_key(n) for names in (LISTS_SHEET, INSTRUCTIONS_SHEET, SUMMARY_SHEET) for n in names.values()}
