"""Build the Excel side: macro-enabled model workbooks and the ``crmxl.xlam`` add-in.

The ribbon XML and the VBA modules are read from the ``addin/`` sources; the VBA
project is compiled into ``vbaProject.bin`` from those sources (see ``crmxl.xl.vba``),
then put with the ribbon into a copy of each template, which is otherwise kept as it is.
"""

from __future__ import annotations

import io
import os
import re
import site
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET

from crmxl import i18n
from crmxl.errors import UnusableInput
from crmxl.xl.vba import build_vba_project

ADDIN_NAME = "crmxl.xlam"
PROJECT_NAME = "crmxl"

CT_XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CT_XLAM_MAIN = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
CT_VBA_PROJECT = "application/vnd.ms-office.vbaProject"
REL_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
REL_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
REL_VBA_PROJECT = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
REL_CUSTOM_UI14 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
CUSTOM_UI14_NS = "http://schemas.microsoft.com/office/2009/07/customui"
CUSTOM_UI_PART = "customUI/customUI14.xml"

_NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_NS_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass(frozen=True)
class AddinSources:
    folder: Path
    custom_ui: bytes
    modules: dict[str, str]


def addin_dir() -> Path:
    """The ``addin/`` sources: ``$CRMXL_ADDIN_DIR``, a checkout, the package, or the install prefixes."""
    package = Path(__file__).resolve().parents[1]
    candidates = [
        Path(os.environ["CRMXL_ADDIN_DIR"]) if os.environ.get("CRMXL_ADDIN_DIR") else None,
        package.parent / "addin",  # a checkout or an editable install
        package / "addin",  # shipped inside the package
        Path(sys.prefix) / "share" / "crmxl" / "addin",  # shipped as data files
        Path(site.getuserbase()) / "share" / "crmxl" / "addin",  # ... by `pip install --user`
    ]
    for folder in candidates:
        if folder is not None and (folder / "customUI" / "customUI14.xml").is_file():
            return folder
    raise UnusableInput("addin_sources_missing", places=", ".join(str(c) for c in candidates if c))


def load_sources(folder: Path | None = None) -> AddinSources:
    """Read and check the ribbon XML and the VBA modules (``vba/*.bas``, keyed by module name)."""
    folder = folder or addin_dir()
    ui_path = folder / "customUI" / "customUI14.xml"
    custom_ui = ui_path.read_bytes()
    try:
        root = SafeET.fromstring(custom_ui)
    except ParseError as exc:
        raise UnusableInput("addin_ribbon_invalid", path=str(ui_path), detail=str(exc)) from None
    if root.tag != f"{{{CUSTOM_UI14_NS}}}customUI":
        raise UnusableInput("addin_ribbon_invalid", path=str(ui_path), detail=f"root element is {root.tag}")
    modules: dict[str, str] = {}
    for bas in sorted((folder / "vba").glob("*.bas")):
        text = bas.read_bytes().decode("cp1252")
        found = re.search(r'^\s*Attribute\s+VB_Name\s*=\s*"([^"]+)"', text, re.MULTILINE | re.IGNORECASE)
        modules[found.group(1) if found else bas.stem] = text
    if not modules:
        raise UnusableInput("addin_sources_missing", places=str(folder / "vba"))
    return AddinSources(folder=folder, custom_ui=custom_ui, modules=modules)


def build_addin(out_dir: Path, templates: Mapping[str, Path], *, sources: AddinSources | None = None) -> list[Path]:
    """Write ``<name>.xlsm`` for each template and ``crmxl.xlam``; return the paths written."""
    sources = sources or load_sources()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, template in templates.items():
        template = Path(template)
        if not template.is_file():
            raise UnusableInput("addin_template_missing", path=str(template))
        target = out_dir / f"{name}.xlsm"
        target.write_bytes(macro_enabled_model(template, "pt-BR" if name.endswith("pt-BR") else "en", sources))
        written.append(target)
    target = out_dir / ADDIN_NAME
    target.write_bytes(make_macro_enabled(_addin_base(), sources, main_type=CT_XLAM_MAIN, where=target))
    written.append(target)
    return written


