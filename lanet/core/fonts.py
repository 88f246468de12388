"""The fonts every PDF embeds: DejaVu Sans, shipped in `lanet/static/fonts/`.

reportlab's built-in Helvetica has no glyphs for Polish or many accented letters ("Oświęcim"
prints as black boxes); DejaVu Sans covers Latin, Polish, Spanish and Portuguese. One helper,
so the report PDF and the certificates register the same font once per process.
"""

from __future__ import annotations

import threading
from pathlib import Path

FONT_FOLDER = Path(__file__).resolve().parent.parent / "static" / "fonts"
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}

_lock = threading.Lock()
_registered = False


def font_path(name: str = REGULAR) -> Path:
    return FONT_FOLDER / _FILES[name]


def register_pdf_fonts() -> tuple[str, str]:
    """Registers DejaVu Sans (regular, bold) with reportlab; returns their names.

    Safe to call from every thread and every PDF: registration happens once per process.
    """
    global _registered
    if not _registered:
        with _lock:
            if not _registered:
                from reportlab.lib.fonts import addMapping
                from reportlab.pdfbase import pdfmetrics
                from reportlab.pdfbase.ttfonts import TTFont

                for name, filename in _FILES.items():
                    pdfmetrics.registerFont(TTFont(name, str(FONT_FOLDER / filename)))
                # <b> in Paragraph markup picks the bold face.
                addMapping(REGULAR, 0, 0, REGULAR)
                addMapping(REGULAR, 1, 0, BOLD)
                addMapping(REGULAR, 0, 1, REGULAR)
                addMapping(REGULAR, 1, 1, BOLD)
                _registered = True
    return REGULAR, BOLD
