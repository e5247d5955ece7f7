"""The wizard's words in English and Portuguese."""

from __future__ import annotations

from crmxl import i18n

TEXTS = {
    "web_title": ("crmxl", "crmxl"),
    "web_sign_in": ("Sign in", "Entrar"),
    "web_sign_out": ("Sign out", "Sair"),
    "web_login": ("Login", "Login"),
    "web_password": ("Password", "Senha"),
    "web_bad_login": ("Wrong login or password.", "Login ou senha incorretos."),
    "web_too_many": ("Too many failed attempts: wait a few minutes.", "Tentativas demais: aguarde alguns minutos."),
    "web_records": ("Records", "Cadastros"),
    "web_accounts": ("Accounts", "Contas"),
    "web_contacts": ("Contacts", "Contatos"),
    "web_import": ("Import", "Importar"),
    "web_export": ("Export", "Exportar"),
    "web_history": ("History", "Histórico"),
    "web_step1": ("Step 1 — download the model spreadsheet and fill it in. Red columns are mandatory.",
                  "Passo 1 — baixe a planilha modelo e preencha. As colunas vermelhas são obrigatórias."),
    "web_download_template": ("Download the model spreadsheet", "Baixar a planilha modelo"),
    "web_step2": ("Step 2 — select the filled spreadsheet.", "Passo 2 — selecione a planilha preenchida."),
    "web_upload": ("UPLOAD", "ENVIAR"),
    "web_reading": ("Reading the file…", "Lendo o arquivo…"),
    "web_allow_transfers": ("Allow moving accounts between portfolios", "Permitir transferir contas entre carteiras"),
    "web_correct": ("The data is correct.", "Os dados estão corretos."),
    "web_plan_done": ("This import was committed already (by another click on Next): see it in the History.",
                      "Esta importação já foi gravada (por outro clique em Avançar): veja-a no Histórico."),
    "web_correct_with_warnings": ("The data is correct, with {count:plural:warning:warnings}: read {count:one:it:them} "
                                  "before you go on.",
                                  "Os dados estão corretos, com {count:plural:aviso:avisos}: leia-{count:one:o:os} antes "
                                  "de continuar."),
    "web_warning": ("Warning: {errors:plural:error:errors} in {rows} of {total:plural:row:rows}.",
                    "Atenção: {errors:plural:erro:erros} em {rows} de {total:plural:linha:linhas}."),
    "web_close": ("Close", "Fechar"),
    "web_row": ("Row", "Linha"),
    "web_errors": ("Errors", "Erros"),
    "web_only_errors": ("Only rows with errors", "Só linhas com erros"),
    "web_all_rows": ("All rows", "Todas as linhas"),
    "web_download_report": ("Download the annotated workbook", "Baixar a planilha anotada"),
    "web_next": ("Next", "Avançar"),
    "web_plan": ("What Next will do", "O que Avançar fará"),
    "web_committed": ("Imported: batch {batch_id}.", "Importado: lote {batch_id}."),
    "web_stale": ("The data changed since this plan was made: it was planned again. Check it and press Next.",
                  "Os dados mudaram desde este plano: ele foi refeito. Confira e pressione Avançar."),
    "web_fix_first": ("Fix the errors and upload the file again: nothing was imported.",
                      "Corrija os erros e envie o arquivo de novo: nada foi importado."),
    "web_plan_gone": ("This upload has expired or is not yours: upload the file again.",
                      "Este envio expirou ou não é seu: envie o arquivo de novo."),
    "web_page": ("Page {page} of {pages}", "Página {page} de {pages}"),
    "web_profiles": ("Profiles", "Perfis"),
    "web_create_profile": ("Create Export Profile", "Criar Perfil de Exportação"),
    "web_name": ("Name", "Nome"),
    "web_entity": ("Entity", "Entidade"),
    "web_columns": ("Columns", "Colunas"),
    "web_filters": ("Filters", "Filtros"),
    "web_portfolios": ("Portfolios", "Carteiras"),
    "web_types": ("Account types", "Tipos de conta"),
    "web_profile": ("Profile", "Perfil"),
    "web_format": ("Format", "Formato"),
    "web_download": ("Download", "Baixar"),
    "web_save": ("Save", "Salvar"),
    "web_delete": ("Delete", "Excluir"),
    "web_profile_saved": ("Profile saved.", "Perfil salvo."),
    "web_batch": ("Batch", "Lote"),
    "web_kind": ("Kind", "Tipo"),
    "web_who": ("Who", "Quem"),
    "web_when": ("When (UTC)", "Quando (UTC)"),
    "web_file": ("File", "Arquivo"),
    "web_counts": ("Counts", "Contagens"),
    "web_status": ("Status", "Situação"),
    "web_undo": ("Undo", "Desfazer"),
    "web_undone": ("Batch {batch_id} undone (batch {undo_id}).", "Lote {batch_id} desfeito (lote {undo_id})."),
    "web_changes": ("Changes", "Alterações"),
    "web_forbidden": ("You may not do this.", "Você não pode fazer isso."),
    "web_csrf": ("The form expired or did not come from this site: reload the page and try again.",
                 "O formulário expirou ou não veio deste site: recarregue a página e tente de novo."),
    "web_unavailable": ("The database is not available right now. Nothing was written; try again in a moment.",
                        "O banco de dados não está disponível agora. Nada foi gravado; tente de novo em instantes."),
    "web_not_found": ("Not found.", "Não encontrado."),
    "web_back": ("Back", "Voltar"),
    "web_no_page": ("There is no page at {path}: open it from the menu.",
                    "Não existe página em {path}: abra-a pelo menu."),
    "web_wrong_method": ("{path} cannot be opened this way ({method}): use the page's buttons and the menu.",
                         "{path} não pode ser aberto assim ({method}): use os botões da página e o menu."),
    "web_bad_value": ("The page cannot use the value given for {fields}: open it from the menu or its links.",
                      "A página não pode usar o valor dado para {fields}: abra-a pelo menu ou pelos seus links."),
    "web_no_batches": ("No batches yet.", "Nenhum lote ainda."),
    "web_no_batches_dates": ("No batches in these days.", "Nenhum lote nesses dias."),
    "web_from": ("From (UTC)", "De (UTC)"),
    "web_to": ("To", "Até"),
    "web_filter": ("Filter", "Filtrar"),
    "web_all_dates": ("All dates", "Todas as datas"),
    "web_older": ("Older", "Mais antigos"),
    "web_more_warnings": ("… and {count} more: the annotated workbook lists them all.",
                          "… e mais {count}: a planilha anotada lista todos."),
    "web_api_docs": ("JSON API", "API JSON"),
    "web_api_auth": ("Every call needs a user's API token:", "Toda chamada precisa do token de API de um usuário:"),
    "web_api_schema": ("The OpenAPI schema, for tools:", "O esquema OpenAPI, para ferramentas:"),
    "web_api_name": ("Name", "Nome"),
    "web_api_in": ("In", "Onde"),
    "web_api_type": ("Type", "Tipo"),
    "web_api_required": ("Required", "Obrigatório"),
    "web_api_description": ("Description", "Descrição"),
    "web_api_responses": ("Answers (HTTP status)", "Respostas (status HTTP)"),
    "web_newer": ("Newer", "Mais novos"),
}