def macro_enabled_model(template: Path, lang: str, sources: AddinSources) -> bytes:
    """The ``.xlsm`` made of the model workbook ``template``: its CRM tab in ``lang``, and the macros."""
    return make_macro_enabled(Path(template).read_bytes(), sources, main_type=CT_XLSM_MAIN, where=Path(template),
                              custom_ui=ribbon_in(sources.custom_ui, lang))


def write_macro_enabled_model(tpl, out: Path, lang: str, lists=None) -> Path:
    """Write to ``out`` (an ``.xlsm``) the model workbook of ``tpl`` in ``lang`` as ``crmxl addin build`` makes
    it, with the Lists sheet's values ``lists``. Raises ``UnusableInput`` when the add-in sources are missing."""
    import tempfile

    from crmxl.workbook.templates import build_template

    sources = load_sources()
    with tempfile.TemporaryDirectory(prefix="crmxl-template-") as tmp:
        template = build_template(tpl, Path(tmp) / "model.xlsx", lang, lists)
        data = macro_enabled_model(template, lang, sources)
    out = Path(out)
    partial = out.with_name(f".{out.name}.part")
    partial.write_bytes(data)
    os.replace(partial, out)  # never half a workbook under the user's name
    return out


def _addin_base() -> bytes:
    """The one-sheet workbook the add-in is made of (an add-in's sheets are never shown)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "crmxl"
    sheet["A1"] = "crmxl add-in: the CRM ribbon tab. Its buttons run crmxl.xl.macros through xlwings."
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# The ribbon's texts in Portuguese, for the Portuguese workbooks (whose instructions name these buttons).
RIBBON_PT = {
    "Export": "Exportar", "Export accounts": "Exportar contas", "Export contacts": "Exportar contatos",
    "Check and import": "Verificar e importar", "Validate": "Validar", "Import": "Importar",
    "Undo last import": "Desfazer a última importação", "Template": "Modelo", "Refresh lists": "Atualizar listas",
    "New template": "Novo modelo",
    "Fill the Accounts sheet with the accounts of a portfolio, using a saved export profile.":
        "Preenche a aba Contas com as contas de uma carteira, com um perfil de exportação salvo.",
    "Fill the Contacts sheet with the contacts of a portfolio, using a saved export profile.":
        "Preenche a aba Contatos com os contatos de uma carteira, com um perfil de exportação salvo.",
    "Check every row: bad cells turn red and get a comment; the Errors column says what is wrong.":
        "Verifica cada linha: as células erradas ficam vermelhas com um comentário; a coluna Erros diz o que está "
        "errado.",
    "Validate, show what will change, and write the valid rows to the CRM.":
        "Valida, mostra o que vai mudar e grava as linhas válidas no CRM.",
    "Put back the rows the last import of this workbook changed.":
        "Devolve as linhas que a última importação desta planilha alterou.",
    "Reload the allowed values (logins, qualifications, types) into the Lists sheet.":
        "Recarrega os valores permitidos (logins, qualificações, tipos) na aba Listas.",
    "Open an empty model workbook of the current version.": "Abre uma planilha modelo vazia da versão atual.",
}


def ribbon_in(custom_ui: bytes, lang: str) -> bytes:
    """The ribbon XML with its labels and tips in ``lang`` (the sources are in English)."""
    if lang != "pt-BR":
        return custom_ui
    text = custom_ui.decode("utf-8")
    for english, portuguese in RIBBON_PT.items():
        for attribute in ("label", "screentip", "supertip"):
            text = text.replace(f'{attribute}="{english}"', f'{attribute}="{escape(portuguese)}"')
    return text.encode("utf-8")


def make_macro_enabled(package: bytes, sources: AddinSources, *, main_type: str, where: Path,
                       custom_ui: bytes | None = None) -> bytes:
    """Add the VBA project and the ribbon (``custom_ui``, else the sources') to an ``.xlsx`` package; keep every
    other part."""
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as zin:
            parts = {info.filename: zin.read(info) for info in zin.infolist()}
    except zipfile.BadZipFile:
        raise UnusableInput("addin_template_invalid", path=str(where), detail="not a zip package") from None
    try:
        root_rels = _text(parts, "_rels/.rels", where)
        book_part = _target_of(root_rels, REL_OFFICE_DOCUMENT, base="")
        book_rels_name = _rels_name(book_part)
        book_rels = _text(parts, book_rels_name, where)
        book_xml = _text(parts, book_part, where)
    except ParseError as exc:
        raise UnusableInput("addin_template_invalid", path=str(where), detail=str(exc)) from None
    if book_part is None:
        raise UnusableInput("addin_template_invalid", path=str(where), detail="no workbook part")

    # Code names tie the workbook and its sheets to their VBA document modules.
    book_xml, book_code = _ensure_code_name(book_xml, "workbookPr", "ThisWorkbook", _after_workbook_start)
    parts[book_part] = book_xml.encode("utf-8")
    documents = {book_code: "workbook"}
    folder = book_part.rsplit("/", 1)[0] if "/" in book_part else ""
    sheet_targets = _sheet_parts(book_xml, book_rels, folder)
    for index, sheet_part in enumerate(sheet_targets, start=1):
        sheet_xml = _text(parts, sheet_part, where)
        taken = {n.upper() for n in documents} | {n.upper() for n in sources.modules}
        default = next(f"Sheet{n}" for n in range(index, index + 1000) if f"SHEET{n}" not in taken)
        sheet_xml, code = _ensure_code_name(sheet_xml, "sheetPr", default, _after_root_start)
        parts[sheet_part] = sheet_xml.encode("utf-8")
        documents[code] = "worksheet"

    vba_part = (folder + "/" if folder else "") + "vbaProject.bin"
    parts[vba_part] = build_vba_project(sources.modules, PROJECT_NAME, documents=documents)
    parts[book_rels_name] = _add_relationship(book_rels, REL_VBA_PROJECT, "vbaProject.bin").encode("utf-8")
    parts[CUSTOM_UI_PART] = custom_ui or sources.custom_ui
    parts["_rels/.rels"] = _add_relationship(root_rels, REL_CUSTOM_UI14, CUSTOM_UI_PART).encode("utf-8")
    content_types = _text(parts, "[Content_Types].xml", where)
    parts["[Content_Types].xml"] = _patch_content_types(content_types, "/" + book_part, main_type).encode("utf-8")

    out = io.BytesIO()
    order = ["[Content_Types].xml"] + [name for name in parts if name != "[Content_Types].xml"]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in order:
            zout.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), parts[name], zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _text(parts: dict[str, bytes], name: str, where: Path) -> str:
    if name not in parts:
        raise UnusableInput("addin_template_invalid", path=str(where), detail=f"part {name} is missing")
    return parts[name].decode("utf-8")


def _rels_name(part: str) -> str:
    folder, _, file = part.rpartition("/")
    return f"{folder}/_rels/{file}.rels" if folder else f"_rels/{file}.rels"


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    pieces = (base.split("/") if base else []) + target.split("/")
    resolved: list[str] = []
    for piece in pieces:
        if piece == "..":
            if resolved:
                resolved.pop()
        elif piece not in ("", "."):
            resolved.append(piece)
    return "/".join(resolved)


def _relationships(rels_xml: str) -> list[dict[str, str]]:
    return [dict(rel.attrib) for rel in SafeET.fromstring(rels_xml) if rel.tag == f"{{{_NS_REL}}}Relationship"]


def _target_of(rels_xml: str, rel_type: str, base: str) -> str | None:
    for rel in _relationships(rels_xml):
        if rel.get("Type") == rel_type:
            return _resolve(base, rel["Target"])
    return None


def _sheet_parts(book_xml: str, book_rels: str, folder: str) -> list[str]:
    """Worksheet parts in the workbook's sheet order."""
    targets = {rel["Id"]: _resolve(folder, rel["Target"]) for rel in _relationships(book_rels) if rel.get("Type") == REL_WORKSHEET}
    order = []
    for sheet in SafeET.fromstring(book_xml).iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet"):
        rid = sheet.get(f"{{{_NS_R}}}id")
        if rid in targets:
            order.append(targets[rid])
    return order


def _add_relationship(rels_xml: str, rel_type: str, target: str) -> str:
    existing = _relationships(rels_xml)
    if any(rel.get("Type") == rel_type for rel in existing):
        rels_xml = re.sub(r'<Relationship\b[^>]*Type="' + re.escape(rel_type) + r'"[^>]*/>', "", rels_xml)
    ids = {rel.get("Id") for rel in existing}
    new_id = next(f"rIdCrmxl{n}" for n in range(1, len(ids) + 2) if f"rIdCrmxl{n}" not in ids)
    element = f'<Relationship Id="{new_id}" Type="{rel_type}" Target="{target}"/>'
    return rels_xml.replace("</Relationships>", element + "</Relationships>")


def _patch_content_types(xml: str, book_part_name: str, main_type: str) -> str:
    root = SafeET.fromstring(xml)
    defaults = {d.get("Extension", "").lower() for d in root.iter(f"{{{_NS_CT}}}Default")}
    override = re.compile(r'(<Override\b[^>]*PartName="' + re.escape(book_part_name) + r'"[^>]*ContentType=")[^"]*(")')
    if override.search(xml):
        xml = override.sub(lambda m: m.group(1) + main_type + m.group(2), xml)
    else:
        xml = xml.replace("</Types>", f'<Override PartName="{book_part_name}" ContentType="{main_type}"/></Types>')
    additions = ""
    if "bin" not in defaults:
        additions += f'<Default Extension="bin" ContentType="{CT_VBA_PROJECT}"/>'
    if "xml" not in defaults:
        additions += '<Default Extension="xml" ContentType="application/xml"/>'
    if additions:
        xml = re.sub(r"(<Types\b[^>]*>)", lambda m: m.group(1) + additions, xml, count=1)
    return xml


def _after_workbook_start(xml: str) -> int:
    """Where a new ``workbookPr`` goes: after ``fileVersion``/``fileSharing`` if present."""
    position = _after_root_start(xml)
    for tag in ("fileVersion", "fileSharing"):
        found = re.search(rf"<{tag}\b[^>]*?(/>|>.*?</{tag}>)", xml, re.DOTALL)
        if found:
            position = max(position, found.end())
    return position


def _after_root_start(xml: str) -> int:
    found = re.search(r"<(?:workbook|worksheet)\b[^>]*>", xml)
    if found is None:
        raise ParseError("no workbook or worksheet root element")
    return found.end()


def _ensure_code_name(xml: str, tag: str, default: str, where_new) -> tuple[str, str]:
    """Return ``xml`` whose ``<tag>`` element has a ``codeName``, and that code name."""
    element = re.search(rf"<{tag}\b[^>]*?/?>", xml)
    if element:
        current = re.search(r'\bcodeName="([^"]*)"', element.group(0))
        if current and current.group(1):
            return xml, current.group(1)
        start = element.start() + len(tag) + 1
        return xml[:start] + f' codeName="{default}"' + xml[start:], default
    position = where_new(xml)
    return xml[:position] + f'<{tag} codeName="{default}"/>' + xml[position:], default


i18n.register(
    {
        "addin_sources_missing": {
            "en": "The add-in sources (ribbon XML and VBA modules) were not found; looked in: {places}",
            "pt-BR": "Os fontes do suplemento (XML da faixa de opções e módulos VBA) não foram encontrados; procurados em: {places}",
        },
        "addin_ribbon_invalid": {
            "en": "The ribbon XML {path} is not valid: {detail}",
            "pt-BR": "O XML da faixa de opções {path} não é válido: {detail}",
        },
        "addin_template_missing": {
            "en": "The template {path} does not exist",
            "pt-BR": "O modelo {path} não existe",
        },
        "addin_template_invalid": {
            "en": "The template {path} is not a usable .xlsx workbook: {detail}",
            "pt-BR": "O modelo {path} não é uma pasta de trabalho .xlsx utilizável: {detail}",
        },
    }
)
