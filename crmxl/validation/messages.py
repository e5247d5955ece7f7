"""The en / pt-BR catalogue of every finding code the validation produces.

Codes raised by the domain parsers (``FieldError``) that the domain does not register
itself are registered here too (see ``DOMAIN_FALLBACK``), so every finding has a message.
"""

from __future__ import annotations

from crmxl import i18n

FINDINGS: dict[str, dict[str, str]] = {
    # the sheet as a whole
    "template_unstamped": {
        "en": "Sheet '{sheet}' of {file} has no crmxl template stamp; it was read by its headers as the "
              "{template} template",
        "pt-BR": "A aba '{sheet}' de {file} não tem a marca de modelo do crmxl; foi lida pelos cabeçalhos como "
                 "o modelo de {template}",
    },
    "template_version_older": {
        "en": "{file} uses version {version} of the {template} template (current: {current}); it was read "
              "as compatible",
        "pt-BR": "{file} usa a versão {version} do modelo de {template} (atual: {current}); foi lida como "
                 "compatível",
    },
    # cells the values do not show (found by the reader)
    "cell_error_value": {
        "en": "Cell {cell} holds the error value {value}: fix the formula or type the value",
        "pt-BR": "A célula {cell} tem o valor de erro {value}: corrija a fórmula ou digite o valor",
    },
    "formula_without_value": {
        "en": "Cell {cell} holds a formula saved without its result (the program that wrote the file does not "
              "calculate): open the file in Excel and save it, or type the value",
        "pt-BR": "A célula {cell} tem uma fórmula gravada sem o resultado (o programa que gravou o arquivo não "
                 "calcula): abra o arquivo no Excel e salve-o, ou digite o valor",
    },
    "formula_cached_value": {
        "en": "Cell {cell} holds a formula: its last computed value is imported",
        "pt-BR": "A célula {cell} tem uma fórmula: o último valor calculado é importado",
    },
    "hidden_column": {
        "en": "Column {column} ({header}) is hidden in {file}: its cells are imported like the others",
        "pt-BR": "A coluna {column} ({header}) está oculta em {file}: as suas células são importadas como as outras",
    },
    "hidden_row": {
        "en": "Row {row} is hidden in {file}: it is imported like the others",
        "pt-BR": "A linha {row} está oculta em {file}: ela é importada como as outras",
    },
    "merged_cells": {
        "en": "Cells {cells} are merged: Excel shows only the value of {cell}, but each cell is read on its "
              "own; unmerge them and check the values",
        "pt-BR": "As células {cells} estão mescladas: o Excel mostra só o valor de {cell}, mas cada célula é "
                 "lida separadamente; desfaça a mesclagem e confira os valores",
    },
    "unknown_column": {
        "en": "Column {column} '{header}' is not a column of the {template} template: it is not imported",
        "pt-BR": "A coluna {column} '{header}' não é uma coluna do modelo de {template}: ela não é importada",
    },
    "import_no_rows": {"en": "The sheet has no rows: there is nothing to import.",
                       "pt-BR": "A aba não tem linhas: não há nada a importar."},
    "no_data_rows": {
        "en": "{file}, sheet {sheet}: no rows below the header (row {header_row}): there is nothing to import",
        "pt-BR": "{file}, aba {sheet}: nenhuma linha abaixo do cabeçalho (linha {header_row}): não há nada a importar",
    },
    "unnamed_column": {
        "en": "Column {column} has no header but holds data (row {first} and maybe others): it is not imported; "
              "give it a header of the {template} template",
        "pt-BR": "A coluna {column} não tem cabeçalho mas tem dados (linha {first} e talvez outras): ela não é "
                 "importada; dê a ela um cabeçalho do modelo de {template}",
    },
    "duplicate_column": {
        "en": "Column {column} '{header}' repeats column {first}: only column {first} is imported",
        "pt-BR": "A coluna {column} '{header}' repete a coluna {first}: só a coluna {first} é importada",
    },
    # cells
    "required": {
        "en": "{header} is mandatory",
        "pt-BR": "{header}: preenchimento obrigatório",
    },
    "required_column_with": {
        "en": "{header} is mandatory when {other} is filled, and the sheet has no {header} column: add it",
        "pt-BR": "{header}: preenchimento obrigatório quando {other} está preenchido, e a planilha não tem a "
                 "coluna {header}: inclua-a",
    },
    "required_with": {
        "en": "{header} is mandatory when {other} is filled",
        "pt-BR": "{header}: preenchimento obrigatório quando {other} está preenchido",
    },
    "too_long": {
        "en": "{header} has {length} characters; at most {max} are allowed",
        "pt-BR": "{header} tem {length} caracteres; o máximo é {max}",
    },
    "not_text": {
        "en": "{header} must be text, not {value}",
        "pt-BR": "{header} deve ser texto, não {value}",
    },
    "cnpj_restored_from_number": {
        "en": "The CNPJ was stored as a number and lost its leading zeros; read as {value}",
        "pt-BR": "O CNPJ foi gravado como número e perdeu os zeros à esquerda; lido como {value}",
    },
    "crm_restored_from_number": {
        "en": "The CRM number was stored as a number; read as {value}",
        "pt-BR": "O número do CRM foi gravado como número; lido como {value}",
    },
    "crm_uf_from_row": {
        "en": "The CRM number has no UF; the row's UF was used: {value}",
        "pt-BR": "O número do CRM não tem UF; foi usada a UF da linha: {value}",
    },
    "cep_restored_from_number": {
        "en": "The CEP was stored as a number and lost its leading zeros; read as {value}",
        "pt-BR": "O CEP foi gravado como número e perdeu os zeros à esquerda; lido como {value}",
    },
    "account_type_invalid": {
        "en": "'{value}' is not an account type (MEDICAL, COMPANY, INSURANCE)",
        "pt-BR": "'{value}' não é um tipo de conta (MEDICAL, COMPANY, INSURANCE)",
    },
    "contact_type_invalid": {
        "en": "'{value}' is not a contact type (DOCTOR, SECRETARY, OTHERS)",
        "pt-BR": "'{value}' não é um tipo de contato (DOCTOR, SECRETARY, OTHERS)",
    },
    "did_you_mean": {
        "en": "Did you mean {suggestion}?",
        "pt-BR": "Você quis dizer {suggestion}?",
    },
    "identifier_mismatch": {
        "en": "The Identifier {identifier} must repeat the Account Number {number}",
        "pt-BR": "O Identificador {identifier} deve repetir o Número da Conta {number}",
    },
    "specialties_dropped": {
        "en": "{name} becomes a {type} contact: their specialties ({qualifications}) will be removed",
        "pt-BR": "{name} passa a ser um contato {type}: as suas especialidades ({qualifications}) serão removidas",
    },
    "qualifications_not_doctor": {
        "en": "Qualifications apply to DOCTOR contacts only; they are ignored for this {type} contact",
        "pt-BR": "Qualificações valem só para contatos DOCTOR; foram ignoradas para este contato {type}",
    },
    "contact_data_without_name": {
        "en": "{header} is ignored because {name_header} is empty",
        "pt-BR": "{header} foi ignorado porque {name_header} está vazio",
    },
    "export_key_invalid": {
        "en": "The hidden crmxl:id / crmxl:version cells of this row were changed ('{value}'); export again",
        "pt-BR": "As células ocultas crmxl:id / crmxl:version desta linha foram alteradas ('{value}'); "
                 "exporte novamente",
    },
    # the file
    "date_in_text": {
        "en": "{header} holds a date cell: it is stored as the text '{value}'; check it is what you meant",
        "pt-BR": "{header} contém uma célula de data: ela é gravada como o texto '{value}'; confira se é o que "
                 "você queria",
    },
    "duplicate_differs": {
        "en": "Row {other} has this same account or contact with other values: keep one of the rows",
        "pt-BR": "A linha {other} tem esta mesma conta ou contato com outros valores: mantenha uma das linhas",
    },
    "duplicate_account": {
        "en": "Account {number} already appears in row {first}",
        "pt-BR": "A conta {number} já aparece na linha {first}",
    },
    "duplicate_contact": {
        "en": "Contact '{name}' of {identifier} already appears in row {first}",
        "pt-BR": "O contato '{name}' de {identifier} já aparece na linha {first}",
    },
    # the database
    "portfolio_unknown": {
        "en": "'{value}' is not the login of an agent, nor '{without}'",
        "pt-BR": "'{value}' não é o login de um agente, nem '{without}'",
    },
    "portfolio_not_allowed": {
        "en": "You may not place accounts in the portfolio of {login}",
        "pt-BR": "Você não pode colocar contas na carteira de {login}",
    },
    "without_portfolio_not_allowed": {
        "en": "You may not make accounts inactive ('{without}')",
        "pt-BR": "Você não pode inativar contas ('{without}')",
    },
    "account_in_foreign_portfolio": {
        "en": "Account {number} is in the portfolio {owner}, which you do not manage",
        "pt-BR": "A conta {number} está na carteira {owner}, que você não gerencia",
    },
    "portfolio_transfer": {
        "en": "This moves account {number} from {old} to {new}: portfolio transfers must be allowed "
              "(--allow-transfers)",
        "pt-BR": "Isto move a conta {number} de {old} para {new}: transferências de carteira precisam ser "
                 "permitidas (--allow-transfers)",
        "web": {"en": "This moves account {number} from {old} to {new}: portfolio transfers must be allowed (tick "
                      "“Allow moving accounts between portfolios” and upload the file again)",
                "pt-BR": "Isto move a conta {number} de {old} para {new}: transferências de carteira precisam ser "
                         "permitidas (marque “Permitir transferir contas entre carteiras” e envie o arquivo de novo)"},
        "api": {"en": "This moves account {number} from {old} to {new}: portfolio transfers must be allowed "
                      "(allow_transfers=true)",
                "pt-BR": "Isto move a conta {number} de {old} para {new}: transferências de carteira precisam ser "
                         "permitidas (allow_transfers=true)"},
    },
    "account_type_changed": {
        "en": "Account {number} exists as {existing}; its type cannot be changed to {type}",
        "pt-BR": "A conta {number} existe como {existing}; seu tipo não pode ser mudado para {type}",
    },
    "account_not_found": {
        "en": "Account {number} does not exist: import it with the accounts template first",
        "pt-BR": "A conta {number} não existe: importe-a primeiro com o modelo de contas",
    },
    "contact_ambiguous": {
        "en": "{count} contacts of {identifier} are named '{name}': the name does not pick one",
        "pt-BR": "{count} contatos de {identifier} se chamam '{name}': o nome não identifica um só",
    },
    "contact_name_taken": {
        "en": "{identifier} already has a contact named '{name}': renamed so, this contact would make two of "
              "them; choose another name",
        "pt-BR": "{identifier} já tem um contato chamado '{name}': com este nome, este contato seriam dois; "
                 "escolha outro nome",
    },
    "version_conflict": {
        "en": "This {entity} was changed in the CRM after the export (version {file_version} in the file, "
              "{db_version} now): export again and redo the change",
        "pt-BR": "Este(a) {entity} foi alterado(a) no CRM depois da exportação (versão {file_version} no "
                 "arquivo, {db_version} agora): exporte novamente e refaça a alteração",
    },
    "export_key_mismatch": {
        "en": "This exported row belongs to {entity} {expected}, not {found}: do not change the key of an "
              "exported row",
        "pt-BR": "Esta linha exportada pertence a {entity} {expected}, não a {found}: não altere a chave de "
                 "uma linha exportada",
    },
    "export_row_missing": {
        "en": "The {entity} of this exported row no longer exists in the CRM: export again",
        "pt-BR": "O(a) {entity} desta linha exportada não existe mais no CRM: exporte novamente",
    },
    "entity_account": {"en": "account", "pt-BR": "conta"},
    "entity_contact": {"en": "contact", "pt-BR": "contato"},
    "warning_prefix": {"en": "Warning: {message}", "pt-BR": "Aviso: {message}"},
    # a finding's severity, as the findings tables name it
    "severity_error": {"en": "error", "pt-BR": "erro"},
    "severity_warning": {"en": "warning", "pt-BR": "aviso"},
    "severity_notice": {"en": "notice", "pt-BR": "observação"},
    "severity_info": {"en": "info", "pt-BR": "informação"},
}

# Codes of the domain parsers; registered only if the domain did not register them itself.
DOMAIN_FALLBACK: dict[str, dict[str, str]] = {}

i18n.register(FINDINGS)


def register_domain_fallback() -> None:
    i18n.register({code: texts for code, texts in DOMAIN_FALLBACK.items() if not i18n.has_message(code)})


register_domain_fallback()
