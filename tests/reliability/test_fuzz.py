"""Fuzzing the importer: mutated template workbooks give findings or a clean exit 2, never an exception,
and a dry run never writes."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmxl.schema import ACCOUNTS
from tests.conftest import table_dump

TEMPLATE = "workbook_templates/crmxl-accounts-template.xlsx"
CELLS = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40), st.integers(-10**15, 10**15), st.floats(allow_nan=False),
                  st.booleans(), st.dates(min_value=dt.date(1900, 3, 1)), st.sampled_from(
                      ["11.222.333/0001-81", "123456/SP", "MEDICAL", "agent.sp1", "Without Portfolio", "SP", "=1+1",
                       "#N/A", "Cardiologia;;x", "  ", "\t"]))
HEADERS = st.lists(st.sampled_from([c.header("en") for c in ACCOUNTS.columns]
                                   + [c.header("pt-BR").upper() for c in ACCOUNTS.columns] + ["???", "", "UF"]),
                   min_size=1, max_size=16)


@pytest.fixture(scope="module")
def template_bytes():
    with open(TEMPLATE, "rb") as handle:
        return handle.read()


def _check(cli, path, url):
    result = cli("import", "accounts", path, "--json", "--db", url)
    assert result.exit_code in (0, 1, 2), result
    assert "Traceback" not in result.stdout + result.stderr and "Unexpected error" not in result.stderr, result
    return result


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(headers=HEADERS, rows=st.lists(st.lists(CELLS, max_size=16), max_size=8))
def test_cell_values_and_header_spellings(cli, sqlite_demo_db, tmp_path, headers, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Accounts"
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    path = tmp_path / "fuzz.xlsx"
    book.save(path)
    before = table_dump(sqlite_demo_db.url, tables=("accounts", "contacts"))
    _check(cli, path, sqlite_demo_db.url)
    assert table_dump(sqlite_demo_db.url, tables=("accounts", "contacts")) == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(0, 20_000), st.integers(0, 255)), min_size=1, max_size=12),
       cut=st.none() | st.integers(100, 20_000))
def test_byte_level_mutations_of_the_zip(cli, sqlite_demo_db, tmp_path, template_bytes, flips, cut):
    data = bytearray(template_bytes)
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[:cut]
    path = tmp_path / "mutated.xlsx"
    path.write_bytes(bytes(data))
    _check(cli, path, sqlite_demo_db.url)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(part=st.sampled_from(["xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/workbook.xml", "[Content_Types].xml",
                             "xl/worksheets/sheet4.xml", "xl/sharedStrings.xml"]),
       junk=st.binary(max_size=200))
def test_mutated_parts_inside_a_valid_zip(cli, sqlite_demo_db, tmp_path, template_bytes, part, junk):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template_bytes)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.namelist():
            content = source.read(item)
            target.writestr(item, content[: len(content) // 2] + junk if item == part else content)
    path = tmp_path / "parts.xlsx"
    path.write_bytes(out.getvalue())
    _check(cli, path, sqlite_demo_db.url)