# a page's parameters as its user sees them (a 422 on a page names these, never the parameter's name)
FIELDS = {
    "batch_id": ("the batch number", "o número do lote"),
    "page": ("the page number", "o número da página"),
    "errors": ("“{web_only_errors}”", "“{web_only_errors}”"),
    "before": ("the {web_older} link", "o link {web_older}"),
    "after": ("the {web_newer} link", "o link {web_newer}"),
    "from": ("the “{web_from}” day", "o dia em “{web_from}”"),
    "to": ("the “{web_to}” day", "o dia em “{web_to}”"),
    "login": ("the login", "o login"),
    "password": ("the password", "a senha"),
    "file": ("the file", "o arquivo"),
    "name": ("the profile's name", "o nome do perfil"),
    "allow_transfers": ("“{web_allow_transfers}”", "“{web_allow_transfers}”"),
    "": ("one of its values", "um dos seus valores"),
}
LABELS = ("web_only_errors", "web_older", "web_newer", "web_from", "web_to", "web_allow_transfers")

i18n.register({code: {"en": en, "pt-BR": pt} for code, (en, pt) in TEXTS.items()})
i18n.register({f"web_field_{name or 'other'}": {"en": en, "pt-BR": pt} for name, (en, pt) in FIELDS.items()})


def field_words(name: str, lang: str) -> str:
    """The parameter ``name`` of a page in that page's words (a name no page shows: "one of its values")."""
    code = f"web_field_{name if name and name in FIELDS else 'other'}"
    return i18n.message(code, lang, **{key: i18n.message(key, lang) for key in LABELS})


def too_large_page(limit: int) -> str:
    mb = limit // 1_000_000
    return (f"<!doctype html><html><head><title>413</title></head><body><h1>File too large</h1>"
            f"<p>The file is larger than the upload limit of {mb} MB. / O arquivo passa do limite de {mb} MB.</p>"
            f"<p><a href=\"/\">Back / Voltar</a></p></body></html>")
