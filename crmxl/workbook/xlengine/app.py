"""The engine, its apps and books: xlwings' top of the object model over openpyxl workbooks."""

from __future__ import annotations

import itertools
import os
import tempfile
import weakref
from pathlib import Path

import openpyxl
from xlwings import base_classes

from crmxl.workbook.xlengine import values as V
from crmxl.workbook.xlengine.names import Names
from crmxl.workbook.xlengine.sheet import Sheets
from crmxl.workbook.files import file_mode

ENGINE_NAME = "openpyxl"
ALERT_BUTTONS = {
    "ok": ("ok",),
    "ok_cancel": ("ok", "cancel"),
    "yes_no": ("yes", "no"),
    "yes_no_cancel": ("yes", "no", "cancel"),
}
_pids = itertools.count(1)


class _Setting:
    """An app setting Excel would act on; here it is only remembered."""

    def __init__(self, default) -> None:
        self.default = default

    def __set_name__(self, owner, name: str) -> None:
        self.key = "_setting_" + name

    def __get__(self, obj, owner=None):
        return self if obj is None else obj.__dict__.get(self.key, self.default)

    def __set__(self, obj, value) -> None:
        obj.__dict__[self.key] = value


class OpenpyxlEngine:
    """What xlwings asks of an engine: its apps, name, type and the value cleaning of its pipeline."""

    def __init__(self) -> None:
        self.apps = Apps(self)

    @property
    def name(self) -> str:
        return ENGINE_NAME

    @property
    def type(self) -> str:
        return "file"

    clean_value_data = staticmethod(V.clean_value_data)
    prepare_xl_data_element = staticmethod(V.prepare_xl_data_element)


class Apps(base_classes.Apps):
    """The apps alive now; an app goes away when nothing refers to it any more (or on quit)."""

    def __init__(self, engine: OpenpyxlEngine) -> None:
        self.engine = engine
        self._apps: weakref.WeakValueDictionary[int, App] = weakref.WeakValueDictionary()

    def keys(self) -> list[int]:
        return list(self._apps.keys())

    def add(self, spec=None, add_book=False, xl=None, visible=None, **kwargs) -> App:
        app = App(self, add_book=bool(add_book))
        self._apps[app.pid] = app
        return app

    @staticmethod
    def cleanup() -> None:
        """Nothing to clean: no process is started."""

    def __iter__(self):
        return iter(sorted(self._apps.values(), key=lambda app: -app.pid))

    def __len__(self) -> int:
        return len(self._apps)

    def __getitem__(self, pid: int) -> App:
        return self._apps[pid]

    def _forget(self, app: App) -> None:
        self._apps.pop(app.pid, None)


class App(base_classes.App):
    """A headless Excel: alerts and status-bar texts are recorded instead of shown.

    ``alerts`` is a list of ``{"prompt", "title", "buttons", "mode", "answer"}``; ``answers``
    queues the buttons the next alerts "press" (else ``default_answer`` when the alert offers it,
    else the alert's first button).
    """

    visible = _Setting(False)
    screen_updating = _Setting(True)
    display_alerts = _Setting(True)
    enable_events = _Setting(True)
    interactive = _Setting(True)
    calculation = _Setting("automatic")
    cut_copy_mode = _Setting(False)

    def __init__(self, apps: Apps, add_book: bool = False) -> None:
        self.apps = apps
        self._pid = next(_pids)
        self._books = Books(self)
        self.alerts: list[dict] = []
        self.status_bar_history: list[str | bool] = []
        self.answers: list[str] = []
        self.default_answer: str | None = None
        self._status_bar: str | bool = False
        if add_book:
            self._books.add()

    @property
    def engine(self) -> OpenpyxlEngine:
        return self.apps.engine

    @property
    def api(self):
        return self

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def hwnd(self):
        return None

    @property
    def version(self) -> str:
        return "16.0"

    @property
    def path(self) -> str:
        return ""

    @property
    def startup_path(self) -> str:
        return ""

    @property
    def selection(self):
        return None

    @property
    def books(self) -> Books:
        return self._books

    def activate(self, steal_focus=False) -> None:
        """Nothing to bring to the front."""

    def calculate(self) -> None:
        """Formulas are computed by Excel when the file is opened there."""

    def quit(self) -> None:
        self._books._books.clear()
        self.apps._forget(self)

    kill = quit

    @property
    def status_bar(self) -> str | bool:
        return self._status_bar

    @status_bar.setter
    def status_bar(self, value: str | bool) -> None:
        self._status_bar = value
        self.status_bar_history.append(value)

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None) -> str:
        if buttons not in ALERT_BUTTONS:
            raise ValueError(f"buttons must be one of {', '.join(ALERT_BUTTONS)}")
        if mode not in (None, "info", "critical"):
            raise ValueError('mode must be "info" or "critical"')
        offered = ALERT_BUTTONS[buttons]
        answer = self.answers.pop(0) if self.answers else self.default_answer
        if answer not in offered:
            answer = offered[0]
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode, "answer": answer})
        return answer


