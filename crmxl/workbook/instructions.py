"""The text of a model workbook's Instructions sheet, in English and Portuguese."""

from __future__ import annotations

from collections.abc import Sequence

from crmxl.schema import ACCOUNT_CONTACT_COLUMNS, Template, column_letter

_COMMON_EN = [
    ("How to import", True),
    ("1. Fill one row per {entity} in the sheet '{sheet}'. Do not rename the sheet or the headers.", False),
    ("2. Columns whose header is red (and ends with *) are mandatory.", False),
    ("3. Hover over a header to read what goes there, with an example.", False),
    ("4. Validate: in Excel, the CRM tab's Validate button; on the command line, "
     "`crmxl import {id} FILE --report REPORT.xlsx`; on the web, Import > Upload.", False),
    ("5. Every bad cell turns red and gets a note saying what is wrong; the Errors column says, per row, "
     "what is wrong or OK. Fix the red cells and validate again until the data is correct.", False),
    ("6. Import (Next): the valid rows are written to the CRM as one batch, which can be undone.", False),
    ("", False),
    ("Formats", True),
    ("Dates dd/mm/yyyy (or a date cell); phones (11) 91234-5678 or +55 11 91234-5678; CEP 01310-100; "
     "CNPJ 12.345.678/0001-95 (letters allowed in the first 12 characters); CRM 123456/SP.", False),
    ("Qualifications must match the registry (see the Lists sheet); separate several with ';'.", False),
]
_ACCOUNTS_EN = [
    ("", False),
    ("Portfolio", True),
    ("The Portfolio column holds the login of the agent who owns the account: the account is active.", False),
    ("'Without Portfolio' means no owner: the account is inactive.", False),
    ("Changing the Portfolio of an existing account transfers it to another portfolio.", False),
    ("", False),
    ("Contacts from columns {first_contact} to {last_contact}", True),
    ("When Contact Name ({L[contact_name]}) is filled, a contact is created for the account automatically (or updated, when "
     "the account already has a contact of that name). Contact Type ({L[contact_type]}) is then mandatory.", False),
    ("For complete contact data (phone, birth date ...), use the contacts template.", False),
]
_CONTACTS_EN = [
    ("", False),
    ("Identifier", True),
    ("The Identifier repeats the Account Number. It finds the contact: the contact of that account with the "
     "same name is updated; if there is none, a new contact is created.", False),
    ("The account must exist in the CRM (or be imported before).", False),
]
_COMMON_PT = [
    ("Como importar", True),
    ("1. Preencha uma linha por {entity} na planilha '{sheet}'. Não renomeie a planilha nem os cabeçalhos.", False),
    ("2. As colunas com cabeçalho vermelho (terminado em *) são obrigatórias.", False),
    ("3. Passe o mouse sobre um cabeçalho para ler o que vai nele, com um exemplo.", False),
    ("4. Valide: no Excel, o botão Validar da guia CRM; na linha de comando, "
     "`crmxl import {id} ARQUIVO --report RELATORIO.xlsx`; na web, Importar > Enviar.", False),
    ("5. Cada célula errada fica vermelha e recebe uma nota dizendo o que está errado; a coluna Erros diz, "
     "por linha, o que está errado ou OK. Corrija e valide de novo até os dados estarem corretos.", False),
    ("6. Importe (Avançar): as linhas válidas são gravadas no CRM como um lote, que pode ser desfeito.", False),
    ("", False),
    ("Formatos", True),
    ("Datas dd/mm/aaaa (ou célula de data); telefones (11) 91234-5678 ou +55 11 91234-5678; CEP 01310-100; "
     "CNPJ 12.345.678/0001-95 (letras permitidas nos 12 primeiros caracteres); CRM 123456/SP.", False),
    ("As qualificações devem constar do cadastro (veja a planilha Listas); separe várias com ';'.", False),
]
_ACCOUNTS_PT = [
    ("", False),
    ("Carteira", True),
    ("A coluna Carteira tem o login do agente dono da conta: a conta fica ativa.", False),
    ("'Sem Carteira' significa sem dono: a conta fica inativa.", False),
    ("Mudar a Carteira de uma conta existente a transfere para outra carteira.", False),
    ("", False),
    ("Contatos das colunas {first_contact} a {last_contact}", True),
    ("Quando o Nome do Contato ({L[contact_name]}) está preenchido, um contato é criado automaticamente para a conta (ou "
     "atualizado, se a conta já tem um contato com esse nome). O Tipo de Contato ({L[contact_type]}) passa a ser obrigatório.", False),
    ("Para dados completos de contatos (telefone, data de nascimento ...), use o modelo de contatos.", False),
]
_CONTACTS_PT = [
    ("", False),
    ("Identificador", True),
    ("O Identificador repete o Número da Conta. Ele localiza o contato: o contato dessa conta com o mesmo "
     "nome é atualizado; se não houver, um novo contato é criado.", False),
    ("A conta precisa existir no CRM (ou ser importada antes).", False),
]


