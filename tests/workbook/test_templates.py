"""The model workbooks: built from the schema, read back with openpyxl and python-calamine, opened by LibreOffice."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from crmxl.domain.enums import UFS
from crmxl.domain.specialties import default_specialties
from crmxl.schema import ACCOUNTS, CONTACTS, TEMPLATES
from crmxl.workbook.layout import NOTE_AUTHOR, Lists, write_model_workbook
from crmxl.workbook.reader import read_table
from crmxl.workbook.templates import build_all

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "workbook_templates"
CASES = [(tpl, lang) for tpl in TEMPLATES.values() for lang in ("en", "pt-BR")]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    return build_all(tmp_path_factory.mktemp("templates"))


def _key(tpl, lang):
    return tpl.id if lang == "en" else f"{tpl.id}_{lang}"


def test_committed_templates_are_exactly_what_the_schema_builds(built):
    committed = sorted(p.name for p in COMMITTED.glob("*.xlsx"))
    assert committed == sorted(p.name for p in built.values())
    for path in built.values():
        assert (COMMITTED / path.name).read_bytes() == path.read_bytes(), (
            f"{path.name} is stale: run `crmxl templates build --out workbook_templates`")


@pytest.mark.parametrize("tpl, lang", CASES, ids=[f"{t.id}-{l}" for t, l in CASES])
def test_headers_fills_notes_validations_and_stamp_with_openpyxl(built, tpl, lang):
    book = openpyxl.load_workbook(built[_key(tpl, lang)])
    assert book.sheetnames[0] == tpl.sheet(lang)
    sheet = book[tpl.sheet(lang)]
    headers = [c.value for c in sheet[1]]
    assert headers == [c.header(lang) for c in tpl.columns]
    for cell, col in zip(sheet[1], tpl.columns, strict=True):
        if col.mandatory:
            assert cell.value.endswith("*")
            assert cell.fill.fgColor.rgb == "FFC00000"
            assert cell.font.b and cell.font.color.rgb == "FFFFFFFF"
        else:
            assert cell.fill.fgColor.rgb != "FFC00000"
        assert cell.comment is not None and cell.comment.author == NOTE_AUTHOR
        assert col.example in cell.comment.text
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= 20
    sources = {dv.formula1 for dv in sheet.data_validations.dataValidation if dv.type == "list"}
    expected = {"crmxl_contact_types"} | ({"crmxl_account_types", "crmxl_portfolios", "crmxl_ufs"}
                                          if tpl is ACCOUNTS else set())
    assert sources == expected
    assert {"crmxl_account_types", "crmxl_ufs", "crmxl_portfolios", "crmxl_qualifications"} <= set(book.defined_names)
    stamp = book["_crmxl"]
    assert stamp.sheet_state == "veryHidden"
    assert [[c.value for c in row] for row in stamp.iter_rows()] == [
        ["template", tpl.id], ["version", tpl.version], ["lang", lang]]
    assert book.custom_doc_props["crmxl_template"].value == f"{tpl.id} {tpl.version}"
    instructions = "\n".join(str(c.value) for c in book.worksheets[1]["A"] if c.value)
    assert ("Sem Carteira" if lang == "pt-BR" else "Without Portfolio") in instructions or tpl is CONTACTS
    assert ("F" in instructions and "I" in instructions) or tpl is CONTACTS


@pytest.mark.parametrize("tpl, lang", CASES, ids=[f"{t.id}-{l}" for t, l in CASES])
def test_the_same_with_python_calamine(built, tpl, lang):
    book = CalamineWorkbook.from_path(str(built[_key(tpl, lang)]))
    names = book.sheet_names
    assert names[0] == tpl.sheet(lang) and "_crmxl" in names
    assert book.get_sheet_by_name(tpl.sheet(lang)).to_python()[0] == [c.header(lang) for c in tpl.columns]
    lists = book.get_sheet_by_name(names[2]).to_python()
    columns = list(zip(*lists, strict=False))
    assert list(columns[2][1:28]) == list(UFS)
    assert [q for q in columns[4][1:] if q] == default_specialties()
    assert ("Sem Carteira" if lang == "pt-BR" else "Without Portfolio") in columns[3]
    stamp = book.get_sheet_by_name("_crmxl").to_python()
    assert stamp[1] == ["version", tpl.version]


@pytest.mark.parametrize("tpl, lang", CASES, ids=[f"{t.id}-{l}" for t, l in CASES])
def test_the_importer_reads_an_empty_template(built, tpl, lang):
    table = read_table(built[_key(tpl, lang)], tpl)
    assert table.rows == [] and table.template_version == tpl.version and table.lang == lang


def test_formula_looking_values_stay_text_and_dates_are_dates(tmp_path):
    import datetime as dt

    path = tmp_path / "c.xlsx"
    write_model_workbook(path, CONTACTS, rows=[["=HYPERLINK(\"x\")", "+55 11", "-1", "@SUM(A1)", None, None, None,
                                                dt.date(1980, 12, 25)]])
    sheet = openpyxl.load_workbook(path)["Contacts"]
    assert [sheet.cell(2, c).data_type for c in range(1, 5)] == ["s"] * 4
    assert sheet["A2"].value == '=HYPERLINK("x")'
    assert sheet["H2"].is_date and sheet["H2"].number_format == "dd/mm/yyyy"


def test_a_portfolio_default_prefills_rows_that_still_read_as_blank(tmp_path):
    path = tmp_path / "a.xlsx"
    write_model_workbook(path, ACCOUNTS, lists=Lists(["agent.sp1"], ["Cardiologia"]), portfolio_default="agent.sp1")
    sheet = openpyxl.load_workbook(path)["Accounts"]
    assert sheet["D2"].value == sheet["D201"].value == "agent.sp1"
    assert read_table(path, ACCOUNTS).rows == []


def _soffice() -> str | None:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None and (os.environ.get("CI") or os.environ.get("CRMXL_REQUIRE_SOFFICE")):
        pytest.fail("soffice is required here (CI / CRMXL_REQUIRE_SOFFICE) but is not installed")
    if found is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
    return found


def test_libreoffice_opens_every_template(built, tmp_path):
    soffice = _soffice()
    out = tmp_path / "pdf"
    for path in built.values():
        proc = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                               "--convert-to", "pdf", "--outdir", str(out), str(path)],
                              capture_output=True, text=True, timeout=180)
        pdf = out / (path.stem + ".pdf")
        assert proc.returncode == 0 and pdf.exists() and pdf.stat().st_size > 1000, proc.stderr
