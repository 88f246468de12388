"""Producing 1,000 certificates of a held event on PostgreSQL, next to reportlab drawing the
same 1,000 pages from plain tuples, in the same run.

The figure is `lanet.certificates.production.run()` end to end: eligibility from the
attendance rows, one certificate row per person (unique code), the PDF rendered (DejaVu
Sans, a logo, a signature, the QR code drawn as vector squares), stored in the database
for every web process, and an email with the PDF attached written to the outbox — one commit
per certificate, so a failure fails alone and progress is visible. The baseline is reportlab
alone: the same page (same fonts, texts, images and QR) drawn 1,000 times from a list of
(name, code, body) tuples into 1,000 PDF files in memory, nothing stored. Runs alternate;
medians are reported, with the ratio production / drawing.

    python bench/certificates.py [--quick]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import create_schema, figure, private_database, write_result  # noqa: E402

DAYS = 5


def _png(width: int, height: int, color: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(image).ellipse((4, 4, width - 4, height - 4), outline=color, width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def load(people: int) -> int:
    """A held event in Oświęcim, `people` participants who attended 4 of its 5 days."""
    from lanet.attendance.models import Attendance
    from lanet.certificates import templates
    from lanet.events.models import Event
    from lanet.extensions import db
    from lanet.network.models import Country, Person
    from lanet.registration.models import Registration

    db.session.add(Country(code="PL", name_es="Polonia", name_pt="Polônia", name_en="Poland",
                           membership="other"))  # fmt: skip
    event = Event(
        slug="lemkin-bench",
        kind="lemkin_seminar",
        title="Raphael Lemkin Seminar, Part I",
        city="Oświęcim",
        country_code="PL",
        timezone="Europe/Warsaw",
        start_date=date(2014, 6, 2),
        end_date=date(2014, 6, 2) + timedelta(days=DAYS - 1),
        status="held",
    )
    db.session.add(event)
    db.session.flush()
    first = ["Łucja", "José", "Conceição", "Zoë", "Ñandú", "Bartłomiej", "Inês", "Agustín"]
    last = ["Wiśniewska", "Gonçalves", "Núñez", "Żółkiewski", "Ibáñez", "Sánchez"]
    languages = ["es", "pt", "en"]
    for n in range(people):
        person = Person(
            first_name=f"{first[n % len(first)]} {n}",
            last_name=last[n % len(last)],
            email=f"p{n}@bench.example",
            language=languages[n % 3],
        )
        registration = Registration(person=person, event=event, status="confirmed")
        db.session.add(registration)
        for day in range(DAYS - 1):
            db.session.add(
                Attendance(registration=registration, day=event.start_date + timedelta(days=day))
            )
    db.session.commit()
    template = templates.save_template(event_id=event.id, data=templates.defaults("attendance"))
    templates.add_image(template.id, "logo", _png(300, 120, "#1f4e79"))
    templates.add_image(
        template.id, "signature", _png(240, 90, "#222222"),
        signer_name="María Pérez", signer_position="Secretaría Técnica",
    )  # fmt: skip
    return template.id


def reset(template_id: int) -> None:
    """Back to no certificates: the next run produces all of them again."""
    from sqlalchemy import delete

    from lanet.certificates.models import Certificate, CertificateRun
    from lanet.core.models import StoredFile
    from lanet.extensions import db
    from lanet.mail.models import OutboxAttachment, OutboxMessage

    db.session.execute(delete(Certificate).where(Certificate.template_id == template_id))
    db.session.execute(delete(CertificateRun))
    db.session.execute(delete(StoredFile).where(StoredFile.key.like("certificates/%")))
    db.session.execute(delete(OutboxAttachment))
    db.session.execute(delete(OutboxMessage))
    db.session.commit()


def produce(template_id: int) -> tuple[float, int]:
    from lanet.certificates import production
    from lanet.certificates.models import CertificateRun
    from lanet.extensions import db

    run = CertificateRun(template_id=template_id)
    db.session.add(run)
    db.session.commit()
    started = time.perf_counter()
    finished = production.run(run.id)
    return time.perf_counter() - started, finished.done


def draw_plain(rows: list[tuple[str, str, str]], logo: bytes, signature: bytes) -> float:
    """reportlab alone: the same page per tuple, one PDF each, kept in memory."""
    import segno
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    from reportlab.platypus import Paragraph

    from lanet.core.fonts import register_pdf_fonts

    regular, bold = register_pdf_fonts()
    width, height = landscape(A4)
    title_style = ParagraphStyle("t", fontName=bold, fontSize=30, leading=36, alignment=TA_CENTER)
    body_style = ParagraphStyle("b", fontName=regular, fontSize=15, leading=22, alignment=TA_CENTER)
    logo_image, signature_image = ImageReader(io.BytesIO(logo)), ImageReader(io.BytesIO(signature))
    started = time.perf_counter()
    for name, code, body in rows:
        buffer = io.BytesIO()
        pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
        pdf.setStrokeColor(colors.HexColor("#1f4e79"))
        pdf.setLineWidth(3)
        pdf.rect(18, 18, width - 36, height - 36)
        pdf.drawImage(logo_image, width / 2 - 70, height - 100, 140, 56, mask="auto")
        title = Paragraph("Certificado de asistencia", title_style)
        _, h = title.wrap(width - 144, height)
        title.drawOn(pdf, 72, height - 150 - h)
        paragraph = Paragraph(body.replace(name, f"<b>{name}</b>"), body_style)
        _, h2 = paragraph.wrap(width - 144, height)
        paragraph.drawOn(pdf, 72, height - 200 - h - h2)
        pdf.drawImage(signature_image, width / 2 - 100, 92, 200, 48, mask="auto")
        pdf.setFont(bold, 10)
        pdf.drawCentredString(width / 2, 77, "María Pérez")
        pdf.setFont(regular, 8.5)
        pdf.drawCentredString(width / 2, 65, "Secretaría Técnica")
        qr = segno.make_qr(f"http://127.0.0.1:5000/verify/{code}", error="m")
        rows_ = list(qr.matrix_iter(scale=1, border=2))
        module = 84 / len(rows_)
        path = pdf.beginPath()
        for r, row in enumerate(rows_):
            for c, dark in enumerate(row):
                if dark:
                    path.rect(width - 134 + c * module, 144 - (r + 1) * module, module, module)
        pdf.drawPath(path, stroke=0, fill=1)
        pdf.setFont(regular, 7.5)
        pdf.drawRightString(width - 50, 50, f"Código de verificación: {code}")
        pdf.showPage()
        pdf.save()
        buffer.getvalue()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    people = 100 if args.quick else 1000

    with private_database("lanet_bench_certificates") as url:
        create_schema(url)
        from sqlalchemy import func, select

        from lanet import create_app
        from lanet.certificates.models import Certificate, CertificateImage
        from lanet.core.models import StoredFile
        from lanet.extensions import db
        from lanet.mail.models import OutboxMessage

        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            template_id = load(people)
            images = {
                i.kind: i.content
                for i in db.session.scalars(
                    select(CertificateImage).where(CertificateImage.template_id == template_id)
                )
            }
            produced, drawn, done_counts = [], [], []
            for run in range(args.runs):
                reset(template_id)
                seconds, done = produce(template_id)
                produced.append(seconds)
                done_counts.append(done)
                rows = [
                    (c.holder_name, c.code, f"Se certifica que {c.holder_name} participó en "
                     "Raphael Lemkin Seminar, Part I, realizado en Oświęcim, Polonia del 2 jun "
                     "2014 – 6 jun 2014, con una asistencia de 4 días (32 horas).")
                    for c in db.session.scalars(select(Certificate).order_by(Certificate.id))
                ]  # fmt: skip
                drawn.append(draw_plain(rows, images["logo"], images["signature"]))
                print(
                    f"run {run + 1}: produced {done} in {seconds:.1f}s, "
                    f"drew {len(rows)} plain pages in {drawn[-1]:.1f}s",
                    flush=True,
                )
            certificates = db.session.scalar(select(func.count()).select_from(Certificate))
            codes = db.session.scalar(select(func.count(func.distinct(Certificate.code))))
            stored = db.session.scalar(
                select(func.count())
                .select_from(StoredFile)
                .where(StoredFile.key.like("certificates/%"))
            )
            emails = db.session.scalar(select(func.count()).select_from(OutboxMessage))
            # Idempotence: one more run on top of the last makes nothing new.
            again, again_done = produce(template_id)
            after = db.session.scalar(select(func.count()).select_from(Certificate))
            emails_after = db.session.scalar(select(func.count()).select_from(OutboxMessage))
            db.session.remove()
            db.engine.dispose()

    result = figure(
        f"produce {people} certificates (eligibility, PDF, storage, outbox email)",
        produced,
        "s",
        baseline_name=f"reportlab drawing the same {people} pages from plain tuples",
        baseline_samples=drawn,
        better="lower",
        notes=(
            f"per certificate {1000 * sorted(produced)[len(produced) // 2] / people:.1f} ms vs "
            f"{1000 * sorted(drawn)[len(drawn) // 2] / people:.1f} ms drawn; a second run over "
            f"finished certificates took {again:.1f}s; load average {os.getloadavg()[0]:.1f}"
        ),
    )
    # Stated as "times the baseline": what the database, storage and email add to drawing.
    result["ratio"] = result["value"] / result["baseline_value"]
    write_result(
        "certificates",
        [result],
        runs=args.runs,
        description=(
            "certificates produced end to end (PostgreSQL) vs reportlab drawing the same pages "
            "from plain tuples, same run"
        ),
        checks={
            "certificates": certificates,
            "distinct_codes": codes,
            "stored_pdfs": stored,
            "emails": emails,
            "duplicated": (after - certificates) + (emails_after - emails),
            "missing": people - certificates,
            "rerun_done": again_done,
        },
        parameters={"people": people, "days_attended": DAYS - 1, "event_days": DAYS},
    )
    print(
        f"production {result['value']:.1f}s vs drawing {result['baseline_value']:.1f}s: "
        f"{result['ratio']:.2f}x; certificates {certificates}, emails {emails}"
    )


if __name__ == "__main__":
    main()
