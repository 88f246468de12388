"""Defining certificates: a template's texts and rules, its logos and signatures.

Transactions: each public function commits its change with its audit entry; every check runs
first, so a CertificateError (naming the field) means nothing was written.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from lanet.certificates import texts
from lanet.certificates.errors import CertificateError
from lanet.certificates.models import (
    CertificateImage,
    CertificateTemplate,
    ImageKind,
    TemplateKind,
)
from lanet.core import audit
from lanet.extensions import db

LANGUAGES = ("es", "pt", "en")
ROLES = ("participant", "instructor")

# What a new template says until staff change it; the certificate's own languages, not the
# page's, so these are data rather than catalog strings.
DEFAULT_TITLES = {
    TemplateKind.attendance: {
        "es": "Certificado de asistencia",
        "pt": "Certificado de participação",
        "en": "Certificate of attendance",
    },
    TemplateKind.completion: {
        "es": "Certificado de conclusión",
        "pt": "Certificado de conclusão",
        "en": "Certificate of completion",
    },
}
DEFAULT_BODIES = {
    TemplateKind.attendance: {
        "es": "Se certifica que {name} participó como {role} en {event}, realizado en {place} "
        "del {dates}, con una asistencia de {days} días ({hours} horas).",
        "pt": "Certificamos que {name} participou como {role} de {event}, realizado em {place} "
        "de {dates}, com frequência de {days} dias ({hours} horas).",
        "en": "This is to certify that {name} took part as {role} in {event}, held in {place} "
        "on {dates}, attending {days} days ({hours} hours).",
    },
    TemplateKind.completion: {
        "es": "Se certifica que {name} completó {cycle}, habiendo asistido a todas sus partes "
        "({place}; {dates}): {days} días, {hours} horas.",
        "pt": "Certificamos que {name} concluiu {cycle}, tendo frequentado todas as suas partes "
        "({place}; {dates}): {days} dias, {hours} horas.",
        "en": "This is to certify that {name} completed {cycle}, having attended every part "
        "({place}; {dates}): {days} days, {hours} hours.",
    },
}
DEFAULT_ISSUER = "Latin American Network for Genocide and Mass Atrocity Prevention"

_IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}


@dataclass
class TemplateData:
    titles: dict[str, str]
    bodies: dict[str, str]
    issuer: str
    min_share: int = 75
    hours_per_day: int = 8
    roles: tuple[str, ...] = ROLES


def defaults(kind: str) -> TemplateData:
    kind = TemplateKind(kind)
    return TemplateData(
        titles=dict(DEFAULT_TITLES[kind]), bodies=dict(DEFAULT_BODIES[kind]), issuer=DEFAULT_ISSUER
    )


def _validate(data: TemplateData) -> None:
    """Every error names its field; nothing is written before all pass."""
    for language in LANGUAGES:
        for field, values, limit in (
            ("title", data.titles, 200),
            ("body", data.bodies, 2000),
        ):
            name = f"{field}_{language}"
            value = (values.get(language) or "").strip()
            if not value:
                raise CertificateError(_("This field is required."), name)
            if len(value) > limit:
                raise CertificateError(_("At most %(limit)s characters.", limit=limit), name)
            try:
                texts.check(value)
            except texts.PlaceholderError as error:
                if error.placeholder is not None:
                    message = _(
                        "Unknown placeholder {%(placeholder)s}. Available: %(available)s.",
                        placeholder=error.placeholder,
                        available=", ".join("{" + p + "}" for p in texts.PLACEHOLDERS),
                    )
                else:
                    message = _(
                        "A brace without its pair. Write placeholders as {name}; a literal "
                        "brace as {{ or }}."
                    )
                raise CertificateError(message, name) from error
    if not data.issuer.strip() or len(data.issuer) > 300:
        raise CertificateError(_("Name the issuer (at most 300 characters)."), "issuer")
    if not 0 <= data.min_share <= 100:
        raise CertificateError(_("A percentage between 0 and 100."), "min_share")
    if not 0 <= data.hours_per_day <= 24:
        raise CertificateError(_("Between 0 and 24 hours."), "hours_per_day")
    if not data.roles or any(role not in ROLES for role in data.roles):
        raise CertificateError(_("Choose participants, instructors or both."), "roles")


def save_template(
    *, event_id: int | None = None, cycle_id: int | None = None, data: TemplateData
) -> CertificateTemplate:
    """Creates or updates the template of an event (attendance) or a cycle (completion)."""
    if (event_id is None) == (cycle_id is None):
        raise ValueError("a template belongs to exactly one event or one cycle")
    _validate(data)
    column = CertificateTemplate.event_id if event_id else CertificateTemplate.cycle_id
    template = db.session.scalar(
        db.select(CertificateTemplate).where(column == (event_id or cycle_id))
    )
    created = template is None
    if created:
        template = CertificateTemplate(
            kind=TemplateKind.attendance if event_id else TemplateKind.completion,
            event_id=event_id,
            cycle_id=cycle_id,
        )
        db.session.add(template)
    template.titles = {lang: data.titles[lang].strip() for lang in LANGUAGES}
    template.bodies = {lang: data.bodies[lang].strip() for lang in LANGUAGES}
    template.issuer = data.issuer.strip()
    template.min_share = data.min_share
    template.hours_per_day = data.hours_per_day
    template.roles = ",".join(role for role in ROLES if role in data.roles)
    db.session.flush()
    audit.record(
        "certificate_template_created" if created else "certificate_template_changed",
        "certificate_template",
        template.id,
        event_id=event_id,
        changes={"min_share": data.min_share, "roles": template.roles},
    )
    db.session.commit()
    return template


def image_limit() -> int:
    return int(current_app.config["CERTIFICATE_IMAGE_MAX_BYTES"])


def check_image(content: bytes) -> tuple[str, int, int]:
    """(content type, width, height) of a real PNG or JPEG within the limits, or an error."""
    limit = image_limit()
    if not content:
        raise CertificateError(_("Choose an image file."), "image")
    if len(content) > limit:
        raise CertificateError(
            _("The image is too large: at most %(kb)s KB.", kb=limit // 1024), "image"
        )
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()  # reads the whole file: a truncated or forged one fails here
        with Image.open(io.BytesIO(content)) as image:
            kind, (width, height) = image.format, image.size
            image.load()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as error:
        raise CertificateError(_("This file is not a PNG or JPEG image."), "image") from error
    if kind not in _IMAGE_FORMATS:
        raise CertificateError(_("This file is not a PNG or JPEG image."), "image")
    if not (16 <= width <= 4000 and 16 <= height <= 4000):
        raise CertificateError(
            _("The image must be between 16 and 4000 pixels wide and high."), "image"
        )
    return _IMAGE_FORMATS[kind], width, height


def add_image(
    template_id: int,
    kind: str,
    content: bytes,
    *,
    signer_name: str = "",
    signer_position: str = "",
) -> CertificateImage:
    template = db.session.get(CertificateTemplate, template_id)
    if template is None:
        raise CertificateError(_("Define the certificate first."), None, 404)
    kind = ImageKind(kind)
    signer_name, signer_position = signer_name.strip(), signer_position.strip()
    if kind == ImageKind.signature:
        if not signer_name or len(signer_name) > 200:
            raise CertificateError(_("Name the signer (at most 200 characters)."), "signer_name")
        if not signer_position or len(signer_position) > 200:
            raise CertificateError(
                _("Give the signer's position (at most 200 characters)."), "signer_position"
            )
    content_type, width, height = check_image(content)
    image = CertificateImage(
        template=template,
        kind=kind,
        content=content,
        content_type=content_type,
        width=width,
        height=height,
        signer_name=signer_name if kind == ImageKind.signature else None,
        signer_position=signer_position if kind == ImageKind.signature else None,
    )
    db.session.add(image)
    db.session.flush()
    audit.record(
        "certificate_image_added",
        "certificate_template",
        template.id,
        event_id=template.event_id,
        changes={"kind": kind.value, "signer": signer_name or None},
    )
    db.session.commit()
    return image


def remove_image(template_id: int, image_id: int) -> None:
    image = db.session.get(CertificateImage, image_id)
    if image is None or image.template_id != template_id:
        raise CertificateError(_("No such image."), None, 404)
    event_id = image.template.event_id
    db.session.delete(image)
    audit.record(
        "certificate_image_removed",
        "certificate_template",
        template_id,
        event_id=event_id,
        changes={"kind": image.kind},
    )
    db.session.commit()
