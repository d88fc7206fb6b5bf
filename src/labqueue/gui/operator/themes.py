"""View → Theme: System / Light / Dark, remembered (``view/theme``).

Light and Dark use Qt's Fusion style with the palettes in ``resources/themes/*.json``; System
puts back the style and palette the application started with. The console and the table follow
palette changes on their own.
"""

from __future__ import annotations

import json

from qtpy.QtCore import QObject
from qtpy.QtGui import QColor, QPalette
from qtpy.QtWidgets import QAction, QActionGroup, QApplication, QMenu, QStyleFactory, QWidget

from labqueue.gui.app_settings import app_settings
from labqueue.gui.resources import resource_path

__all__ = ["THEMES", "SETTINGS_KEY", "ThemeMenu", "apply_theme", "theme_palette"]

THEMES = ("system", "light", "dark")
SETTINGS_KEY = "view/theme"

_original: tuple[str, QPalette] | None = None  # the application's own style name and palette


def theme_palette(name: str) -> QPalette:
    """The palette of the ``"light"`` or ``"dark"`` theme."""
    spec = json.loads(resource_path(f"themes/{name}.json").read_text(encoding="utf-8"))
    palette = QPalette()
    for group, colours in ((QPalette.All, spec), (QPalette.Disabled, spec.get("disabled", {}))):
        for role_name, colour in colours.items():
            role = getattr(QPalette, role_name, None)
            if isinstance(colour, str) and role is not None:
                palette.setColor(group, role, QColor(colour))
    return palette


def apply_theme(name: str) -> None:
    """Switch the whole application to theme ``name`` (one of :data:`THEMES`)."""
    global _original
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}; choose one of {', '.join(THEMES)}")
    app = QApplication.instance()
    if _original is None:
        _original = (app.style().objectName(), QPalette(app.palette()))
    if name == "system":
        style_name, palette = _original
        app.setStyle(QStyleFactory.create(style_name) or QStyleFactory.create("Fusion"))
        app.setPalette(palette)
        return
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setPalette(theme_palette(name))


class ThemeMenu(QObject):
    """The "Theme" submenu (radio items); applies the saved theme at start."""

    def __init__(self, parent_menu: QMenu, parent: QWidget):
        super().__init__(parent)
        self.menu = parent_menu.addMenu("&Theme")
        self.menu.setObjectName("theme_menu")
        self.group = QActionGroup(self)
        self.actions: dict[str, QAction] = {}
        for name in THEMES:
            action = QAction(name.capitalize(), self.group)
            action.setObjectName(f"theme_{name}_action")
            action.setCheckable(True)
            action.triggered.connect(lambda _checked=False, n=name: self.choose(n))
            self.menu.addAction(action)
            self.actions[name] = action
        saved = str(app_settings().value(SETTINGS_KEY, "system"))
        self.current = saved if saved in THEMES else "system"
        self.actions[self.current].setChecked(True)
        if self.current != "system":
            apply_theme(self.current)

    def choose(self, name: str) -> None:
        """Apply and remember theme ``name``."""
        apply_theme(name)
        self.current = name
        self.actions[name].setChecked(True)
        settings = app_settings()
        settings.setValue(SETTINGS_KEY, name)
        settings.sync()
