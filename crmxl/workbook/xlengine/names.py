"""Defined names (workbook and sheet scope) for the openpyxl engine."""

from __future__ import annotations

from openpyxl.workbook.defined_name import DefinedName
from xlwings import base_classes


def _scoped(book, scope):
    return book.wb.defined_names if scope is None else scope.ws.defined_names


def _entries(book, scope):
    """(displayed name, container, key) of every name visible in the scope."""
    entries = [(key if scope is None else f"{scope.name}!{key}", _scoped(book, scope), key)
               for key in _scoped(book, scope)]
    if scope is None:
        for ws in book.wb.worksheets:
            entries += [(f"{ws.title}!{key}", ws.defined_names, key) for key in ws.defined_names]
    return entries


def resolve(book, name: str, sheet=None):
    """The range a name refers to (sheet scope first), or None."""
    containers = ([sheet.ws.defined_names] if sheet is not None else []) + [book.wb.defined_names]
    for container in containers:
        for key, defined in container.items():
            if key.lower() == name.lower():
                return Name(book, container, key).refers_to_range
    return None


class Names(base_classes.Names):
    def __init__(self, book, scope=None) -> None:
        self.book = book
        self.scope = scope

    @property
    def api(self):
        return _scoped(self.book, self.scope)

    def snapshot(self):
        return [(shown, Name(self.book, container, key)) for shown, container, key in _entries(self.book, self.scope)]

    def __call__(self, name_or_index):
        entries = _entries(self.book, self.scope)
        if isinstance(name_or_index, int):
            _, container, key = entries[name_or_index - 1]
            return Name(self.book, container, key)
        for shown, container, key in entries:
            if shown.lower() == name_or_index.lower():
                return Name(self.book, container, key)
        raise KeyError(name_or_index)

    def contains(self, name_or_index) -> bool:
        return any(shown.lower() == str(name_or_index).lower() for shown, _, _ in _entries(self.book, self.scope))

    def __len__(self) -> int:
        return len(_entries(self.book, self.scope))

    def add(self, name: str, refers_to: str):
        container = _scoped(self.book, self.scope)
        container[name] = DefinedName(name, attr_text=refers_to.lstrip("="))
        return Name(self.book, container, name)


class Name(base_classes.Name):
    def __init__(self, book, container, key: str) -> None:
        self.book = book
        self.container = container
        self.key = key

    @property
    def api(self):
        return self.container[self.key]

    @property
    def name(self) -> str:
        for ws in self.book.wb.worksheets:
            if ws.defined_names is self.container:
                return f"{ws.title}!{self.key}"
        return self.key

    @name.setter
    def name(self, value: str) -> None:
        defined = self.container.pop(self.key)
        defined.name = value
        self.container[value] = defined
        self.key = value

    @property
    def refers_to(self) -> str:
        return "=" + self.api.attr_text

    @refers_to.setter
    def refers_to(self, value: str) -> None:
        self.api.attr_text = value.lstrip("=")

    @property
    def refers_to_range(self):
        from crmxl.workbook.xlengine.sheet import Sheets

        destinations = list(self.api.destinations)
        if len(destinations) != 1:
            return None
        title, coordinate = destinations[0]
        try:
            sheet = Sheets(self.book)(title)
        except KeyError:
            return None
        return sheet.range(coordinate.replace("$", ""))

    def delete(self) -> None:
        del self.container[self.key]
