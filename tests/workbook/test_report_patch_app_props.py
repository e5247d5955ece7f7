"""The patched report keeps ``docProps/app.xml`` listing the workbook's worksheets: the Summary sheet named
when it comes, an earlier run's gone when it goes; an unusual form is left as it was."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from defusedxml import ElementTree

from tests.validation.builders import write_xlsx
from tests.workbook.test_report_patch import report, rows, template

EP = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
VT = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"
APP = "docProps/app.xml"


def app_xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(APP)


def listed(path: Path) -> tuple[list[tuple[str, int]], list[str]]:
    """The heading pairs (group, count) and the titles of the parts ``docProps/app.xml`` lists."""
    root = ElementTree.fromstring(app_xml(path))
    variants = root.find(f"{EP}HeadingPairs/{VT}vector")
    values = [v[0].text for v in variants.iter(f"{VT}variant")]
    pairs = [(values[i], int(values[i + 1])) for i in range(0, len(values), 2)]
    titles = [t.text for t in root.find(f"{EP}TitlesOfParts/{VT}vector").iter(f"{VT}lpstr")]
    sizes = [int(v.get("size")) for v in root.iter(f"{VT}vector")]
    assert sizes == [len(values), len(titles)] and sum(n for _, n in pairs) == len(titles)
    return pairs, titles


def with_app_xml(path: Path, data: bytes) -> Path:
    with zipfile.ZipFile(path) as archive:
        items = [(i, archive.read(i)) for i in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, old in items:
            archive.writestr(info, data if info.filename == APP else old)
    return path


def test_the_summary_sheet_is_listed_and_an_earlier_one_no_longer(tmp_path):
    source = template(tmp_path / "in.xlsx")  # xlsxwriter's list: the worksheets but the very hidden one, names
    (sheets, names), titles = listed(source)
    assert sheets == ("Worksheets", 3) and names[0] == "Named Ranges"
    assert titles[:3] == ["Accounts", "Instructions", "Lists"] and len(titles) == 3 + names[1]
    first, _ = report(source, tmp_path / "first.xlsx")
    assert first.writer == "patch"
    assert listed(first.path) == ([("Worksheets", 4), names], [*titles[:3], "Summary", *titles[3:]])
    assert openpyxl.load_workbook(first.path).sheetnames == ["Accounts", "Instructions", "Lists", "_crmxl", "Summary"]
    # a rerun replaces the Summary under the same name: app.xml is kept as it was
    again, _ = report(first.path, tmp_path / "again.xlsx")
    assert app_xml(again.path) == app_xml(first.path)
    # in Portuguese the earlier Summary goes and "Resumo" comes
    other, _ = report(first.path, tmp_path / "other.xlsx", lang="pt-BR")
    assert other.writer == "patch"
    assert listed(other.path) == ([("Worksheets", 4), names], [*titles[:3], "Resumo", *titles[3:]])
    assert openpyxl.load_workbook(other.path).sheetnames[-1] == "Resumo"


APP_START = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.'
             b'openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/'
             b'officeDocument/2006/docPropsVTypes"><Application>Microsoft Excel</Application>')


def titles_xml(groups: list[tuple[str, list[str]]]) -> bytes:
    pairs = "".join(f"<vt:variant><vt:lpstr>{g}</vt:lpstr></vt:variant><vt:variant><vt:i4>{len(t)}</vt:i4>"
                    "</vt:variant>" for g, t in groups)
    titles = [t for _, items in groups for t in items]
    return (f'<HeadingPairs>\n  <vt:vector size="{2 * len(groups)}" baseType="variant">{pairs}</vt:vector>\n'
            f'</HeadingPairs><TitlesOfParts><vt:vector size="{len(titles)}" baseType="lpstr">'
            + "".join(f"<vt:lpstr>{t}</vt:lpstr>" for t in titles) + "</vt:vector></TitlesOfParts>").encode()


def test_the_worksheets_group_is_found_whatever_its_name(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", rows())  # Accounts, and a very hidden sheet
    groups = [("Planilhas", ["Accounts"]), ("Intervalos Nomeados", ["Accounts!Print_Area"])]
    with_app_xml(source, APP_START + titles_xml(groups) + b"<AppVersion>16.0300</AppVersion></Properties>")
    written, _ = report(source, tmp_path / "out.xlsx")
    assert written.writer == "patch"
    assert listed(written.path) == ([("Planilhas", 2), ("Intervalos Nomeados", 1)],
                                    ["Accounts", "Summary", "Accounts!Print_Area"])
    assert app_xml(written.path).endswith(b"<AppVersion>16.0300</AppVersion></Properties>")


@pytest.mark.parametrize("body", [
    # the list is stale already: it does not name the workbook's worksheets
    titles_xml([("Worksheets", ["Sheet1"])]),
    # counts that do not add up
    titles_xml([("Worksheets", ["Accounts"])]).replace(b"<vt:i4>1</vt:i4>", b"<vt:i4>2</vt:i4>"),
    # titles of another type
    titles_xml([("Worksheets", ["Accounts"])]).replace(b"lpstr>Accounts", b"lpwstr>Accounts"),
    # no list at all
    b"<DocSecurity>0</DocSecurity>",
])
def test_an_unusual_list_is_left_as_it_was(tmp_path, body):
    source = with_app_xml(write_xlsx(tmp_path / "in.xlsx", rows()), APP_START + body + b"</Properties>")
    written, _ = report(source, tmp_path / "out.xlsx")
    assert written.writer == "patch"
    assert app_xml(written.path) == APP_START + body + b"</Properties>"


def test_a_list_naming_the_summary_that_goes_elsewhere_is_left_as_it_was(tmp_path):
    first, _ = report(write_xlsx(tmp_path / "in.xlsx", rows()), tmp_path / "first.xlsx")
    data = APP_START + titles_xml([("Worksheets", ["Accounts", "Summary"]), ("Named Ranges",
                                   ["Summary!Print_Area"])]) + b"</Properties>"
    with_app_xml(first.path, data)
    other, _ = report(first.path, tmp_path / "other.xlsx", lang="pt-BR")
    assert other.writer == "patch" and openpyxl.load_workbook(other.path).sheetnames[-1] == "Resumo"
    assert app_xml(other.path) == data
