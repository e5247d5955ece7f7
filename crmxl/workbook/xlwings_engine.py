"""Run xlwings macros on workbook files: an xlwings engine of ours, backed by openpyxl.

``open_book(path)`` returns a real ``xlwings.Book``: xlwings' own Book, Sheet, Range, address
parsing and value conversion run unchanged, and our engine reads and writes the cells with
openpyxl. There is no Excel and no UI: ``book.app.alert(...)`` is recorded in
``book.app.impl.alerts`` and answered with ``book.app.impl.answers`` / ``default_answer``.

Importing this module registers the engine under the name ``"openpyxl"``; it never becomes
xlwings' active engine unless ``register(activate=True)`` asks for it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import xlwings

from crmxl.errors import UnusableInput
from crmxl.workbook import reader_messages  # noqa: F401  (registers the messages of UnusableInput)
from crmxl.workbook.sniff import sniff
from crmxl.workbook.xlengine import ENGINE_NAME, OpenpyxlEngine

__all__ = ["ENGINE_NAME", "engine", "new_book", "open_book", "register"]


def register(activate: bool = False) -> xlwings.Engine:
    """Our engine as registered with xlwings (added once); ``activate`` makes it xlwings' default."""
    if ENGINE_NAME not in xlwings.engines.engines_by_name:
        xlwings.engines.add(xlwings.Engine(impl=OpenpyxlEngine()))
    registered = xlwings.engines[ENGINE_NAME]
    if activate:
        registered.activate()
    return registered


engine: xlwings.Engine = register()


def new_book() -> xlwings.Book:
    """An empty workbook (one sheet, ``Sheet``) in an app of its own; save it with ``book.save(path)``."""
    return engine.apps.add(add_book=False).books.add()


def open_book(path: str | Path) -> xlwings.Book:
    """Open a .xlsx/.xlsm file (VBA kept for .xlsm) as an ``xlwings.Book`` in an app of its own.

    ``book.save()`` writes it back in place atomically; ``book.save(other_path)`` saves a copy
    there and makes it the book's file. Unusable files raise ``UnusableInput``.
    """
    path = Path(path)
    if sniff(path) != "xlsx":
        raise UnusableInput("not_a_spreadsheet", file=path.name)
    app = engine.apps.add(add_book=False)
    try:
        return app.books.open(path)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, EOFError) as exc:
        app.quit()
        raise UnusableInput("corrupted_file", file=path.name) from exc
    except OSError as exc:
        app.quit()
        raise UnusableInput("file_unreadable", file=path.name, detail=exc.strerror or str(exc)) from exc