class Books(base_classes.Books):
    def __init__(self, app: App) -> None:
        self.app = app
        self._books: list[Book] = []

    @property
    def api(self):
        return [book.wb for book in self._books]

    @property
    def active(self) -> Book:
        if not self._books:
            raise IndexError("No workbook is open")
        return self._books[-1]

    def __call__(self, name_or_index) -> Book:
        if isinstance(name_or_index, int):
            return self._books[name_or_index - 1]
        for book in self._books:
            if book.name.lower() == str(name_or_index).lower():
                return book
        raise KeyError(name_or_index)

    def __len__(self) -> int:
        return len(self._books)

    def __iter__(self):
        return iter(list(self._books))

    def add(self) -> Book:
        taken = {book.name.lower() for book in self._books}
        number = next(n for n in itertools.count(1) if f"book{n}" not in taken)
        wb = openpyxl.Workbook()
        wb.active.title = "Sheet1"
        book = Book(self.app, wb, name=f"Book{number}", fullname=None)
        self._books.append(book)
        return book

    def open(self, fullname, *args, **kwargs) -> Book:
        path = Path(fullname)
        keep_vba = path.suffix.lower() in (".xlsm", ".xltm", ".xlam")
        wb = openpyxl.load_workbook(path, keep_vba=keep_vba, rich_text=False)
        book = Book(self.app, wb, name=path.name, fullname=str(path.resolve()))
        self._books.append(book)
        return book


class Book(base_classes.Book):
    def __init__(self, app: App, wb, name: str, fullname: str | None) -> None:
        self._app = app
        self.wb = wb
        self._name = name
        self._fullname = fullname

    @property
    def api(self):
        return self.wb

    @property
    def app(self) -> App:
        return self._app

    @property
    def name(self) -> str:
        return self._name

    @property
    def fullname(self) -> str:
        return self._fullname or self._name

    @property
    def sheets(self) -> Sheets:
        return Sheets(self)

    @property
    def names(self) -> Names:
        return Names(self)

    def activate(self) -> None:
        books = self._app._books._books
        if self in books:
            books.remove(self)
            books.append(self)

    def close(self) -> None:
        books = self._app._books._books
        if self in books:
            books.remove(self)
        if not books:
            self._app.apps._forget(self._app)

    def save(self, path=None, password=None) -> None:
        if password:
            raise ValueError("Saving with a password is not supported by the openpyxl engine")
        target = Path(path) if path else Path(self._fullname or Path.cwd() / f"{self._name}.xlsx")
        if not target.suffix:
            target = target.with_suffix(".xlsm" if self.wb.vba_archive else ".xlsx")
        target = target.resolve()
        self.wb.template = target.suffix.lower() in (".xltx", ".xltm")
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(handle)
        try:
            self.wb.save(temp)
            os.chmod(temp, file_mode(target))
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        self._fullname, self._name = str(target), target.name



