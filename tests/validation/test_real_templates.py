"""Reading, validating and reporting on the model workbooks the template builder writes."""

from __future__ import annotations

import openpyxl
import pytest

from crmxl.schema import ACCOUNTS, CONTACTS
from crmxl.validation import validate_cells
from crmxl.workbook.reader import read_table
from crmxl.workbook.report import ERROR_FILL, write_report
from tests.validation.builders import account_row, cnpj, contact_row

layout = pytest.importorskip("crmxl.workbook.layout")


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_filled_template_round_trip(tmp_path, lang):
    path = tmp_path / "accounts.xlsx"
    rows = [account_row(cnpj("112223330001")), account_row(cnpj("223334440001"), type_="COMPANHIA")]
    layout.write_model_workbook(path, ACCOUNTS, lang=lang, rows=rows)
    table = read_table(path, ACCOUNTS)
    assert table.template_version == ACCOUNTS.version
    assert table.lang == lang
    first = table.header_row + 1
    assert [n for n, _ in table.rows] == [first, first + 1]
    result = validate_cells(table, lang=lang)
    assert {(f.row, f.column) for f in result.findings} == {(first + 1, "C")}

    before = openpyxl.load_workbook(path)
    out = write_report(table, result, tmp_path / "report.xlsx", lang=lang)
    after = openpyxl.load_workbook(out)
    assert after.sheetnames[: len(before.sheetnames)] == before.sheetnames
    for name in before.sheetnames:
        b, a = before[name], after[name]
        assert a.sheet_state == b.sheet_state
        assert len(a.data_validations.dataValidation) == len(b.data_validations.dataValidation)
        assert {k: v.width for k, v in a.column_dimensions.items() if k in b.column_dimensions} == \
            {k: v.width for k, v in b.column_dimensions.items()}
    sheet = after[table.sheet]
    assert sheet[f"C{first + 1}"].fill.fgColor.rgb == ERROR_FILL
    assert read_table(out, ACCOUNTS).template_version == ACCOUNTS.version


def test_empty_template_has_no_rows(tmp_path):
    path = tmp_path / "contacts.xlsx"
    layout.write_model_workbook(path, CONTACTS)
    table = read_table(path, CONTACTS)
    assert table.rows == [] and [f.code for f in table.findings] == ["no_data_rows"]
    assert [f.code for f in validate_cells(table).findings] == ["no_data_rows"]


def test_export_layout_with_keys(tmp_path):
    path = tmp_path / "export.xlsx"
    layout.write_model_workbook(path, CONTACTS, rows=[contact_row() + [41, 7]], with_keys=True)
    table = read_table(path, CONTACTS)
    record = validate_cells(table).records[0]
    assert (record.key_id, record.key_version) == (41, 7)
