"""Messages of the errors that make an input file unusable (en, pt-BR)."""

from __future__ import annotations

from crmxl import i18n

i18n.register(
    {
        "file_not_found": {
            "en": "File not found: {file}",
            "pt-BR": "Arquivo não encontrado: {file}",
        },
        "file_unreadable": {
            "en": "Cannot read {file}: {detail}",
            "pt-BR": "Não foi possível ler {file}: {detail}",
        },
        "empty_file": {
            "en": "{file} is empty",
            "pt-BR": "{file} está vazio",
        },
        "not_a_spreadsheet": {
            "en": "{file} is not a spreadsheet: save it as an Excel workbook (.xlsx, .xlsm) or CSV",
            "pt-BR": "{file} não é uma planilha: salve-o como pasta de trabalho do Excel (.xlsx, .xlsm) ou CSV",
        },
        "corrupted_file": {
            "en": "{file} is damaged and cannot be read: open it in Excel and save it again",
            "pt-BR": "{file} está corrompido e não pode ser lido: abra-o no Excel e salve-o novamente",
        },
        "corrupted_sheet": {
            "en": "Sheet '{sheet}' of {file} is damaged and cannot be read: open it in Excel and save it again",
            "pt-BR": "A aba '{sheet}' de {file} está corrompida e não pode ser lida: abra-a no Excel e salve novamente",
        },
        "file_is_a_folder": {"en": "{file} is a folder: give the workbook or CSV file in it to import",
                             "pt-BR": "{file} é uma pasta: informe a planilha ou o arquivo CSV dentro dela"},
        "out_is_a_file": {"en": "{path} is a file: --out names the folder to write into",
                          "pt-BR": "{path} é um arquivo: --out indica a pasta onde escrever"},
        "csv_unclosed_quote": {
            "en": "{file}: a quote (\") opened on line {line} is not closed before the line ends, so {lines} lines "
                  "would be read as one cell; close it, or write it twice (\"\") inside a value, and import again",
            "pt-BR": "{file}: uma aspa (\") aberta na linha {line} não é fechada antes do fim da linha, e {lines} "
                     "linhas seriam lidas como uma célula; feche-a, ou escreva-a duas vezes (\"\") dentro de um "
                     "valor, e importe de novo",
        },
        "csv_unreadable": {
            "en": "{file} is not a readable CSV file: {detail}",
            "pt-BR": "{file} não é um arquivo CSV legível: {detail}",
        },
        "file_encrypted": {
            "en": "{file} is protected by a password: remove the password in Excel (File > Info) and try again",
            "pt-BR": "{file} está protegido por senha: remova a senha no Excel (Arquivo > Informações) e tente novamente",
        },
        "old_xls_format": {
            "en": "{file} is an old Excel 97-2003 workbook (.xls): save it as .xlsx and try again",
            "pt-BR": "{file} é uma pasta de trabalho antiga do Excel 97-2003 (.xls): salve-a como .xlsx e tente novamente",
        },
        "ods_format": {
            "en": "{file} is an OpenDocument spreadsheet (.ods): save it as .xlsx and try again",
            "pt-BR": "{file} é uma planilha OpenDocument (.ods): salve-a como .xlsx e tente novamente",
        },
        "xlsb_format": {
            "en": "{file} is an Excel binary workbook (.xlsb): save it as .xlsx and try again",
            "pt-BR": "{file} é uma pasta de trabalho binária do Excel (.xlsb): salve-a como .xlsx e tente novamente",
        },
        "several_data_sheets": {
            "en": "{file} has several sheets that could hold the {expected}: {sheets}. Keep the rows in one of them "
                  "(delete, hide or rename the others) and import again",
            "pt-BR": "{file} tem várias abas que podem conter os dados de {expected}: {sheets}. Deixe as linhas em "
                     "uma delas (exclua, oculte ou renomeie as outras) e importe de novo",
        },
        "no_data_sheet": {
            "en": "{file} is not a crmxl {expected} template: no sheet named {sheets} and no sheet with "
                  "its headers ({headers})",
            "pt-BR": "{file} não é um modelo crmxl de {expected}: nenhuma aba chamada {sheets} e nenhuma aba "
                     "com os seus cabeçalhos ({headers})",
        },
        "header_not_found": {
            "en": "Sheet '{sheet}' of {file}: none of its first {rows} rows holds the template's headers ({headers}); "
                  "put them in one row at the top",
            "pt-BR": "Aba '{sheet}' de {file}: nenhuma das suas primeiras {rows} linhas tem os cabeçalhos do modelo "
                     "({headers}); coloque-os em uma linha no topo",
        },
        "missing_columns": {
            "en": "Sheet '{sheet}' of {file} lacks the mandatory columns {columns} (expected "
                  "headers: {headers})",
            "pt-BR": "A aba '{sheet}' de {file} não tem as colunas obrigatórias {columns} (cabeçalhos "
                     "esperados: {headers})",
        },
        "wrong_template": {
            "en": "{file} is the {found} template; expected the {expected} template (sheet {sheets})",
            "pt-BR": "{file} é o modelo de {found}; esperado o modelo de {expected} (aba {sheets})",
        },
        "unknown_template": {
            "en": "{file} is stamped as template '{found}', which crmxl does not know; expected the {expected} "
                  "template",
            "pt-BR": "{file} está marcado como modelo '{found}', que o crmxl não conhece; esperado o modelo de "
                     "{expected}",
        },
        "report_sheet_missing": {
            "en": "Sheet '{sheet}' is no longer in {file}: the report cannot be written",
            "pt-BR": "A aba '{sheet}' não está mais em {file}: o relatório não pode ser gravado",
        },
        "template_version_unsupported": {
            "en": "{file} is version {version} of the {expected} template, which this crmxl cannot read: "
                  "download the current template (version {expected_version}) and copy the data into it",
            "pt-BR": "{file} é a versão {version} do modelo de {expected}, que este crmxl não consegue ler: "
                     "baixe o modelo atual (versão {expected_version}) e copie os dados para ele",
        },
        "template_version_newer": {
            "en": "{file} is version {version} of the {expected} template, made by a newer crmxl than this one "
                  "(which reads version {expected_version}): update crmxl on this computer, or copy the data into "
                  "this crmxl's template (version {expected_version})",
            "pt-BR": "{file} é a versão {version} do modelo de {expected}, feita por um crmxl mais novo que este "
                     "(que lê a versão {expected_version}): atualize o crmxl neste computador, ou copie os dados "
                     "para o modelo deste crmxl (versão {expected_version})",
        },
        "template_version_missing": {
            "en": "{file} has the {expected} template's stamp (sheet _crmxl) but the stamp has no version, so this "
                  "crmxl cannot tell whether it can read it: download the current template (version "
                  "{expected_version}) and copy the data into it",
            "pt-BR": "{file} tem o carimbo do modelo de {expected} (planilha _crmxl), mas o carimbo não tem versão, "
                     "e este crmxl não sabe se consegue lê-lo: baixe o modelo atual (versão {expected_version}) e "
                     "copie os dados para ele",
        },
        "package_too_large": {
            "en": "{file} would inflate to {size} MB ({part}) when opened: refused as a possible zip bomb",
            "pt-BR": "{file} ocuparia {size} MB ({part}) ao ser aberto: recusado como possível bomba zip",
        },
    }
)
