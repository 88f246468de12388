"""Imports every feature's models so that metadata, Alembic and the shell see them all."""

from lanet.accounts.models import ApiToken, RoleName, User, UserRole, UserToken
from lanet.agenda.models import AgendaItem, AgendaSpeaker, AgendaVersion
from lanet.attendance.models import Attendance
from lanet.bulletin.models import (
    Bulletin,
    BulletinDelivery,
    BulletinSend,
    Contact,
    DistributionList,
)
from lanet.certificates.models import (
    Certificate,
    CertificateDecision,
    CertificateImage,
    CertificateRun,
    CertificateTemplate,
)
from lanet.core.audit import AuditEntry
from lanet.core.models import StoredFile
from lanet.events.models import Cycle, Event, EventPartner, EventQuota, Series
from lanet.mail.models import OutboxAttachment, OutboxMessage
from lanet.network.models import Country, Institution, Person
from lanet.registration.models import (
    ImportJob,
    ImportJobRow,
    Invitation,
    Registration,
    RegistrationCount,
)

__all__ = [
    "AgendaItem",
    "AgendaSpeaker",
    "AgendaVersion",
    "ApiToken",
    "Attendance",
    "AuditEntry",
    "Bulletin",
    "BulletinDelivery",
    "BulletinSend",
    "Contact",
    "Certificate",
    "CertificateDecision",
    "CertificateImage",
    "CertificateRun",
    "CertificateTemplate",
    "Country",
    "Cycle",
    "DistributionList",
    "Event",
    "EventPartner",
    "EventQuota",
    "ImportJob",
    "ImportJobRow",
    "Institution",
    "Invitation",
    "OutboxAttachment",
    "OutboxMessage",
    "Person",
    "Registration",
    "RegistrationCount",
    "RoleName",
    "Series",
    "StoredFile",
    "User",
    "UserRole",
    "UserToken",
]
