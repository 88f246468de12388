"""The QR code of a confirmed registration: its check-in code, never its manage token."""

from __future__ import annotations

import io

import segno

from lanet.attendance.codes import check_in_code
from lanet.registration.models import Registration


def _qr(registration: Registration) -> segno.QRCode:
    # Error correction "M" survives a creased or partly covered printed badge.
    return segno.make_qr(check_in_code(registration), error="m")


def qr_png(registration: Registration, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    _qr(registration).save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def qr_data_uri(registration: Registration, scale: int = 4) -> str:
    """For an <img>: the strict CSP allows data: images and no inline script."""
    return _qr(registration).svg_data_uri(scale=scale, border=2)
