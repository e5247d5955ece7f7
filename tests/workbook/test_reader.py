"""Reading the data sheet: formats, sheet and header detection, blank rows, the stamp, unusable files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zipfile

import openpyxl
import pytest

from crmxl.errors import UnusableInput
from crmxl.schema import ACCOUNTS, CONTACTS
from crmxl.workbook.reader import read_table
from tests.validation.builders import DATA, account_row, contact_row, headers, write_csv, write_xlsx


def codes(table):
    return [f.code for f in table.findings]


def test_reads_a_stamped_workbook(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [account_row(), account_row("123456/SP", "Dr. Ana", "MEDICAL")])
    table = read_table(path, ACCOUNTS)
    assert table.sheet == "Accounts"
    assert table.template_version == ACCOUNTS.version
    assert table.lang == "en"
    assert table.header_row == 1
    assert [n for n, _ in table.rows] == [2, 3]
    assert table.rows[1][1][:3] == ["123456/SP", "Dr. Ana", "MEDICAL"]
    assert table.findings == []
    assert table.sha256 and len(table.sha256) == 64


def test_blank_and_whitespace_rows_are_skipped(tmp_path):
    blank = [None] * len(ACCOUNTS.fields)
    spaces = ["  ", "\t", " ", None, "   "] + [None] * 9
    path = write_xlsx(tmp_path / "a.xlsx", [account_row(), blank, spaces, account_row("22333444000172")])
    table = read_table(path, ACCOUNTS)
    assert [n for n, _ in table.rows] == [2, 5]


@pytest.mark.parametrize("spelling", [
    ["NÚMERO DA CONTA*", "nome da conta", "Tipo De Conta *", "carteira ", " uf*"],
    ["numero da conta", "Nome da Conta*", "tipo de conta", "CARTEIRA", "UF"],
])
def test_portuguese_headers_any_case_accents_stars_spaces(tmp_path, spelling):
    path = write_xlsx(tmp_path / "a.xlsx", [account_row()[:5]], header=spelling, lang="pt-BR", stamp=False)
    table = read_table(path, ACCOUNTS)
    assert table.sheet == "Contas"
    assert table.lang == "pt-BR"
    assert table.header_map.fields == {"account_number": 0, "name": 1, "type": 2, "portfolio": 3, "uf": 4}
    assert codes(table) == ["template_unstamped"]


def test_any_column_order_and_unknown_columns_are_reported(tmp_path):
    header = ["UF", "Comment", "Account Type", "Portfolio", "Account Name", "Account Number", "Account Type"]
    row = ["SP", "hello", "COMPANY", "agent.sp1", "X", "11222333000181", "MEDICAL"]
    path = write_xlsx(tmp_path / "a.xlsx", [row], header=header)
    table = read_table(path, ACCOUNTS)
    assert table.header_map.fields == {"uf": 0, "type": 2, "portfolio": 3, "name": 4, "account_number": 5}
    unknown = [f for f in table.findings if f.code == "unknown_column"]
    assert [(f.row, f.column, f.severity) for f in unknown] == [(1, "B", "warning")]
    assert "Comment" in unknown[0].message
    duplicate = [f for f in table.findings if f.code == "duplicate_column"]
    assert [(f.column, f.severity) for f in duplicate] == [("G", "warning")]
    assert "C" in duplicate[0].message


def test_a_column_without_a_header_that_holds_data_is_reported(tmp_path):
    header = ["Account Number", "Account Name", "Account Type", "Portfolio", "UF", None, "City", None]
    rows = [["123456/SP", "Dr. Ana", "MEDICAL", "agent.sp1", "SP", None, "Campinas", None],
            ["654321/SP", "Dr. Beto", "MEDICAL", "agent.sp1", "SP", "(11) 91234-5678", "Santos", None]]
    table = read_table(write_xlsx(tmp_path / "a.xlsx", rows, header=header), ACCOUNTS)
    unnamed = [f for f in table.findings if f.code == "unnamed_column"]
    assert [(f.row, f.column, f.severity) for f in unnamed] == [(1, "F", "warning")]  # H is empty throughout
    assert "row 3" in unnamed[0].message


def test_sheet_found_by_headers_when_not_named(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [account_row()], sheet="Planilha1", stamp=False,
                      extra_sheets={"Notes": [["my notes"], ["nothing here"]]})
    table = read_table(path, ACCOUNTS)
    assert table.sheet == "Planilha1"
    assert len(table.rows) == 1
    assert codes(table) == ["template_unstamped"]


def _sheets(path, sheets: dict[str, list[list]], hidden=()):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, grid in sheets.items():
        sheet = book.create_sheet(name)
        for row in grid:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


def test_several_sheets_that_could_hold_the_rows_are_refused_by_name(tmp_path):
    """Rows in a second sheet were silently left out while the first one's were imported as correct."""
    head, row, other = headers(ACCOUNTS), account_row(), account_row("45.997.418/0001-53", name="Outra")
    for sheets in ({"Accounts": [head, row], "Contas": [head, other]},  # both names of the sheet
                   {"Accounts": [head], "Accounts (2)": [head, row]},  # Excel's copy of the sheet holds the rows
                   {"Planilha1": [head, row], "Planilha2": [head, other]}):  # two unnamed sheets with the headers
        with pytest.raises(UnusableInput) as caught:
            read_table(_sheets(tmp_path / "two.xlsx", sheets), ACCOUNTS)
        assert caught.value.code == "several_data_sheets" and all(n in str(caught.value) for n in sheets if
                                                                  sheets[n][1:]), sheets


