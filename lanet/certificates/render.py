"""A certificate's PDF from plain data (no database, no request): reportlab on one A4 page.

DejaVu Sans (lanet/core/fonts.py) prints Polish, Spanish and Portuguese names; the QR code is
drawn as vector squares from segno's matrix, so it stays sharp at any zoom and costs no image.
"""

from __future__ import annotations

import functools
import hashlib
import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

from lanet.core.fonts import register_pdf_fonts

PAGE = landscape(A4)
MARGIN = 36.0
ACCENT = colors.HexColor("#1f4e79")


@dataclass(frozen=True)
class Signature:
    name: str
    position: str
    image: bytes | None = None


@dataclass(frozen=True)
class Document:
    """Everything printed on one certificate, already in the holder's language."""

    title: str
    # reportlab paragraph markup: the typed text escaped, filled-in values may be in <b>.
    body_markup: str
    issuer: str
    code: str
    verify_url: str
    code_label: str = "Verification code"
    verify_label: str = "Verify at"
    logos: tuple[bytes, ...] = ()
    signatures: tuple[Signature, ...] = field(default_factory=tuple)


@functools.lru_cache(maxsize=64)
def _image(digest: str, content: bytes) -> ImageReader:
    # A template's logos are the same for every certificate of a run: decoded once.
    del digest
    return ImageReader(io.BytesIO(content))


def _reader(content: bytes) -> ImageReader:
    return _image(hashlib.sha1(content, usedforsecurity=False).hexdigest(), content)


def _styles() -> tuple[ParagraphStyle, ParagraphStyle]:
    regular, bold = register_pdf_fonts()
    title = ParagraphStyle(
        "title", fontName=bold, fontSize=30, leading=36, alignment=TA_CENTER, textColor=ACCENT
    )
    body = ParagraphStyle("body", fontName=regular, fontSize=15, leading=22, alignment=TA_CENTER)
    return title, body


def _markup(text: str) -> str:
    """Typed text as reportlab markup: nothing in it is taken as a tag; newlines kept."""
    return "<br/>".join(escape(line) for line in text.splitlines() or [""])


def _draw_logos(pdf: canvas.Canvas, logos: tuple[bytes, ...], top: float) -> float:
    if not logos:
        return top
    height, gap = 56.0, 24.0
    readers = [_reader(logo) for logo in logos]
    widths = []
    for reader in readers:
        w, h = reader.getSize()
        widths.append(min(height * w / h, 180.0))
    x = (PAGE[0] - sum(widths) - gap * (len(widths) - 1)) / 2
    for reader, width in zip(readers, widths, strict=True):
        pdf.drawImage(reader, x, top - height, width, height, preserveAspectRatio=True, mask="auto")
        x += width + gap
    return top - height


def _draw_signatures(pdf: canvas.Canvas, signatures: tuple[Signature, ...], bottom: float) -> None:
    if not signatures:
        return
    regular, bold = register_pdf_fonts()
    slot = min(220.0, (PAGE[0] - 4 * MARGIN - 130) / len(signatures))
    x0 = (PAGE[0] - 130 - slot * len(signatures)) / 2
    for index, signature in enumerate(signatures):
        center = x0 + slot * index + slot / 2
        line_y = bottom + 34
        if signature.image:
            pdf.drawImage(
                _reader(signature.image),
                center - slot / 2 + 10,
                line_y + 2,
                slot - 20,
                48,
                preserveAspectRatio=True,
                anchor="s",
                mask="auto",
            )
        pdf.setStrokeColor(colors.grey)
        pdf.setLineWidth(0.6)
        pdf.line(center - slot / 2 + 14, line_y, center + slot / 2 - 14, line_y)
        pdf.setFillColor(colors.black)
        pdf.setFont(bold, 10)
        pdf.drawCentredString(center, line_y - 13, signature.name[:60])
        pdf.setFont(regular, 8.5)
        pdf.drawCentredString(center, line_y - 25, signature.position[:80])


def _draw_qr(pdf: canvas.Canvas, url: str, x: float, y: float, size: float) -> None:
    qr = segno.make_qr(url, error="m")
    rows = list(qr.matrix_iter(scale=1, border=2))
    module = size / len(rows)
    path = pdf.beginPath()
    for row_index, row in enumerate(rows):
        top = y + size - (row_index + 1) * module
        column = 0
        # One rectangle per run of dark modules: fewer path operations, same picture.
        while column < len(row):
            if row[column]:
                start = column
                while column < len(row) and row[column]:
                    column += 1
                path.rect(x + start * module, top, (column - start) * module, module)
            else:
                column += 1
    pdf.setFillColor(colors.white)
    pdf.rect(x, y, size, size, stroke=0, fill=1)
    pdf.setFillColor(colors.black)
    pdf.drawPath(path, stroke=0, fill=1)


def render_pdf(document: Document) -> bytes:
    """One landscape A4 page; the text is real text (searchable, extractable)."""
    regular, _bold = register_pdf_fonts()
    title_style, body_style = _styles()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=PAGE, pageCompression=1)
    pdf.setTitle(document.title)
    pdf.setAuthor(document.issuer)
    pdf.setSubject(document.code)
    width, height = PAGE
    pdf.setStrokeColor(ACCENT)
    pdf.setLineWidth(3)
    pdf.rect(MARGIN / 2, MARGIN / 2, width - MARGIN, height - MARGIN)
    pdf.setLineWidth(0.8)
    pdf.rect(MARGIN / 2 + 6, MARGIN / 2 + 6, width - MARGIN - 12, height - MARGIN - 12)

    top = _draw_logos(pdf, document.logos, height - MARGIN - 8) - 24
    bottom = MARGIN + 140  # above the signatures and the QR code
    title = Paragraph(_markup(document.title), title_style)
    text_width = width - 4 * MARGIN
    _, title_height = title.wrap(text_width, height)
    gap = 28.0
    # A long text gets a smaller type until title and text fit between logos and signatures.
    for size in (15, 14, 13, 12, 11, 10, 9, 8):
        style = body_style.clone("fitted", fontSize=size, leading=size * 1.45)
        body = Paragraph(document.body_markup, style)
        _, body_height = body.wrap(text_width, height)
        if title_height + gap + body_height <= top - bottom:
            break
    block = title_height + gap + body_height
    # The title and text sit in the middle of the free space, a little above its centre.
    start = top - max(0.0, (top - bottom - block) * 0.4)
    title.drawOn(pdf, 2 * MARGIN, start - title_height)
    body.drawOn(pdf, 2 * MARGIN, start - title_height - gap - body_height)

    qr_size = 84.0
    qr_x, qr_y = width - MARGIN - 14 - qr_size, MARGIN + 24
    _draw_signatures(pdf, document.signatures, MARGIN + 20)
    _draw_qr(pdf, document.verify_url, qr_x, qr_y, qr_size)
    pdf.setFillColor(colors.black)
    pdf.setFont(regular, 7.5)
    pdf.drawRightString(qr_x + qr_size, qr_y - 10, f"{document.code_label}: {document.code}")
    pdf.setFont(regular, 8)
    pdf.setFillColor(colors.dimgrey)
    pdf.drawString(MARGIN + 14, MARGIN - 2, document.issuer[:140])
    pdf.drawRightString(
        width - MARGIN - 14, MARGIN - 2, f"{document.verify_label}: {document.verify_url}"
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
