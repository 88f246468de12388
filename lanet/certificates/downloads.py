"""Certificate PDFs as HTTP responses, one way for every route that hands one out: the staff
page, the holder's private link, the template preview and the API. Each is one person's
document, so no cache keeps it (`private, no-store`)."""

from __future__ import annotations

from flask import Response

from lanet.certificates import production, service
from lanet.certificates.models import Certificate

PDF_MIMETYPE = "application/pdf"


def pdf_response(content: bytes, filename: str, *, inline: bool = False) -> Response:
    """A PDF to save (`attachment`) or to show in the browser (`inline`) under `filename`."""
    disposition = "inline" if inline else "attachment"
    return Response(
        content,
        mimetype=PDF_MIMETYPE,
        headers={
            "Content-Disposition": f'{disposition}; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


def certificate_pdf_response(certificate: Certificate) -> Response:
    """The issued certificate's stored PDF; CertificateError (409) when it is not available
    (withdrawn, or its file is missing): each caller answers that in its own way."""
    return pdf_response(service.pdf_of(certificate), production.filename(certificate))