def test_the_visible_sheet_is_read_not_a_hidden_one_of_the_same_name(tmp_path):
    path = _sheets(tmp_path / "h.xlsx", {"Accounts": [headers(ACCOUNTS), account_row(name="Old")],
                                        "Contas": [headers(ACCOUNTS), account_row(name="New")]}, hidden=("Accounts",))
    table = read_table(path, ACCOUNTS)
    assert table.sheet == "Contas" and [values[1] for _, values in table.rows] == ["New"]
    only_hidden = _sheets(tmp_path / "o.xlsx", {"Accounts": [headers(ACCOUNTS), account_row()], "Notes": [["x"]]},
                          hidden=("Accounts",))
    assert read_table(only_hidden, ACCOUNTS).sheet == "Accounts"
    copy_shown = _sheets(tmp_path / "s.xlsx", {"Accounts": [headers(ACCOUNTS), account_row(name="Old")],
                                               "Accounts (2)": [headers(ACCOUNTS), account_row(name="New")]},
                         hidden=("Accounts",))
    assert read_table(copy_shown, ACCOUNTS).sheet == "Accounts (2)"  # the visible copy, not the hidden original
    copy_kept_empty = _sheets(tmp_path / "c.xlsx", {"Accounts": [headers(ACCOUNTS), account_row()],
                                                    "Accounts (2)": [headers(ACCOUNTS)]})
    assert len(read_table(copy_kept_empty, ACCOUNTS).rows) == 1


def test_a_csv_quote_never_closed_is_refused_naming_its_line(tmp_path):
    """csv would read every line after it into one cell: six rows neither imported nor reported."""
    head = ";".join(headers(ACCOUNTS))
    lines = [head, '11.222.333/0001-81;"Unclosed;COMPANY;agent.sp1;SP'] + [
        f"45.997.418/0001-5{i};Row {i};COMPANY;agent.sp1;SP" for i in range(6)]
    path = tmp_path / "stray.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(UnusableInput) as caught:
        read_table(path, ACCOUNTS)
    assert caught.value.code == "csv_unclosed_quote" and "opened on line 2" in str(caught.value)
    quoted = tmp_path / "quoted.csv"  # a real line break inside a quoted address is fine
    row = ["11.222.333/0001-81", "Ana", "COMPANY", "agent.sp1", "SP"] + [""] * (len(ACCOUNTS.fields) - 5)
    row[ACCOUNTS.fields.index("address")] = '"Rua A, 10\nfundos"'
    quoted.write_text(head + "\n" + ";".join(row) + "\n", encoding="utf-8")
    table = read_table(quoted, ACCOUNTS)
    assert len(table.rows) == 1 and "Rua A, 10\nfundos" in table.rows[0][1]