def _sections(tpl: Template, pt: bool, fields: Sequence[str]) -> list[tuple[str, bool]]:
    """The template's own sections, those whose columns the file has."""
    if tpl.id == "contacts":
        return (_CONTACTS_PT if pt else _CONTACTS_EN) if "identifier" in fields else []
    lines = _ACCOUNTS_PT if pt else _ACCOUNTS_EN
    portfolio, contacts = lines[:5], lines[5:]
    has_contacts = {"contact_name", "contact_type"} <= set(fields)
    return (portfolio if "portfolio" in fields else []) + (contacts if has_contacts else [])


def _columns_line(tpl: Template, pt: bool, fields: Sequence[str], lang: str) -> list[tuple[str, bool]]:
    """A file with some of the template's columns (an export profile's) lists them, with their letters."""
    if list(fields) == list(tpl.fields):
        return []
    named = ", ".join(f"{column_letter(i)} {tpl.column(f).header(lang)}" for i, f in enumerate(fields))
    return [("", False), ("Colunas deste arquivo" if pt else "Columns of this file", True),
            ((f"{named}. As demais colunas do modelo foram deixadas de fora pelo perfil de exportação." if pt
              else f"{named}. The model workbook's other columns were left out by the export profile."), False)]


def instruction_lines(tpl: Template, lang: str, portfolio_default: str | None = None,
                      prefill_rows: int = 200, columns: Sequence[str] | None = None) -> list[tuple[str, bool]]:
    """(text, is_heading) lines for the Instructions sheet of a file with ``columns`` (default: all the
    template's), naming their letters in that file."""
    pt = lang == "pt-BR"
    fields = list(columns or tpl.fields)
    entity = {"accounts": ("account", "conta"), "contacts": ("contact", "contato")}[tpl.id][1 if pt else 0]
    lines = (_COMMON_PT if pt else _COMMON_EN) + _sections(tpl, pt, fields)
    title = (f"Modelo de {entity}s do CRM — versão {tpl.version}" if pt
             else f"CRM {entity}s model workbook — version {tpl.version}")
    letters = {f: column_letter(i) for i, f in enumerate(fields)}  # the letters of this file's columns
    contact_letters = [letters[f] for f in fields if f in ACCOUNT_CONTACT_COLUMNS] or [""]
    out = [(title, True), ("", False)]
    out += [(text.format(entity=entity, sheet=tpl.sheet(lang), id=tpl.id, L=letters, first_contact=contact_letters[0],
                         last_contact=contact_letters[-1]), heading) for text, heading in lines]
    out += _columns_line(tpl, pt, fields, lang)
    if portfolio_default:
        out += [("", False), ((f"Esta planilha é de {portfolio_default}" if pt
                               else f"This workbook is {portfolio_default}'s"), True),
                ((f"A Carteira já vem preenchida com {portfolio_default} nas linhas 2 a {prefill_rows + 1}; "
                  "uma linha em que só a Carteira está preenchida é ignorada na importação." if pt
                  else f"The Portfolio column is pre-filled with {portfolio_default} in rows 2 to "
                  f"{prefill_rows + 1}; a row with nothing but the Portfolio is ignored on import."), False)]
    return out
