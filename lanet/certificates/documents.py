"""What one certificate says, in its holder's language: placeholders filled, images in order."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from lanet.certificates import render, texts
from lanet.certificates.models import CertificateTemplate, ImageKind, TemplateKind
from lanet.core.web import format_date_range
from lanet.events.models import Event


@dataclass(frozen=True)
class Holder:
    name: str
    role: str
    days: int


def verify_url(code: str) -> str:
    return f"{current_app.config['BASE_URL']}/verify/{code}"


def role_label(role: str) -> str:
    labels = {
        "participant": _("participant"),
        "instructor": _("instructor"),
        "speaker": _("speaker"),
        "organizer": _("organizer"),
        "observer": _("observer"),
    }
    return labels.get(role, role)


def _place(event: Event, language: str) -> str:
    country = event.country.name(language) if event.country else ""
    return ", ".join(part for part in (event.city, country) if part)


def cycle_name(template: CertificateTemplate, language: str) -> str:
    cycle = template.cycle or (template.event.cycle if template.event else None)
    if cycle is None:
        return ""
    return _(
        "%(series)s, cycle %(number)s", series=cycle.series.name(language), number=cycle.number
    )


def subject(template: CertificateTemplate, language: str) -> str:
    """The event's title, or the cycle's name: what verification shows."""
    if template.kind == TemplateKind.attendance and template.event is not None:
        return template.event.display_title(language)
    return cycle_name(template, language)


def dates(parts: list[Event]) -> str:
    return "; ".join(
        format_date_range(part.start_date, part.end_date, part.date_precision) for part in parts
    )


@dataclass(frozen=True)
class Prepared:
    """A template read once into plain data, per language: a run of a thousand certificates
    neither reloads the template after each commit nor translates the same labels again."""

    titles: dict[str, str]
    bodies: dict[str, str]
    shared: dict[str, dict[str, str]]  # language -> placeholder values common to all holders
    roles: dict[str, dict[str, str]]  # language -> role -> label
    labels: dict[str, tuple[str, str]]  # language -> (code label, verify label)
    issuer: str
    hours_per_day: int
    logos: tuple[bytes, ...]
    signatures: tuple[render.Signature, ...]

    def document(self, holder: Holder, language: str, code: str) -> render.Document:
        filled = {
            **self.shared[language],
            "name": holder.name,
            "days": str(holder.days),
            "hours": str(holder.days * self.hours_per_day),
            "role": self.roles[language].get(holder.role, holder.role),
        }
        code_label, verify_label = self.labels[language]
        return render.Document(
            title=texts.fill(self.titles.get(language, ""), filled),
            body_markup=texts.fill_markup(self.bodies.get(language, ""), filled),
            issuer=self.issuer,
            code=code,
            verify_url=verify_url(code),
            code_label=code_label,
            verify_label=verify_label,
            logos=self.logos,
            signatures=self.signatures,
        )


ROLES = ("participant", "instructor", "speaker", "organizer", "observer")


def prepare(template: CertificateTemplate, parts: list[Event]) -> Prepared:
    shared, roles, labels = {}, {}, {}
    for language in ("es", "pt", "en"):
        with force_locale(language):
            shared[language] = {
                "event": " / ".join(part.display_title(language) for part in parts),
                "cycle": cycle_name(template, language),
                "dates": dates(parts),
                "place": "; ".join(_place(part, language) for part in parts),
            }
            roles[language] = {role: role_label(role) for role in ROLES}
            labels[language] = (_("Verification code"), _("Verify at"))
    return Prepared(
        titles=dict(template.titles or {}),
        bodies=dict(template.bodies or {}),
        shared=shared,
        roles=roles,
        labels=labels,
        issuer=template.issuer,
        hours_per_day=template.hours_per_day,
        logos=tuple(i.content for i in template.images if i.kind == ImageKind.logo),
        signatures=tuple(
            render.Signature(
                name=i.signer_name or "", position=i.signer_position or "", image=i.content
            )
            for i in template.images
            if i.kind == ImageKind.signature
        ),
    )


SAMPLE_CODE = "SAMPLE0000000000"


def sample_holder(language: str) -> Holder:
    # Letters from all three languages and Polish, so a preview shows any missing glyph.
    names = {
        "es": "María José Núñez Ibáñez",
        "pt": "João Conceição Gonçalves",
        "en": "Zoë Łukasz Wiśniewski",
    }
    return Holder(name=names.get(language, names["en"]), role="participant", days=4)


def preview(template: CertificateTemplate, parts: list[Event], language: str) -> bytes:
    """The PDF with sample data, marked as a sample by its code."""
    prepared = prepare(template, parts)
    return render.render_pdf(prepared.document(sample_holder(language), language, SAMPLE_CODE))