def test_a_header_row_far_down_or_missing_columns_get_the_right_message(tmp_path):
    titles = [[f"Title line {i}"] for i in range(11)]
    path = _sheets(tmp_path / "low.xlsx", {"Accounts": [*titles, headers(ACCOUNTS), account_row()]})
    assert read_table(path, ACCOUNTS).header_row == 12  # below eleven title rows
    far = _sheets(tmp_path / "far.xlsx", {"Accounts": [*([["x"]] * 30), headers(ACCOUNTS), account_row()]})
    with pytest.raises(UnusableInput) as caught:
        read_table(far, ACCOUNTS)
    assert caught.value.code == "header_not_found" and "first 20 rows" in str(caught.value)
    two = tmp_path / "two.csv"
    two.write_text("Account Number*;Account Name*\n11.222.333/0001-81;Ana\n", encoding="utf-8")
    with pytest.raises(UnusableInput) as caught:
        read_table(two, ACCOUNTS)
    assert caught.value.code == "missing_columns"
    named = str(caught.value).split("(expected")[0]
    assert "Account Type*" in named and "Account Name*" not in named  # only what is missing


def test_header_row_below_a_title(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Accounts"
    ws.append(["My accounts for March"])
    ws.append([])
    ws.append(headers(ACCOUNTS))
    ws.append(account_row())
    book.save(tmp_path / "a.xlsx")
    table = read_table(tmp_path / "a.xlsx", ACCOUNTS)
    assert table.header_row == 3
    assert [n for n, _ in table.rows] == [4]


def test_values_are_taken_as_typed(tmp_path):
    born = dt.date(1980, 12, 25)
    path = write_xlsx(tmp_path / "c.xlsx", [contact_row(birth_date=born, phone=11912345678)], tpl=CONTACTS)
    book = openpyxl.load_workbook(path)
    book["Contacts"]["A2"] = 1222333000181  # a CNPJ typed as a number
    book.save(path)
    table = read_table(path, CONTACTS)
    raw = table.rows[0][1]
    assert raw[0] == 1222333000181
    assert raw[CONTACTS.fields.index("birth_date")] in (born, dt.datetime(1980, 12, 25))
    assert raw[CONTACTS.fields.index("phone")] == 11912345678


def test_hidden_key_columns_are_mapped(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [account_row()], hidden_keys=[(17, 3)])
    table = read_table(path, ACCOUNTS)
    assert table.header_map.hidden == {"_id": 14, "_version": 15}
    assert table.rows[0][1][14:16] == [17, 3]


@pytest.mark.parametrize("sep", [";", ","])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "cp1252"])
def test_csv_separators_and_encodings(tmp_path, sep, encoding):
    rows = [account_row(name="Clínica São José, Ltda"), [None] * 14, account_row("22333444000172", "Ação")]
    path = write_csv(tmp_path / "a.csv", rows, lang="pt-BR", sep=sep, encoding=encoding)
    table = read_table(path, ACCOUNTS)
    assert table.lang == "pt-BR"
    assert [n for n, _ in table.rows] == [2, 4]
    assert table.rows[0][1][:2] == ["11222333000181", "Clínica São José, Ltda"]
    assert table.rows[1][1][1] == "Ação"
    assert codes(table) == ["template_unstamped"]


def test_older_compatible_version_is_accepted_with_a_notice(tmp_path):
    tpl = dataclasses.replace(ACCOUNTS, compatible_versions=frozenset({"0.9"}))
    path = write_xlsx(tmp_path / "a.xlsx", [account_row()], stamp=("accounts", "0.9", "en"))
    table = read_table(path, tpl)
    assert table.template_version == "0.9"
    notice = [f for f in table.findings if f.code == "template_version_older"]
    assert notice and notice[0].severity == "notice" and "0.9" in notice[0].message


# unusable files -----------------------------------------------------------------------------------------

