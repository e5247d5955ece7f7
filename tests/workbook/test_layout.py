"""The model-workbook writer: layout from the schema, values as typed, dropdowns over every row, streaming."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string, get_column_letter

from crmxl.domain.enums import UFS, WITHOUT_PORTFOLIO, WITHOUT_PORTFOLIO_PT, AccountType, ContactType
from crmxl.schema import ACCOUNTS, CONTACTS, KEY_HEADER, LISTS_SHEET, VERSION_HEADER, Kind
from crmxl.workbook.layout import PREFILL_ROWS, Lists, write_model_workbook
from crmxl.workbook.reader import read_table

LAST_EXCEL_ROW = 1_048_576
LIST_KINDS = {Kind.ACCOUNT_TYPE: "crmxl_account_types", Kind.CONTACT_TYPE: "crmxl_contact_types",
              Kind.UF: "crmxl_ufs", Kind.PORTFOLIO: "crmxl_portfolios"}


def _account_row(i: int, tpl=ACCOUNTS) -> list:
    values = {"account_number": f"{100000 + i}/SP", "name": f"Dr. Número {i}", "type": "MEDICAL",
              "portfolio": "agent.sp1", "uf": "SP", "contact_name": f"Dr. Número {i}", "contact_type": "DOCTOR",
              "qualifications": "Cardiologia", "contact_email": f"n{i}@example.com", "city": "São Paulo",
              "address": "Av. Paulista, 1000", "cep": "01310-100", "phone": "(11) 91234-5678",
              "email": f"c{i}@example.com"}
    return [values[f] for f in tpl.fields]


def _validations(sheet) -> dict[str, tuple[str, str]]:
    """column letter -> (type, formula1) of the validation covering that column from row 2."""
    out = {}
    for dv in sheet.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            assert rng.min_row == 2 and rng.min_col == rng.max_col
            out[get_column_letter(rng.min_col)] = (dv.type or "any", dv.formula1, rng.max_row)
    return out


def test_a_subset_of_columns_in_the_given_order_with_hidden_keys(tmp_path):
    path = tmp_path / "export.xlsx"
    fields = ["name", "account_number", "city", "portfolio", "uf", "type"]
    count = write_model_workbook(path, ACCOUNTS, columns=fields, with_keys=True,
                                 rows=[["Clínica A", "12.345.678/0001-95", "", "agent.sp1", "SP", "COMPANY", 41, 7],
                                       ["Clínica B", "11.222.333/0001-81", "Rio", WITHOUT_PORTFOLIO, "RJ", "COMPANY",
                                        42, 3]])
    assert count == 2
    sheet = openpyxl.load_workbook(path)[ACCOUNTS.sheet()]
    assert [c.value for c in sheet[1]] == [ACCOUNTS.column(f).header() for f in fields] + [KEY_HEADER, VERSION_HEADER]
    assert [c.value for c in sheet[3]] == ["Clínica B", "11.222.333/0001-81", "Rio", WITHOUT_PORTFOLIO, "RJ",
                                           "COMPANY", 42, 3]
    hidden = set()
    for dim in sheet.column_dimensions.values():
        if dim.hidden:
            hidden.update(range(dim.min, dim.max + 1))
    assert hidden == {len(fields) + 1, len(fields) + 2}  # only the key and version columns
    validations = _validations(sheet)
    assert validations[get_column_letter(fields.index("portfolio") + 1)][1] == "crmxl_portfolios"
    assert validations[get_column_letter(fields.index("uf") + 1)][1] == "crmxl_ufs"
    assert validations[get_column_letter(fields.index("type") + 1)][1] == "crmxl_account_types"
    assert set(validations) == {get_column_letter(fields.index(f) + 1) for f in ("portfolio", "uf", "type")}

    table = read_table(path, ACCOUNTS)  # what an export writes, the importer reads back with its keys
    assert table.header_map.hidden == {"_id": len(fields), "_version": len(fields) + 1}
    assert table.header_map.fields == {f: i for i, f in enumerate(fields)}
    assert [(r[0], r[1][-2:]) for r in table.rows] == [(2, [41, 7]), (3, [42, 3])]


def test_values_are_written_as_typed_and_strings_never_become_formulas(tmp_path):
    path = tmp_path / "c.xlsx"
    risky = ['=HYPERLINK("http://x","click")', "+55 11 91234-5678", "-1", "@SUM(A1)"]
    write_model_workbook(path, CONTACTS, rows=[
        [*risky, None, "", 3.5, dt.date(1980, 12, 25)],
        ["00123/SP", "Ana", "00123/SP", "DOCTOR", "Cardiologia; Pediatria", True, Decimal("12.50"),
         dt.datetime(1990, 1, 2, 0, 0)],
        ["1/SP", "Old", "1/SP", "DOCTOR", None, None, None, dt.date(80, 12, 25)],  # stored before dates were checked
    ])
    sheet = openpyxl.load_workbook(path)[CONTACTS.sheet()]
    assert [sheet.cell(2, c).value for c in range(1, 5)] == risky
    assert [sheet.cell(2, c).data_type for c in range(1, 5)] == ["s"] * 4
    assert sheet["E2"].value is None and sheet["F2"].value is None  # None and "" leave the cell empty
    assert sheet["G2"].value == 3.5 and sheet["G2"].data_type == "n"
    assert sheet["A3"].value == "00123/SP"  # leading zeros kept: it is text
    assert sheet["F3"].value is True and sheet["G3"].value == 12.5
    birth = CONTACTS.letter("birth_date")
    for row in (2, 3):
        cell = sheet[f"{birth}{row}"]
        assert cell.is_date and cell.number_format == "dd/mm/yyyy"
    assert sheet[f"{birth}2"].value.date() == dt.date(1980, 12, 25)
    assert sheet[f"{birth}3"].value.date() == dt.date(1990, 1, 2)
    assert sheet[f"{birth}4"].value == "25/12/0080"  # no Excel date before 1900: the text the importer reads back


@pytest.mark.parametrize("tpl", [ACCOUNTS, CONTACTS], ids=lambda t: t.id)
def test_dropdowns_cover_every_row_not_just_the_data(tmp_path, tpl):
    rows = 1_500
    path = tmp_path / "big.xlsx"
    write_model_workbook(path, tpl, rows=(_account_row(i, ACCOUNTS) if tpl is ACCOUNTS else
                                          ["1/SP", "Ana", "1/SP", "DOCTOR", "", "", "", None]
                                          for i in range(rows)))
    sheet = openpyxl.load_workbook(path, read_only=False)[tpl.sheet()]
    validations = _validations(sheet)
    for index, col in enumerate(tpl.columns):
        letter = get_column_letter(index + 1)
        if col.kind in LIST_KINDS:
            kind, formula, last = validations[letter]
            assert (kind, formula) == ("list", LIST_KINDS[col.kind])
            assert last == LAST_EXCEL_ROW > rows
        elif col.kind == Kind.QUALIFICATIONS:
            kind, _formula, last = validations[letter]
            assert kind == "any" and last == LAST_EXCEL_ROW  # a prompt, so that "A; B" is never refused
    assert sheet.max_row == rows + 1


def test_the_lists_sheet_feeds_the_named_ranges(tmp_path):
    path = tmp_path / "a.xlsx"
    write_model_workbook(path, ACCOUNTS, lang="pt-BR",
                         lists=Lists(logins=["agent.b", "agent.a"], qualifications=["Cardiologia", "Pediatria"]))
    book = openpyxl.load_workbook(path)
    lists = book[LISTS_SHEET["pt-BR"]]
    columns = [[c for c in col if c is not None] for col in zip(*lists.iter_rows(min_row=2, values_only=True),
                                                                strict=True)]
    assert columns[0] == [t.value for t in AccountType]
    assert columns[1] == [t.value for t in ContactType]
    assert columns[2] == list(UFS)
    assert columns[3] == ["agent.b", "agent.a", WITHOUT_PORTFOLIO_PT]
    assert columns[4] == ["Cardiologia", "Pediatria"]
    for name, letter in (("crmxl_account_types", "A"), ("crmxl_ufs", "C")):
        (sheet_name, cells), = book.defined_names[name].destinations
        assert sheet_name == LISTS_SHEET["pt-BR"]
        first, last = cells.replace("$", "").split(":")
        values = [c.value for (c,) in lists[first:last]]
        assert values == columns[column_index_from_string(letter) - 1]
    for name, letter in (("crmxl_portfolios", "D"), ("crmxl_qualifications", "E")):
        assert f"{LISTS_SHEET['pt-BR']}!${letter}$2" in book.defined_names[name].attr_text  # grows with the column


def test_a_portfolio_default_prefills_the_rows_after_the_data(tmp_path):
    path = tmp_path / "a.xlsx"
    data = [_account_row(i) for i in range(3)]
    data[1][ACCOUNTS.fields.index("portfolio")] = WITHOUT_PORTFOLIO
    write_model_workbook(path, ACCOUNTS, lists=Lists(["agent.sp1"], ["Cardiologia"]), rows=data,
                         portfolio_default="agent.rs1")
    sheet = openpyxl.load_workbook(path)[ACCOUNTS.sheet()]
    portfolio = ACCOUNTS.letter("portfolio")
    assert [sheet[f"{portfolio}{r}"].value for r in (2, 3, 4)] == ["agent.sp1", WITHOUT_PORTFOLIO, "agent.sp1"]
    assert sheet[f"{portfolio}5"].value == sheet[f"{portfolio}{4 + PREFILL_ROWS}"].value == "agent.rs1"
    assert sheet[f"{portfolio}{5 + PREFILL_ROWS}"].value is None
    table = read_table(path, ACCOUNTS)  # pre-filled rows with nothing else are blank to the importer
    assert [r[0] for r in table.rows] == [2, 3, 4]


def test_rows_stream_in_constant_memory(tmp_path):
    fields = ["account_number", "name", "portfolio"]

    def peak(n: int) -> int:
        def rows():
            for i in range(n):
                yield [f"{i}/SP", f"Dr. {i}", "agent.sp1"]

        seen = []
        tracemalloc.start()
        count = write_model_workbook(tmp_path / f"{n}.xlsx", ACCOUNTS, columns=fields, rows=rows(),
                                     progress=lambda stage, done, total=None: seen.append((done, total)))
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert count == n and seen[-1] == (n, n)
        return top

    small, large = peak(2_000), peak(40_000)
    assert large < small * 2 + 2_000_000  # 20x the rows, not 20x the memory


def test_the_same_input_builds_the_same_bytes(tmp_path):
    def build(name: str, logins: list[str]) -> bytes:
        write_model_workbook(tmp_path / name, ACCOUNTS, lists=Lists(logins, ["Cardiologia"]),
                             rows=[_account_row(1)], portfolio_default="agent.sp1")
        return (tmp_path / name).read_bytes()

    assert build("a.xlsx", ["agent.sp1"]) == build("b.xlsx", ["agent.sp1"])
    assert build("c.xlsx", ["agent.sp1", "agent.sp2"]) != build("d.xlsx", ["agent.sp1"])


def test_awkward_text_and_the_sheet_extent_survive_the_row_writer(tmp_path):
    from python_calamine import CalamineWorkbook

    awkward = ["  leading", "trailing  ", "a & b < c > d", "line\nbreak", "tab\there", "bell\x07",
               "_x0041_ stays literal", "ção ü 漢字 🙂", "\"quotes\" 'apos'", "]]>"]
    path = tmp_path / "a.xlsx"
    name = ACCOUNTS.fields.index("name")
    rows = [[None] * name + [text] for text in awkward]
    assert write_model_workbook(path, ACCOUNTS, rows=iter(rows), with_keys=True) == len(awkward)
    letter = get_column_letter(name + 1)
    sheet = openpyxl.load_workbook(path)[ACCOUNTS.sheet()]
    # openpyxl leaves the OOXML escapes (a control character, a literal _xHHHH_) as they are; Excel decodes them
    expected = [t.replace("\x07", "_x0007_").replace("_x0041_", "_x005F_x0041_") for t in awkward]
    assert [sheet[f"{letter}{r}"].value for r in range(2, 2 + len(awkward))] == expected
    read_only = openpyxl.load_workbook(path, read_only=True)[ACCOUNTS.sheet()]
    keys = 4  # the row's key and version, its contact's key and version
    assert read_only.max_row == len(awkward) + 1 and read_only.max_column == len(ACCOUNTS.fields) + keys
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(ACCOUNTS.sheet()).to_python()
    assert [row[name] for row in grid[1:]] == awkward
