"""How each job status looks in the table: a colour, an icon and a label.

Colours are mid-tone so they read on light and dark palettes. Icons are the app's status SVGs; if
those are missing, icons drawn here stand in, each with its own shape (queued ring, running play
mark, finished tick, failed cross, aborted stop square, cancelled dash), so states differ without
relying on colour.
"""

from __future__ import annotations

from qtpy.QtCore import QPointF, QRectF, Qt
from qtpy.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from labqueue.experiment import ExpStatus
from labqueue.gui.resources import icon as resource_icon

__all__ = ["STATUS_COLORS", "STATUS_LABELS", "row_background", "status_icon"]

#: One colour per status, the same as the status SVGs (mid tones, readable on light and dark backgrounds).
STATUS_COLORS: dict[ExpStatus, QColor] = {
    ExpStatus.QUEUED: QColor(0x7A, 0x8C, 0xA8),
    ExpStatus.RUNNING: QColor(0x2F, 0x6D, 0xB5),
    ExpStatus.FINISHED: QColor(0x2E, 0x9D, 0x4A),
    ExpStatus.FAILED: QColor(0xC9, 0x30, 0x2C),
    ExpStatus.ABORTED: QColor(0xE0, 0x8A, 0x1E),
    ExpStatus.CANCELLED: QColor(0x9A, 0x9A, 0x9A),
}

#: The word shown in the Status column.
STATUS_LABELS: dict[ExpStatus, str] = {
    ExpStatus.QUEUED: "Queued",
    ExpStatus.RUNNING: "Running",
    ExpStatus.FINISHED: "Finished",
    ExpStatus.FAILED: "Failed",
    ExpStatus.ABORTED: "Aborted",
    ExpStatus.CANCELLED: "Cancelled",
}

_ICON_SIZE = 32  # drawn large, Qt scales it down (sharp on high-DPI screens)
_icons: dict[ExpStatus, QIcon] = {}
_backgrounds: dict[ExpStatus, QColor] = {}


def status_icon(status: ExpStatus) -> QIcon:
    """The app's icon for ``status`` (``resources/icons/status-<name>.svg``), cached.

    Falls back to an icon drawn in code if the SVG cannot be found or rendered (needs a QGuiApplication).
    """
    icon = _icons.get(status)
    if icon is None:
        icon = _icons[status] = _shipped_icon(status) or QIcon(_draw_icon(status))
    return icon


def _shipped_icon(status: ExpStatus) -> QIcon | None:
    try:
        icon = resource_icon(f"status-{status.value}")
    except FileNotFoundError:
        return None
    return None if icon.pixmap(16, 16).isNull() else icon


def row_background(status: ExpStatus) -> QColor | None:
    """A faint tint for rows that need attention (running, failed, aborted), else None."""
    if status not in (ExpStatus.RUNNING, ExpStatus.FAILED, ExpStatus.ABORTED):
        return None
    color = _backgrounds.get(status)
    if color is None:
        color = QColor(STATUS_COLORS[status])
        color.setAlpha(40)  # translucent: the palette's base colour shows through (light or dark)
        _backgrounds[status] = color
    return color


def _draw_icon(status: ExpStatus) -> QPixmap:
    s = _ICON_SIZE
    pixmap = QPixmap(s, s)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    color = STATUS_COLORS[status]
    circle = QRectF(3, 3, s - 6, s - 6)
    mark = QPen(Qt.white, s / 9, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
    if status is ExpStatus.QUEUED:
        painter.setPen(QPen(color, s / 10))
        painter.setBrush(Qt.NoBrush)
        painter.drawEllipse(circle.adjusted(1, 1, -1, -1))
    else:
        painter.setPen(Qt.NoPen)
        painter.setBrush(color)
        painter.drawEllipse(circle)
        painter.setPen(mark)
        painter.setBrush(Qt.white)
        if status is ExpStatus.RUNNING:
            painter.setPen(Qt.NoPen)
            painter.drawPolygon(QPolygonF([QPointF(s * 0.40, s * 0.30), QPointF(s * 0.40, s * 0.70),
                                           QPointF(s * 0.72, s * 0.50)]))
        elif status is ExpStatus.FINISHED:
            path = QPainterPath(QPointF(s * 0.30, s * 0.52))
            path.lineTo(s * 0.44, s * 0.66)
            path.lineTo(s * 0.70, s * 0.36)
            painter.setBrush(Qt.NoBrush)
            painter.drawPath(path)
        elif status is ExpStatus.FAILED:
            painter.drawLine(QPointF(s * 0.35, s * 0.35), QPointF(s * 0.65, s * 0.65))
            painter.drawLine(QPointF(s * 0.65, s * 0.35), QPointF(s * 0.35, s * 0.65))
        elif status is ExpStatus.ABORTED:
            painter.setPen(Qt.NoPen)
            painter.drawRect(QRectF(s * 0.36, s * 0.36, s * 0.28, s * 0.28))
        else:  # CANCELLED
            painter.drawLine(QPointF(s * 0.32, s * 0.5), QPointF(s * 0.68, s * 0.5))
    painter.end()
    return pixmap