def unusable(path, tpl=ACCOUNTS) -> UnusableInput:
    with pytest.raises(UnusableInput) as info:
        read_table(path, tpl)
    return info.value


def test_file_not_found(tmp_path):
    error = unusable(tmp_path / "nope.xlsx")
    assert error.code == "file_not_found" and "nope.xlsx" in str(error)


def test_not_a_spreadsheet(tmp_path):
    (tmp_path / "x.xlsx").write_bytes(b"\x00\x01binary junk" * 100)
    assert unusable(tmp_path / "x.xlsx").code == "not_a_spreadsheet"
    (tmp_path / "y.bin").write_bytes(b"\x00\x01binary junk" * 100)
    assert unusable(tmp_path / "y.bin").code == "not_a_spreadsheet"
    with zipfile.ZipFile(tmp_path / "doc.xlsx", "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    error = unusable(tmp_path / "doc.xlsx")
    assert error.code == "not_a_spreadsheet" and "doc.xlsx" in str(error)


def test_empty_file(tmp_path):
    (tmp_path / "e.csv").write_bytes(b"")
    assert unusable(tmp_path / "e.csv").code == "empty_file"


def test_corrupted_workbook(tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", [account_row()]).read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(good[: len(good) // 2])
    error = unusable(tmp_path / "cut.xlsx")
    assert error.code == "corrupted_file" and "cut.xlsx" in str(error)
    with zipfile.ZipFile(tmp_path / "good.xlsx") as source, zipfile.ZipFile(tmp_path / "bad.xlsx", "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    assert unusable(tmp_path / "bad.xlsx").code in ("corrupted_file", "corrupted_sheet")


def test_encrypted_workbook():
    error = unusable(DATA / "encrypted.xlsx")
    assert error.code == "file_encrypted" and "encrypted.xlsx" in str(error)


def test_old_xls():
    error = unusable(DATA / "old.xls")
    assert error.code == "old_xls_format" and ".xlsx" in str(error)


def test_ods(tmp_path):
    with zipfile.ZipFile(tmp_path / "a.ods", "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    assert unusable(tmp_path / "a.ods").code == "ods_format"


def test_no_data_sheet_names_the_expected_sheets(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [["a", "b"]], sheet="Plan1", header=["Foo", "Bar"], stamp=False)
    error = unusable(path)
    assert error.code == "no_data_sheet"
    text = str(error)
    assert "Accounts" in text and "Contas" in text and "a.xlsx" in text
    assert "nenhuma aba" in error.render("pt-BR")


def test_missing_mandatory_columns_are_named(tmp_path):
    header = ["Account Number", "Account Name", "Account Type"]
    path = write_xlsx(tmp_path / "a.xlsx", [account_row()[:3]], header=header)
    error = unusable(path)
    assert error.code == "missing_columns"
    assert "Portfolio" in str(error) and "UF" in str(error) and "'Accounts'" in str(error)


def test_stamp_of_the_other_template(tmp_path):
    path = write_xlsx(tmp_path / "c.xlsx", [contact_row()], tpl=CONTACTS)
    error = unusable(path, ACCOUNTS)
    assert error.code == "wrong_template"
    assert "contacts template; expected the accounts template" in str(error)


def test_unstamped_sheet_of_the_other_template(tmp_path):
    path = write_xlsx(tmp_path / "c.xlsx", [contact_row()], tpl=CONTACTS, stamp=False)
    assert unusable(path, ACCOUNTS).code == "wrong_template"


def test_unknown_template_stamp(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [account_row()], stamp=("invoices", "1.0", "en"))
    error = unusable(path)
    assert error.code == "unknown_template" and "accounts" in str(error)


def test_unreadable_template_version(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [account_row()], stamp=("accounts", "7.0", "en"))
    error = unusable(path)
    assert error.code == "template_version_newer"
    assert "7.0" in str(error) and ACCOUNTS.version in str(error)
    older = write_xlsx(tmp_path / "b.xlsx", [account_row()], stamp=("accounts", "0.1", "en"))
    assert unusable(older).code == "template_version_unsupported"
