"""The model workbooks: built from the schema, read back with openpyxl and python-calamine, opened by LibreOffice."""

from __future__ import annotations

import csv
import dataclasses
import subprocess
import uuid
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from crmxl.domain.enums import UFS, WITHOUT_PORTFOLIO, WITHOUT_PORTFOLIO_PT
from crmxl.domain.specialties import default_specialties
from crmxl.domain.text import sorted_names
from crmxl.schema import ACCOUNTS, CONTACTS, INSTRUCTIONS_SHEET, LISTS_SHEET, STAMP_SHEET, TEMPLATES, Kind
from crmxl.workbook.layout import NOTE_AUTHOR
from crmxl.workbook.reader import read_table
from crmxl.workbook.templates import build_all, build_template, template_filename
from tests.conftest import soffice_binary

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "workbook_templates"
CASES = [(tpl, lang) for tpl in TEMPLATES.values() for lang in ("en", "pt-BR")]
IDS = [f"{t.id}-{lang}" for t, lang in CASES]
RED = "FFC00000"
LIST_KINDS = {Kind.ACCOUNT_TYPE: "crmxl_account_types", Kind.CONTACT_TYPE: "crmxl_contact_types",
              Kind.UF: "crmxl_ufs", Kind.PORTFOLIO: "crmxl_portfolios"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    return build_all(tmp_path_factory.mktemp("templates"))


def _key(tpl, lang):
    return tpl.id if lang == "en" else f"{tpl.id}_{lang}"


def test_build_all_names_and_keys(built):
    assert set(built) == {"accounts", "contacts", "accounts_pt-BR", "contacts_pt-BR"}
    assert built["accounts"].name == "crmxl-accounts-template.xlsx"
    assert built["contacts_pt-BR"].name == "crmxl-contacts-template-pt-BR.xlsx"


def test_committed_templates_are_exactly_what_the_schema_builds(built):
    committed = sorted(p.name for p in COMMITTED.glob("*.xlsx"))
    assert committed == sorted(p.name for p in built.values())
    for path in built.values():
        assert (COMMITTED / path.name).read_bytes() == path.read_bytes(), (
            f"{path.name} is stale: run `crmxl templates build --out workbook_templates`")


@pytest.mark.parametrize("change", ["help", "mandatory", "version"])
def test_a_changed_schema_no_longer_matches_the_committed_templates(tmp_path, change):
    first = ACCOUNTS.columns[-1]
    if change == "help":
        cols = (*ACCOUNTS.columns[:-1], dataclasses.replace(first, help_en=first.help_en + " Changed."))
        tpl = dataclasses.replace(ACCOUNTS, columns=cols)
    elif change == "mandatory":
        cols = (*ACCOUNTS.columns[:-1], dataclasses.replace(first, mandatory=True))
        tpl = dataclasses.replace(ACCOUNTS, columns=cols)
    else:
        tpl = dataclasses.replace(ACCOUNTS, version=ACCOUNTS.version + ".1")
    name = template_filename(ACCOUNTS)
    path = build_template(tpl, tmp_path / name)
    assert path.read_bytes() != (COMMITTED / name).read_bytes()


def test_the_layouts_of_the_issue():
    """The contract with the managers, spelled out once here as they know it."""
    assert [c.header() for c in ACCOUNTS.columns] == [
        "Account Number*", "Account Name*", "Account Type*", "Portfolio*", "UF*", "Contact Name", "Contact Type",
        "Qualifications", "Contact Email", "City", "Address", "CEP", "Phone", "Email"]
    assert [c.header() for c in CONTACTS.columns] == [
        "Account Number*", "Contact Name*", "Identifier*", "Type*", "Qualifications", "Email", "Phone", "Birth Date"]
    assert [ACCOUNTS.column(f).header("pt-BR") for f in ("account_number", "portfolio")] == [
        "Número da Conta*", "Carteira*"]


@pytest.mark.parametrize("tpl, lang", CASES, ids=IDS)
def test_headers_fills_notes_validations_and_stamp_with_openpyxl(built, tpl, lang):
    book = openpyxl.load_workbook(built[_key(tpl, lang)])
    assert book.sheetnames == [tpl.sheet(lang), INSTRUCTIONS_SHEET[lang], LISTS_SHEET[lang], STAMP_SHEET]
    sheet = book[tpl.sheet(lang)]
    assert book.active.title == tpl.sheet(lang)
    assert [c.value for c in sheet[1]] == [c.header(lang) for c in tpl.columns]
    example = "Exemplo" if lang == "pt-BR" else "Example"
    for index, (cell, col) in enumerate(zip(sheet[1], tpl.columns, strict=True)):
        if col.mandatory:
            assert cell.value.endswith("*")
            assert cell.fill.fgColor.rgb == RED
            assert cell.font.b and cell.font.color.rgb == "FFFFFFFF"
        else:
            assert not cell.value.endswith("*") and cell.fill.fgColor.rgb != RED
        assert cell.comment is not None and cell.comment.author == NOTE_AUTHOR
        assert col.help(lang) in cell.comment.text and f"{example}: {col.example}" in cell.comment.text
        assert sheet.column_dimensions[cell.column_letter].width == pytest.approx(col.width, abs=1)
        assert index == tpl.fields.index(col.field)
    assert sheet.freeze_panes == "A2"

    by_letter = {}
    for dv in sheet.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            by_letter[openpyxl.utils.get_column_letter(rng.min_col)] = dv
    for col in tpl.columns:
        dv = by_letter.get(tpl.letter(col.field))
        if col.kind in LIST_KINDS:
            assert dv.type == "list" and dv.formula1 == LIST_KINDS[col.kind]
            assert dv.showInputMessage and dv.prompt
        elif col.kind == Kind.QUALIFICATIONS:
            assert dv.type in (None, "any") and LISTS_SHEET[lang] in dv.prompt and ";" in dv.prompt
        else:
            assert dv is None
    assert set(LIST_KINDS.values()) | {"crmxl_qualifications"} <= set(book.defined_names)

    stamp = book[STAMP_SHEET]
    assert stamp.sheet_state == "veryHidden"
    assert [[c.value for c in row] for row in stamp.iter_rows()] == [
        ["template", tpl.id], ["version", tpl.version], ["lang", lang]]
    assert book.custom_doc_props["crmxl_template"].value == f"{tpl.id} {tpl.version}"

    instructions = "\n".join(str(c.value) for c in book[INSTRUCTIONS_SHEET[lang]]["A"] if c.value)
    assert tpl.version in instructions and tpl.sheet(lang) in instructions
    assert ("vermelho" if lang == "pt-BR" else "red") in instructions
    if tpl is ACCOUNTS:
        assert (WITHOUT_PORTFOLIO_PT if lang == "pt-BR" else WITHOUT_PORTFOLIO) in instructions
        first, last = tpl.letter("contact_name"), tpl.letter("contact_email")
        assert f"{first} {'a' if lang == 'pt-BR' else 'to'} {last}" in instructions


@pytest.mark.parametrize("tpl, lang", CASES, ids=IDS)
def test_the_same_with_python_calamine(built, tpl, lang):
    book = CalamineWorkbook.from_path(str(built[_key(tpl, lang)]))
    assert book.sheet_names == [tpl.sheet(lang), INSTRUCTIONS_SHEET[lang], LISTS_SHEET[lang], STAMP_SHEET]
    assert book.get_sheet_by_name(tpl.sheet(lang)).to_python() == [[c.header(lang) for c in tpl.columns]]
    columns = list(zip(*book.get_sheet_by_name(LISTS_SHEET[lang]).to_python(), strict=False))
    assert [u for u in columns[2][1:] if u] == list(UFS)
    assert [q for q in columns[4][1:] if q] == sorted_names(default_specialties())  # in sort_key order
    assert [p for p in columns[3][1:] if p] == [WITHOUT_PORTFOLIO_PT if lang == "pt-BR" else WITHOUT_PORTFOLIO]
    assert book.get_sheet_by_name(STAMP_SHEET).to_python() == [
        ["template", tpl.id], ["version", tpl.version], ["lang", lang]]
    visible = {s.name: s.visible for s in book.sheets_metadata}
    assert str(visible[STAMP_SHEET]).lower().endswith("veryhidden")


@pytest.mark.parametrize("tpl, lang", CASES, ids=IDS)
def test_the_importer_reads_an_empty_template(built, tpl, lang):
    table = read_table(built[_key(tpl, lang)], tpl)
    assert table.rows == [] and table.template_version == tpl.version and table.lang == lang


def _convert(soffice: str, files: list[Path], fmt: str, out: Path, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([soffice, "--headless", f"-env:UserInstallation={profile.as_uri()}",
                           "--convert-to", fmt, "--outdir", str(out), *map(str, files)],
                          capture_output=True, text=True, timeout=120)


def test_libreoffice_opens_every_template(built, tmp_path):
    soffice = soffice_binary()
    profile = tmp_path / f"lo-profile-{uuid.uuid4().hex}"
    files = list(built.values())
    pdf = _convert(soffice, files, "pdf", tmp_path / "pdf", profile)
    for path in files:
        out = tmp_path / "pdf" / (path.stem + ".pdf")
        assert out.exists() and out.stat().st_size > 1000, pdf.stdout + pdf.stderr
        assert out.read_bytes().startswith(b"%PDF")
    # and LibreOffice read the cells as written: the first sheet, back to CSV, has the template's headers
    back = _convert(soffice, files, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path / "csv", profile)
    for tpl, lang in CASES:
        path = tmp_path / "csv" / (built[_key(tpl, lang)].stem + ".csv")
        assert path.exists(), back.stdout + back.stderr
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == [c.header(lang) for c in tpl.columns]


def test_the_stamp_lets_the_importer_accept_an_older_compatible_version_and_refuse_others(tmp_path):
    from crmxl.errors import UnusableInput

    older = build_template(dataclasses.replace(CONTACTS, version="0.9"), tmp_path / "old.xlsx")
    reading = dataclasses.replace(CONTACTS, compatible_versions=frozenset({"0.9"}))
    assert read_table(older, reading).template_version == "0.9"
    with pytest.raises(UnusableInput) as refused:
        read_table(older, CONTACTS)
    assert CONTACTS.id in str(refused.value) and CONTACTS.version in str(refused.value)
    with pytest.raises(UnusableInput) as wrong:
        read_table(build_template(ACCOUNTS, tmp_path / "accounts.xlsx"), CONTACTS)
    assert CONTACTS.id in str(wrong.value)
