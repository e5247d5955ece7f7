"""Build input workbooks and CSV files for the reading / validation / report tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from stdnum.br import cnpj as stdnum_cnpj

from crmxl.schema import ACCOUNTS, CONTACTS, STAMP_SHEET, Template

DATA = Path(__file__).parent / "data"


def cnpj(base: str) -> str:
    """A valid compact CNPJ from its first 12 characters."""
    return base + stdnum_cnpj.calc_check_digits(base)


def headers(tpl: Template, lang: str = "en", fields: Sequence[str] | None = None) -> list[str]:
    chosen = fields or tpl.fields
    return [tpl.column(f).header(lang) for f in chosen]


def account_row(number: str = "11222333000181", name: str = "Clínica Boa Saúde", type_: str = "COMPANY",
                portfolio: str = "agent.sp1", uf: str = "SP", **extra: Any) -> list[Any]:
    values = {"account_number": number, "name": name, "type": type_, "portfolio": portfolio, "uf": uf, **extra}
    return [values.get(f) for f in ACCOUNTS.fields]


def contact_row(number: str = "123456/SP", name: str = "Dr. João Lima", identifier: str | None = None,
                type_: str = "DOCTOR", **extra: Any) -> list[Any]:
    values = {"account_number": number, "name": name, "identifier": identifier or number, "type": type_, **extra}
    return [values.get(f) for f in CONTACTS.fields]


def write_xlsx(path: Path, rows: Iterable[Sequence[Any]], *, tpl: Template = ACCOUNTS, lang: str = "en",
               sheet: str | None = None, header: Sequence[Any] | None = None,
               stamp: tuple[str, str, str] | None | bool = True, extra_sheets: dict[str, list[list[Any]]] | None = None,
               hidden_keys: Sequence[tuple[Any, Any]] | None = None) -> Path:
    """A workbook shaped like a model workbook: header row 1, then ``rows``; stamped unless ``stamp=False``."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet or tpl.sheet(lang)
    head = list(header if header is not None else headers(tpl, lang))
    if hidden_keys is not None:
        head += ["crmxl:id", "crmxl:version"]
    ws.append(head)
    for index, row in enumerate(rows):
        row = list(row)
        if hidden_keys is not None:
            row += [None] * (len(tpl.fields) - len(row)) + list(hidden_keys[index])
        ws.append(row)
    for name, grid in (extra_sheets or {}).items():
        other = book.create_sheet(name)
        for row in grid:
            other.append(row)
    if stamp:
        tid, version, slang = stamp if isinstance(stamp, tuple) else (tpl.id, tpl.version, lang)
        st = book.create_sheet(STAMP_SHEET)
        st.sheet_state = "veryHidden"
        st.append(["template", tid])
        st.append(["version", version])
        st.append(["lang", slang])
    book.save(path)
    return path


def write_csv(path: Path, rows: Iterable[Sequence[Any]], *, tpl: Template = ACCOUNTS, lang: str = "en",
              sep: str = ";", encoding: str = "utf-8") -> Path:
    lines = [sep.join(headers(tpl, lang))]
    for row in rows:
        lines.append(sep.join("" if v is None else _csv_text(v, sep) for v in row))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def _csv_text(value: Any, sep: str) -> str:
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    return f'"{text}"' if sep in text or '"' in text else text


def registry():
    from crmxl.domain.specialties import SpecialtyRegistry, default_specialties

    return SpecialtyRegistry(default_specialties())


def write_xlsm(path: Path, rows: Iterable[Sequence[Any]], vba: bytes, *, tpl: Template = ACCOUNTS) -> Path:
    """A macro-enabled workbook (xlsxwriter) with ``tpl``'s headers, ``rows`` as text and ``vba`` as its project."""
    import xlsxwriter

    project = path.with_name(f"{path.stem}-vbaProject.bin")
    project.write_bytes(vba)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet(tpl.sheet())
    sheet.write_row(0, 0, [tpl.column(f).header() for f in tpl.fields])
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write_string(r, c, value)
    book.add_vba_project(str(project))
    book.close()
    return path
