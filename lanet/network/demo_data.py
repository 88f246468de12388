"""The Network's facts of 2012–2015 and the raw material for synthetic participants.

Pure data, no database: the events, organizations and countries are copied from the 2014
annual report (shared/data/network-2014.json) so that a checkout can seed a demo without
that file. Everything below SYNTHETIC is invented: names, positions and institutions that
look real enough for a demo and for tests, with the accents that real data will have.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

NETWORK_NAME = {
    "en": "Latin American Network for Genocide and Mass Atrocity Prevention",
    "es": "Red Latinoamericana para la Prevención del Genocidio y Atrocidades Masivas",
    "pt": "Rede Latino-Americana para a Prevenção do Genocídio e Atrocidades em Massa",
}
TECHNICAL_SECRETARIAT = "AIPR"


# --- Countries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CountryData:
    code: str
    name_es: str
    name_pt: str
    name_en: str
    membership: str  # member / candidate / other


COUNTRIES: tuple[CountryData, ...] = (
    # The 18 member states.
    CountryData("AR", "Argentina", "Argentina", "Argentina", "member"),
    CountryData("BO", "Bolivia", "Bolívia", "Bolivia", "member"),
    CountryData("BR", "Brasil", "Brasil", "Brazil", "member"),
    CountryData("CL", "Chile", "Chile", "Chile", "member"),
    CountryData("CO", "Colombia", "Colômbia", "Colombia", "member"),
    CountryData("CR", "Costa Rica", "Costa Rica", "Costa Rica", "member"),
    CountryData(
        "DO", "República Dominicana", "República Dominicana", "Dominican Republic", "member"
    ),
    CountryData("EC", "Ecuador", "Equador", "Ecuador", "member"),
    CountryData("SV", "El Salvador", "El Salvador", "El Salvador", "member"),
    CountryData("GT", "Guatemala", "Guatemala", "Guatemala", "member"),
    CountryData("HN", "Honduras", "Honduras", "Honduras", "member"),
    CountryData("MX", "México", "México", "Mexico", "member"),
    CountryData("NI", "Nicaragua", "Nicarágua", "Nicaragua", "member"),
    CountryData("PA", "Panamá", "Panamá", "Panama", "member"),
    CountryData("PY", "Paraguay", "Paraguai", "Paraguay", "member"),
    CountryData("PE", "Perú", "Peru", "Peru", "member"),
    CountryData("UY", "Uruguay", "Uruguai", "Uruguay", "member"),
    CountryData("VE", "Venezuela", "Venezuela", "Venezuela", "member"),
    # Candidate.
    CountryData("CU", "Cuba", "Cuba", "Cuba", "candidate"),
    # Hosts of events abroad and seats of partner organizations.
    CountryData("PL", "Polonia", "Polônia", "Poland", "other"),
    CountryData("CH", "Suiza", "Suíça", "Switzerland", "other"),
    CountryData("BE", "Bélgica", "Bélgica", "Belgium", "other"),
    CountryData("US", "Estados Unidos", "Estados Unidos", "United States", "other"),
)

MEMBER_COUNTRIES: tuple[str, ...] = tuple(c.code for c in COUNTRIES if c.membership == "member")


# --- Organizations the Network works with ------------------------------------------------


@dataclass(frozen=True)
class OrganizationData:
    code: str
    name: str
    kind: str  # an InstitutionKind value
    role: str  # as the report describes it: technical_secretariat / supporter / partner
    country: str | None


ORGANIZATIONS: tuple[OrganizationData, ...] = (
    OrganizationData(
        "AIPR",
        "Auschwitz Institute for Peace and Reconciliation",
        "civil_society",
        "technical_secretariat",
        "US",
    ),
    OrganizationData(
        "OSAPG",
        "United Nations Office of the Special Adviser on the Prevention of Genocide",
        "international_organization",
        "supporter",
        "US",
    ),
    OrganizationData("STANLEY", "The Stanley Foundation", "civil_society", "supporter", "US"),
    OrganizationData(
        "ICRC",
        "International Committee of the Red Cross",
        "international_organization",
        "supporter",
        "CH",
    ),
    OrganizationData(
        "FIO",
        "Ibero-American Federation of Ombudsmen",
        "international_organization",
        "partner",
        None,
    ),
    OrganizationData(
        "GAAMAC",
        "Global Action Against Mass Atrocity Crimes",
        "international_organization",
        "partner",
        "CH",
    ),
    OrganizationData(
        "CRIES",
        "Regional Coordinator of Economic and Social Research",
        "civil_society",
        "partner",
        "AR",
    ),
)


@dataclass(frozen=True)
class PartnerData:
    """A partner named in the report by its English description, with its own name."""

    name: str
    country: str | None
    kind: str


# The report names national partners in English; they are stored under their own names, so
# that e.g. the Costa Rican ministry is the same row as the one its civil servants belong to.
PARTNER_INSTITUTIONS: dict[str, PartnerData] = {
    "Permanent Mission of Ecuador to the United Nations": PartnerData(
        "Misión Permanente del Ecuador ante las Naciones Unidas", "EC", "ministry_foreign_affairs"
    ),
    "Government of Chile": PartnerData("Gobierno de Chile", "CL", "other_government"),
    "Government of Argentina": PartnerData(
        "Gobierno de la República Argentina", "AR", "other_government"
    ),
    "Ministry of Foreign Affairs of Costa Rica": PartnerData(
        "Ministerio de Relaciones Exteriores y Culto de Costa Rica",
        "CR",
        "ministry_foreign_affairs",
    ),
    "Department of Human Rights, Carabineros de Chile": PartnerData(
        "Departamento de Derechos Humanos, Carabineros de Chile", "CL", "security_forces"
    ),
    "Academy of Police Sciences, Carabineros de Chile": PartnerData(
        "Academia de Ciencias Policiales, Carabineros de Chile", "CL", "security_forces"
    ),
    "Carabineros de Chile": PartnerData("Carabineros de Chile", "CL", "security_forces"),
    "Ministry of Foreign Affairs of Mexico": PartnerData(
        "Secretaría de Relaciones Exteriores de México", "MX", "ministry_foreign_affairs"
    ),
    "Memory and Tolerance Museum": PartnerData("Museo Memoria y Tolerancia", "MX", "civil_society"),
    "Inter-Ministerial Commission of International Humanitarian Law of Mexico": PartnerData(
        "Comisión Intersecretarial de Derecho Internacional Humanitario de México",
        "MX",
        "other_government",
    ),
    "Directorate of Human Rights, Ministry of Foreign Affairs and Worship of Argentina": (
        PartnerData(
            "Dirección de Derechos Humanos, Ministerio de Relaciones Exteriores y Culto"
            " de Argentina",
            "AR",
            "ministry_foreign_affairs",
        )
    ),
    "Directorate of Human Rights, Justice, Governance and Decentralization of Honduras": (
        PartnerData(
            "Dirección de Derechos Humanos, Justicia, Gobernación y Descentralización de Honduras",
            "HN",
            "ministry_justice",
        )
    ),
    "National Commission of the Study and Application of International Humanitarian Law"
    " (CONADIH)": PartnerData(
        "Comisión Nacional de Estudio y Aplicación del Derecho Internacional Humanitario (CONADIH)",
        "PE",
        "other_government",
    ),
    "Center for Research in Justice and Human Rights": PartnerData(
        "Centro de Estudios en Justicia y Derechos Humanos", "PE", "ministry_justice"
    ),
    "General Office of Cooperation and Projects, Ministry of Justice and Human Rights of Peru": (
        PartnerData(
            "Oficina General de Cooperación y Proyectos, Ministerio de Justicia y Derechos"
            " Humanos del Perú",
            "PE",
            "ministry_justice",
        )
    ),
    "Office of the Ombudsman of Panama": PartnerData(
        "Defensoría del Pueblo de la República de Panamá", "PA", "ombudsman"
    ),
}


# --- The Raphael Lemkin Seminar series -----------------------------------------------------


@dataclass(frozen=True)
class SeriesData:
    code: str
    name: dict[str, str]
    description: str
    parts_per_cycle: int
    cycles: tuple[int, ...]


SERIES: tuple[SeriesData, ...] = (
    SeriesData(
        code="lemkin-la",
        name={
            "en": "Raphael Lemkin Seminar for Genocide Prevention, Latin American edition",
            "es": "Seminario Raphael Lemkin para la Prevención del Genocidio,"
            " edición latinoamericana",
            "pt": "Seminário Raphael Lemkin para a Prevenção do Genocídio, edição latino-americana",
        },
        description=(
            "Cycles of two parts; part one in Oświęcim, Poland, part two at a site in Latin"
            " America where mass atrocities took place."
        ),
        parts_per_cycle=2,
        cycles=(1, 2),
    ),
)


# --- Events --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaEntryData:
    """One agenda line of the report: English as reported, Spanish as it would be shown."""

    kind: str  # session / module / break / visit / ceremony
    title: str
    title_es: str
    room: str | None = None


@dataclass(frozen=True)
class EventData:
    slug: str
    kind: str
    title: str
    title_translations: dict[str, str]
    city: str | None
    country: str | None
    timezone: str
    start_date: date
    end_date: date
    status: str
    date_precision: str = "day"
    series: str | None = None
    cycle: int | None = None
    part: int | None = None
    organizers: tuple[str, ...] = ()
    collaborators: tuple[str, ...] = ()
    supporters: tuple[str, ...] = ()
    funders: tuple[str, ...] = ()
    audience: str | None = None
    note: str | None = None
    # Countries taking part when the report names them (a bilateral videoconference).
    countries: tuple[str, ...] = ()
    languages: str = "es"
    agenda: tuple[AgendaEntryData, ...] = field(default_factory=tuple)


def _titles(en: str, es: str, pt: str) -> dict[str, str]:
    return {"es": es, "pt": pt, "en": en}


def _lemkin(cycle: int, part: int) -> dict[str, str]:
    return _titles(
        f"Raphael Lemkin Seminar, cycle {cycle}, part {part}",
        f"Seminario Raphael Lemkin, ciclo {cycle}, parte {part}",
        f"Seminário Raphael Lemkin, ciclo {cycle}, parte {part}",
    )


EVENTS: tuple[EventData, ...] = (
    EventData(
        slug="planning-2012",
        kind="network_meeting",
        title="First planning meeting of the Network",
        title_translations=_titles(
            "First planning meeting of the Network",
            "Primera reunión de planificación de la Red",
            "Primeira reunião de planejamento da Rede",
        ),
        city="Buenos Aires",
        country="AR",
        timezone="America/Argentina/Buenos_Aires",
        start_date=date(2012, 3, 1),
        end_date=date(2012, 3, 31),
        date_precision="month",
        status="held",
        audience=(
            "Ministries of Foreign Affairs, Defense, Justice and Ombudsman's Offices of the 18"
            " member countries"
        ),
    ),
    EventData(
        slug="lemkin-c1-p1",
        kind="lemkin_seminar",
        title="Raphael Lemkin Seminar, cycle 1, part 1",
        title_translations=_lemkin(1, 1),
        city="Oświęcim",
        country="PL",
        timezone="Europe/Warsaw",
        start_date=date(2013, 6, 1),
        end_date=date(2013, 6, 30),
        date_precision="month",
        status="held",
        series="lemkin-la",
        cycle=1,
        part=1,
    ),
    EventData(
        slug="lemkin-c1-p2",
        kind="lemkin_seminar",
        title="Raphael Lemkin Seminar, cycle 1, part 2",
        title_translations=_lemkin(1, 2),
        city="Buenos Aires",
        country="AR",
        timezone="America/Argentina/Buenos_Aires",
        start_date=date(2014, 6, 1),
        end_date=date(2014, 6, 30),
        date_precision="month",
        status="held",
        series="lemkin-la",
        cycle=1,
        part=2,
    ),
    EventData(
        slug="hrc25-side-event",
        kind="side_event",
        title="Side event to the 25th regular session of the UN Human Rights Council",
        title_translations=_titles(
            "Side event to the 25th regular session of the UN Human Rights Council",
            "Evento paralelo al 25.º período ordinario de sesiones del Consejo de Derechos"
            " Humanos de la ONU",
            "Evento paralelo à 25ª sessão ordinária do Conselho de Direitos Humanos da ONU",
        ),
        city="Geneva",
        country="CH",
        timezone="Europe/Zurich",
        start_date=date(2014, 3, 4),
        end_date=date(2014, 3, 4),
        status="held",
        organizers=("Permanent Mission of Ecuador to the United Nations",),
        funders=("Government of Chile", "Government of Argentina"),
        languages="en,es",
    ),
    EventData(
        slug="gaamac-1",
        kind="international_meeting",
        title="First meeting of Global Action Against Mass Atrocity Crimes (GAAMAC)",
        title_translations=_titles(
            "First meeting of Global Action Against Mass Atrocity Crimes (GAAMAC)",
            "Primera reunión de la Acción Global contra Crímenes Atroces Masivos (GAAMAC)",
            "Primeira reunião da Ação Global contra Crimes de Atrocidade em Massa (GAAMAC)",
        ),
        city="San José",
        country="CR",
        timezone="America/Costa_Rica",
        start_date=date(2014, 3, 4),
        end_date=date(2014, 3, 6),
        status="held",
        note="56 States that had appointed focal points took part",
        languages="en,es",
    ),
    EventData(
        slug="brussels-2014",
        kind="international_meeting",
        title="Conference on Genocide Prevention",
        title_translations=_titles(
            "Conference on Genocide Prevention",
            "Conferencia sobre la Prevención del Genocidio",
            "Conferência sobre a Prevenção do Genocídio",
        ),
        city="Brussels",
        country="BE",
        timezone="Europe/Brussels",
        start_date=date(2014, 3, 31),
        end_date=date(2014, 4, 1),
        status="held",
        note="125 participating countries",
        languages="en",
    ),
    EventData(
        slug="cr-tools-2014",
        kind="national_seminar",
        title="Seminar on Tools for Genocide Prevention",
        title_translations=_titles(
            "Seminar on Tools for Genocide Prevention",
            "Seminario sobre Herramientas para la Prevención del Genocidio",
            "Seminário sobre Ferramentas para a Prevenção do Genocídio",
        ),
        city="San José",
        country="CR",
        timezone="America/Costa_Rica",
        start_date=date(2014, 3, 3),
        end_date=date(2014, 3, 3),
        status="held",
        organizers=("Ministry of Foreign Affairs of Costa Rica", "AIPR"),
        collaborators=("OSAPG",),
        audience=(
            "civil servants with competency in human rights and international humanitarian law"
        ),
        agenda=(
            AgendaEntryData("ceremony", "Opening session", "Sesión de apertura"),
            AgendaEntryData(
                "session",
                "Concepts of genocide and mass atrocities",
                "Conceptos de genocidio y atrocidades masivas",
            ),
            AgendaEntryData("session", "The framework of prevention", "El marco de la prevención"),
            AgendaEntryData("session", "Early-warning systems", "Sistemas de alerta temprana"),
            AgendaEntryData(
                "session",
                "Presentation of the Latin American Network",
                "Presentación de la Red Latinoamericana",
            ),
            AgendaEntryData(
                "module",
                "Module: the experience of Paraguay in public policy for prevention (social"
                " inclusion and fighting discrimination)",
                "Módulo: la experiencia de Paraguay en políticas públicas de prevención"
                " (inclusión social y lucha contra la discriminación)",
            ),
        ),
    ),
    EventData(
        slug="cl-carabineros-2014",
        kind="conference",
        title="International Conference for the Prevention of Genocide and Other Mass Atrocities",
        title_translations=_titles(
            "International Conference for the Prevention of Genocide and Other Mass Atrocities",
            "Conferencia Internacional para la Prevención del Genocidio y Otras Atrocidades"
            " Masivas",
            "Conferência Internacional para a Prevenção do Genocídio e Outras Atrocidades em Massa",
        ),
        city="Santiago",
        country="CL",
        timezone="America/Santiago",
        start_date=date(2014, 4, 8),
        end_date=date(2014, 4, 8),
        status="held",
        organizers=(
            "Department of Human Rights, Carabineros de Chile",
            "Academy of Police Sciences, Carabineros de Chile",
        ),
        audience="students of the Masters programme of the Academy of Police Sciences",
    ),
    EventData(
        slug="mx-mechanisms-2014",
        kind="national_seminar",
        title="Seminar on International Mechanisms for Mass Atrocity Prevention",
        title_translations=_titles(
            "Seminar on International Mechanisms for Mass Atrocity Prevention",
            "Seminario sobre Mecanismos Internacionales para la Prevención de Atrocidades Masivas",
            "Seminário sobre Mecanismos Internacionais para a Prevenção de Atrocidades em Massa",
        ),
        city="Mexico City",
        country="MX",
        timezone="America/Mexico_City",
        start_date=date(2014, 4, 23),
        end_date=date(2014, 4, 24),
        status="held",
        organizers=(
            "Ministry of Foreign Affairs of Mexico",
            "Memory and Tolerance Museum",
            "AIPR",
        ),
        collaborators=("OSAPG",),
        audience="civil servants, civil society and academia",
        agenda=(
            AgendaEntryData("ceremony", "Opening session", "Sesión de apertura"),
            AgendaEntryData(
                "session",
                "Recorded remarks of the UN Special Adviser on the Prevention of Genocide",
                "Mensaje grabado del Asesor Especial de la ONU para la Prevención del Genocidio",
            ),
            AgendaEntryData("module", "Module: the Holocaust", "Módulo: el Holocausto"),
            AgendaEntryData(
                "module",
                "Module: legal frameworks for genocide and mass atrocities prevention",
                "Módulo: marcos jurídicos para la prevención del genocidio y las atrocidades"
                " masivas",
            ),
            AgendaEntryData(
                "module",
                "Module: the Responsibility to Protect (R2P)",
                "Módulo: la Responsabilidad de Proteger (R2P)",
            ),
            AgendaEntryData(
                "session",
                "Presentation of the Latin American Network and interactive exercise",
                "Presentación de la Red Latinoamericana y ejercicio interactivo",
            ),
            AgendaEntryData(
                "visit",
                "Guided tour of the Museum of Memory and Tolerance",
                "Visita guiada al Museo Memoria y Tolerancia",
                room="Museo Memoria y Tolerancia",
            ),
        ),
    ),
    EventData(
        slug="fpm-2",
        kind="focal_points_meeting",
        title="Second Focal Points Meeting",
        title_translations=_titles(
            "Second Focal Points Meeting",
            "Segunda Reunión de Puntos Focales",
            "Segunda Reunião de Pontos Focais",
        ),
        city="Buenos Aires",
        country="AR",
        timezone="America/Argentina/Buenos_Aires",
        start_date=date(2014, 6, 16),
        end_date=date(2014, 6, 16),
        status="held",
        audience=(
            "representatives of the 18 member countries and the UN Special Adviser on the"
            " Prevention of Genocide"
        ),
    ),
    EventData(
        slug="py-chapter-2014",
        kind="national_seminar",
        title="Presentation of the Paraguay Chapter of the Latin American Network",
        title_translations=_titles(
            "Presentation of the Paraguay Chapter of the Latin American Network",
            "Presentación del Capítulo Paraguay de la Red Latinoamericana",
            "Apresentação do Capítulo Paraguai da Rede Latino-Americana",
        ),
        city="Asunción",
        country="PY",
        timezone="America/Asuncion",
        start_date=date(2014, 8, 27),
        end_date=date(2014, 8, 28),
        status="held",
        audience="civil servants and civil society representatives",
        agenda=(
            AgendaEntryData("session", "Objectives of the Network", "Objetivos de la Red"),
            AgendaEntryData(
                "session",
                "Role of Paraguay's Focal Points",
                "El rol de los Puntos Focales del Paraguay",
            ),
            AgendaEntryData(
                "session",
                "Interactive forum: towards a National Mechanism for the Prevention of Genocide",
                "Foro interactivo: hacia un Mecanismo Nacional para la Prevención del Genocidio",
            ),
        ),
    ),
    EventData(
        slug="mx-ihl-course-2014",
        kind="course",
        title="Fifth Annual Specialized Course on International Humanitarian Law",
        title_translations=_titles(
            "Fifth Annual Specialized Course on International Humanitarian Law",
            "Quinto Curso Anual Especializado en Derecho Internacional Humanitario",
            "Quinto Curso Anual Especializado em Direito Internacional Humanitário",
        ),
        city="Mexico City",
        country="MX",
        timezone="America/Mexico_City",
        start_date=date(2014, 9, 29),
        end_date=date(2014, 9, 30),
        status="held",
        organizers=("Inter-Ministerial Commission of International Humanitarian Law of Mexico",),
        agenda=(
            AgendaEntryData(
                "session",
                "Conference on Tools for the Prevention of International Crimes and the"
                " Responsibility to Protect",
                "Conferencia sobre herramientas para la prevención de crímenes internacionales"
                " y la Responsabilidad de Proteger",
            ),
        ),
    ),
    EventData(
        slug="fio-assembly-2014",
        kind="international_meeting",
        title=(
            "General Assembly of the Ibero-American Federation of Ombudsmen (signing of the"
            " FIO-AIPR Memorandum of Understanding)"
        ),
        title_translations=_titles(
            "General Assembly of the Ibero-American Federation of Ombudsmen (signing of the"
            " FIO-AIPR Memorandum of Understanding)",
            "Asamblea General de la Federación Iberoamericana del Ombudsman (firma del"
            " Memorando de Entendimiento FIO-AIPR)",
            "Assembleia Geral da Federação Ibero-Americana do Ombudsman (assinatura do"
            " Memorando de Entendimento FIO-AIPR)",
        ),
        city=None,
        country=None,
        timezone="UTC",
        start_date=date(2014, 10, 4),
        end_date=date(2014, 10, 4),
        status="held",
        languages="es,pt",
    ),
    EventData(
        slug="co-ihl-course-2014",
        kind="course",
        title="Third Augusto Ramírez Ocampo Course on International Humanitarian Law",
        title_translations=_titles(
            "Third Augusto Ramírez Ocampo Course on International Humanitarian Law",
            "Tercer Curso de Derecho Internacional Humanitario Augusto Ramírez Ocampo",
            "Terceiro Curso de Direito Internacional Humanitário Augusto Ramírez Ocampo",
        ),
        city="Bogotá",
        country="CO",
        timezone="America/Bogota",
        start_date=date(2014, 10, 8),
        end_date=date(2014, 10, 10),
        status="held",
        note="city not stated in the report",
    ),
    EventData(
        slug="lemkin-c2-p1",
        kind="lemkin_seminar",
        title="Raphael Lemkin Seminar, cycle 2, part 1",
        title_translations=_lemkin(2, 1),
        city="Oświęcim",
        country="PL",
        timezone="Europe/Warsaw",
        start_date=date(2014, 10, 12),
        end_date=date(2014, 10, 19),
        status="held",
        series="lemkin-la",
        cycle=2,
        part=1,
        agenda=(
            AgendaEntryData(
                "module",
                "Critical issues in the prevention of genocide and atrocity crimes",
                "Cuestiones críticas en la prevención del genocidio y los crímenes atroces",
            ),
            AgendaEntryData(
                "module",
                "Recognizing and addressing warning signs",
                "Reconocer y atender las señales de alerta",
            ),
        ),
    ),
    EventData(
        slug="ar-hn-videoconf-2014",
        kind="videoconference",
        title=(
            "Tools for the Implementation of a National Plan Against Discrimination with a"
            " Focus on Mass Atrocities Prevention"
        ),
        title_translations=_titles(
            "Tools for the Implementation of a National Plan Against Discrimination with a"
            " Focus on Mass Atrocities Prevention",
            "Herramientas para la implementación de un Plan Nacional contra la Discriminación"
            " con enfoque en la prevención de atrocidades masivas",
            "Ferramentas para a implementação de um Plano Nacional contra a Discriminação com"
            " foco na prevenção de atrocidades em massa",
        ),
        city=None,
        country="HN",
        timezone="America/Tegucigalpa",
        start_date=date(2014, 10, 24),
        end_date=date(2014, 10, 24),
        status="held",
        organizers=(
            "Directorate of Human Rights, Ministry of Foreign Affairs and Worship of Argentina",
            "Directorate of Human Rights, Justice, Governance and Decentralization of Honduras",
        ),
        supporters=("AIPR",),
        countries=("AR", "HN"),
    ),
    EventData(
        slug="pe-use-of-force-2014",
        kind="workshop",
        title=(
            "Workshop on international standards applied to the use of force, with a focus on"
            " prevention"
        ),
        title_translations=_titles(
            "Workshop on international standards applied to the use of force, with a focus on"
            " prevention",
            "Taller sobre estándares internacionales aplicados al uso de la fuerza, con enfoque"
            " en la prevención",
            "Oficina sobre padrões internacionais aplicados ao uso da força, com foco na prevenção",
        ),
        city="Lima",
        country="PE",
        timezone="America/Lima",
        start_date=date(2014, 10, 28),
        end_date=date(2014, 10, 30),
        status="held",
        organizers=(
            "National Commission of the Study and Application of International Humanitarian Law"
            " (CONADIH)",
            "Center for Research in Justice and Human Rights",
            "General Office of Cooperation and Projects, Ministry of Justice and Human Rights of"
            " Peru",
        ),
        supporters=("ICRC", "AIPR"),
        note="city not stated in the report",
    ),
    EventData(
        slug="fpm-3",
        kind="focal_points_meeting",
        title="Third Focal Points Meeting",
        title_translations=_titles(
            "Third Focal Points Meeting",
            "Tercera Reunión de Puntos Focales",
            "Terceira Reunião de Pontos Focais",
        ),
        city="Panama City",
        country="PA",
        timezone="America/Panama",
        start_date=date(2014, 12, 4),
        end_date=date(2014, 12, 4),
        status="held",
        supporters=("AIPR", "OSAPG", "STANLEY", "Office of the Ombudsman of Panama"),
        agenda=(
            AgendaEntryData(
                "session",
                "Initiatives developed in 2014 by each member country",
                "Iniciativas desarrolladas en 2014 por cada país miembro",
            ),
            AgendaEntryData(
                "session",
                "Proposals for joint action in 2015",
                "Propuestas de acción conjunta para 2015",
            ),
            AgendaEntryData(
                "module",
                "Thematic module: circumstances of indigenous populations in the region",
                "Módulo temático: la situación de las poblaciones indígenas en la región",
            ),
            AgendaEntryData(
                "module",
                "Thematic module: capacity building for peacekeepers and security forces",
                "Módulo temático: formación de capacidades para fuerzas de paz y fuerzas de"
                " seguridad",
            ),
            AgendaEntryData(
                "module",
                "Thematic module: national experiences implementing National Mechanisms for"
                " genocide prevention",
                "Módulo temático: experiencias nacionales en la implementación de Mecanismos"
                " Nacionales para la prevención del genocidio",
            ),
        ),
    ),
    EventData(
        slug="sv-cries-workshop",
        kind="workshop",
        title=(
            "Prevention of Mass Human Rights Violations and Genocide: The Role of Civil Society"
            " Organizations in El Salvador"
        ),
        title_translations=_titles(
            "Prevention of Mass Human Rights Violations and Genocide: The Role of Civil Society"
            " Organizations in El Salvador",
            "Prevención de violaciones masivas de derechos humanos y genocidio: el papel de las"
            " organizaciones de la sociedad civil en El Salvador",
            "Prevenção de violações em massa de direitos humanos e genocídio: o papel das"
            " organizações da sociedade civil em El Salvador",
        ),
        city="San Salvador",
        country="SV",
        timezone="America/El_Salvador",
        start_date=date(2014, 1, 1),
        end_date=date(2014, 12, 31),
        date_precision="year",
        status="held",
        organizers=("CRIES",),
        note="date and city not stated in the report",
    ),
    EventData(
        slug="lemkin-c2-p2",
        kind="lemkin_seminar",
        title="Raphael Lemkin Seminar, cycle 2, part 2",
        title_translations=_lemkin(2, 2),
        city=None,
        country=None,
        timezone="UTC",
        start_date=date(2015, 5, 1),
        end_date=date(2015, 5, 31),
        date_precision="month",
        status="planned",
        series="lemkin-la",
        cycle=2,
        part=2,
        audience=(
            "civil servants responsible for human rights and genocide prevention, identified by"
            " the Focal Points"
        ),
    ),
    EventData(
        slug="cl-policing-course-2015",
        kind="course",
        title=("Specialized Course on Human Rights, Policing, and Protection of Vulnerable Groups"),
        title_translations=_titles(
            "Specialized Course on Human Rights, Policing, and Protection of Vulnerable Groups",
            "Curso Especializado en Derechos Humanos, Función Policial y Protección de Grupos"
            " Vulnerables",
            "Curso Especializado em Direitos Humanos, Policiamento e Proteção de Grupos"
            " Vulneráveis",
        ),
        city=None,
        country="CL",
        timezone="America/Santiago",
        start_date=date(2015, 7, 1),
        end_date=date(2015, 12, 31),
        date_precision="half-year",
        status="planned",
        organizers=("Carabineros de Chile",),
    ),
)

EVENTS_BY_SLUG: dict[str, EventData] = {e.slug: e for e in EVENTS}


# === SYNTHETIC ==============================================================================
# Invented people and institutions. Brazil speaks Portuguese, everyone else Spanish.

PORTUGUESE_COUNTRIES: frozenset[str] = frozenset({"BR"})

FIRST_NAMES_ES_FEMALE: tuple[str, ...] = (
    "María", "María José", "Ana María", "Lucía", "Sofía", "Valentina", "Camila", "Mariana",
    "Gabriela", "Verónica", "Mónica", "Patricia", "Claudia", "Andrea", "Carolina", "Daniela",
    "Natalia", "Paula", "Silvia", "Rocío", "Inés", "Beatriz", "Raquel", "Ximena", "Julieta",
    "Florencia", "Marisol", "Guadalupe", "Leticia", "Adriana", "Noemí", "Ángela", "Dolores",
    "Soledad", "Maité", "Itzel",
)  # fmt: skip
FIRST_NAMES_ES_MALE: tuple[str, ...] = (
    "José", "Juan Carlos", "Luis", "Jorge", "Carlos", "Andrés", "Sebastián", "Martín",
    "Diego", "Javier", "Fernando", "Ricardo", "Alejandro", "Gonzalo", "Raúl", "Óscar",
    "Héctor", "Iván", "Joaquín", "Matías", "Nicolás", "Tomás", "Rubén", "Julián", "Esteban",
    "Ramón", "Álvaro", "Hernán", "Rodrigo", "Germán", "Efraín", "Agustín", "José Luis",
    "Jesús", "Víctor",
)  # fmt: skip
LAST_NAMES_ES: tuple[str, ...] = (
    "García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez",
    "Gómez", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero",
    "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Ramírez", "Suárez",
    "Molina", "Castro", "Ortiz", "Núñez", "Medina", "Cortés", "Castillo", "Peña", "Ibáñez",
    "Quiñones", "Aguilar", "Espinoza", "Valdés", "Figueroa", "Orellana", "Villalobos",
    "Céspedes", "Solís", "Chávez", "Rojas", "Zúñiga", "Echeverría", "Sepúlveda", "Andrade",
    "Bermúdez", "Carrión", "Galeano", "Montaño", "Beltrán",
)  # fmt: skip
# Surnames frequent in one country, mixed in so each delegation looks like itself.
REGIONAL_LAST_NAMES: dict[str, tuple[str, ...]] = {
    "AR": ("Giménez", "Ferreyra", "Acosta", "Benítez", "Sosa"),
    "BO": ("Mamani", "Quispe", "Condori", "Choque", "Flores"),
    "CL": ("Larraín", "Muñoz", "Contreras", "Araya", "Fuentes"),
    "GT": ("Xicará", "Coyoy", "Batz", "Morales", "Estrada"),
    "MX": ("Hernández", "Juárez", "Velázquez", "Guzmán", "Ordóñez"),
    "PE": ("Huamán", "Quispe", "Mendoza", "Vílchez", "Cárdenas"),
    "PY": ("Benítez", "Cabañas", "Villalba", "Ayala", "Ojeda"),
    "UY": ("Silveira", "Pereyra", "Olivera", "Acuña", "Techera"),
}

FIRST_NAMES_PT_FEMALE: tuple[str, ...] = (
    "Maria", "Ana Paula", "Maria da Conceição", "Conceição", "Fernanda", "Juliana", "Luciana",
    "Patrícia", "Letícia", "Camila", "Beatriz", "Débora", "Márcia", "Cláudia", "Renata",
    "Simone", "Aline", "Vitória", "Lívia", "Sônia", "Fabíola", "Lúcia",
)  # fmt: skip
FIRST_NAMES_PT_MALE: tuple[str, ...] = (
    "João", "José", "Antônio", "Francisco", "Paulo", "Pedro", "Lucas", "Luiz", "Marcos",
    "Gustavo", "Rafael", "Thiago", "Rodrigo", "Fábio", "Sérgio", "Márcio", "Vinícius", "Caio",
    "Otávio", "Flávio", "Júlio", "André", "João Vítor",
)  # fmt: skip
LAST_NAMES_PT: tuple[str, ...] = (
    "Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Rodrigues", "Almeida",
    "Nascimento", "Lima", "Araújo", "Fernandes", "Carvalho", "Gomes", "Martins", "Rocha",
    "Ribeiro", "Alves", "Monteiro", "Mendes", "Barros", "Freitas", "Barbosa", "Cavalcanti",
    "Gonçalves", "Magalhães", "Conceição", "Brandão", "Simões", "Falcão", "Assunção",
    "Guimarães", "Sá", "Lopes", "Damásio",
)  # fmt: skip

# Positions by institution kind, as (masculine, feminine) pairs.
POSITIONS_ES: dict[str, tuple[tuple[str, str], ...]] = {
    "ministry_foreign_affairs": (
        ("Primer Secretario", "Primera Secretaria"),
        ("Segundo Secretario", "Segunda Secretaria"),
        ("Consejero", "Consejera"),
        ("Ministro Consejero", "Ministra Consejera"),
        ("Director de Derechos Humanos", "Directora de Derechos Humanos"),
        ("Jefe del Departamento de Derechos Humanos", "Jefa del Departamento de Derechos Humanos"),
        ("Analista de Política Exterior", "Analista de Política Exterior"),
    ),
    "ministry_defense": (
        ("Coronel", "Coronela"),
        ("Teniente Coronel", "Teniente Coronel"),
        ("Capitán de Fragata", "Capitana de Fragata"),
        ("Asesor Jurídico", "Asesora Jurídica"),
        ("Director de Derechos Humanos y DIH", "Directora de Derechos Humanos y DIH"),
        ("Jefe de Doctrina", "Jefa de Doctrina"),
    ),
    "ministry_justice": (
        ("Director de Política Criminal", "Directora de Política Criminal"),
        ("Asesor Legal", "Asesora Legal"),
        ("Coordinador de Derechos Humanos", "Coordinadora de Derechos Humanos"),
        ("Subsecretario de Derechos Humanos", "Subsecretaria de Derechos Humanos"),
        ("Abogado", "Abogada"),
    ),
    "ombudsman": (
        ("Defensor Adjunto", "Defensora Adjunta"),
        ("Director de Protección de Derechos", "Directora de Protección de Derechos"),
        ("Asesor", "Asesora"),
        ("Coordinador de Pueblos Indígenas", "Coordinadora de Pueblos Indígenas"),
    ),
    "security_forces": (
        ("Comisario", "Comisaria"),
        ("Subcomisario", "Subcomisaria"),
        ("Mayor", "Mayor"),
        ("Capitán", "Capitana"),
        ("Teniente", "Teniente"),
        ("Instructor de Derechos Humanos", "Instructora de Derechos Humanos"),
    ),
    "other_government": (
        ("Director", "Directora"),
        ("Coordinador de Programas", "Coordinadora de Programas"),
        ("Asesor Técnico", "Asesora Técnica"),
        ("Especialista en Derechos Humanos", "Especialista en Derechos Humanos"),
    ),
    "academia": (
        ("Profesor Titular", "Profesora Titular"),
        ("Investigador", "Investigadora"),
        ("Docente de Derecho Internacional", "Docente de Derecho Internacional"),
        ("Director de Posgrado", "Directora de Posgrado"),
    ),
    "civil_society": (
        ("Director Ejecutivo", "Directora Ejecutiva"),
        ("Coordinador de Programas", "Coordinadora de Programas"),
        ("Investigador", "Investigadora"),
        ("Abogado", "Abogada"),
        ("Oficial de Incidencia", "Oficial de Incidencia"),
    ),
}
POSITIONS_PT: dict[str, tuple[tuple[str, str], ...]] = {
    "ministry_foreign_affairs": (
        ("Primeiro-Secretário", "Primeira-Secretária"),
        ("Segundo-Secretário", "Segunda-Secretária"),
        ("Conselheiro", "Conselheira"),
        ("Ministro-Conselheiro", "Ministra-Conselheira"),
        ("Chefe da Divisão de Direitos Humanos", "Chefe da Divisão de Direitos Humanos"),
        ("Analista de Política Externa", "Analista de Política Externa"),
    ),
    "ministry_defense": (
        ("Coronel", "Coronel"),
        ("Tenente-Coronel", "Tenente-Coronel"),
        ("Capitão de Fragata", "Capitã de Fragata"),
        ("Assessor Jurídico", "Assessora Jurídica"),
        ("Chefe de Doutrina", "Chefe de Doutrina"),
    ),
    "ministry_justice": (
        ("Coordenador-Geral de Direitos Humanos", "Coordenadora-Geral de Direitos Humanos"),
        ("Assessor", "Assessora"),
        ("Diretor de Política Penitenciária", "Diretora de Política Penitenciária"),
        ("Secretário Adjunto", "Secretária Adjunta"),
    ),
    "ombudsman": (
        ("Defensor Público Federal", "Defensora Pública Federal"),
        ("Assessor", "Assessora"),
    ),
    "security_forces": (
        ("Delegado", "Delegada"),
        ("Agente da Polícia Federal", "Agente da Polícia Federal"),
        ("Major", "Major"),
        ("Capitão", "Capitã"),
        ("Instrutor de Direitos Humanos", "Instrutora de Direitos Humanos"),
    ),
    "other_government": (
        ("Coordenador", "Coordenadora"),
        ("Assessor Técnico", "Assessora Técnica"),
        ("Especialista em Políticas Públicas", "Especialista em Políticas Públicas"),
    ),
    "academia": (
        ("Professor Titular", "Professora Titular"),
        ("Pesquisador", "Pesquisadora"),
        ("Coordenador de Pós-Graduação", "Coordenadora de Pós-Graduação"),
    ),
    "civil_society": (
        ("Diretor Executivo", "Diretora Executiva"),
        ("Coordenador de Programas", "Coordenadora de Programas"),
        ("Advogado", "Advogada"),
        ("Pesquisador", "Pesquisadora"),
    ),
}

# Institutions of each member country by kind. Costa Rica and Panama have no armed forces,
# hence no ministry of defense; where a country has no ministry of justice, the nearest
# body (attorney general, ministry of government) stands in.
MEMBER_INSTITUTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "AR": {
        "ministry_foreign_affairs": ("Ministerio de Relaciones Exteriores y Culto de Argentina",),
        "ministry_defense": ("Ministerio de Defensa de Argentina",),
        "ministry_justice": ("Ministerio de Justicia y Derechos Humanos de Argentina",),
        "ombudsman": ("Defensoría del Pueblo de la Nación Argentina",),
        "security_forces": ("Gendarmería Nacional Argentina", "Policía Federal Argentina"),
        "other_government": (
            "Secretaría de Derechos Humanos de la Nación",
            "Instituto Nacional contra la Discriminación, la Xenofobia y el Racismo (INADI)",
        ),
        "academia": ("Universidad de Buenos Aires", "Universidad Nacional de Córdoba"),
        "civil_society": (
            "Centro de Estudios Legales y Sociales (CELS)",
            "Asamblea Permanente por los Derechos Humanos",
        ),
    },
    "BO": {
        "ministry_foreign_affairs": (
            "Ministerio de Relaciones Exteriores del Estado Plurinacional de Bolivia",
        ),
        "ministry_defense": ("Ministerio de Defensa de Bolivia",),
        "ministry_justice": ("Ministerio de Justicia de Bolivia",),
        "ombudsman": ("Defensoría del Pueblo de Bolivia",),
        "security_forces": ("Policía Boliviana", "Fuerzas Armadas de Bolivia"),
        "academia": ("Universidad Mayor de San Andrés",),
        "civil_society": ("Asamblea Permanente de Derechos Humanos de Bolivia",),
    },
    "BR": {
        "ministry_foreign_affairs": ("Ministério das Relações Exteriores do Brasil",),
        "ministry_defense": ("Ministério da Defesa do Brasil",),
        "ministry_justice": ("Ministério da Justiça do Brasil",),
        "ombudsman": ("Defensoria Pública da União",),
        "security_forces": ("Polícia Federal do Brasil", "Exército Brasileiro"),
        "other_government": ("Secretaria de Direitos Humanos da Presidência da República",),
        "academia": ("Universidade de São Paulo", "Universidade de Brasília"),
        "civil_society": ("Conectas Direitos Humanos", "Instituto Igarapé"),
    },
    "CL": {
        "ministry_foreign_affairs": ("Ministerio de Relaciones Exteriores de Chile",),
        "ministry_defense": ("Ministerio de Defensa Nacional de Chile",),
        "ministry_justice": ("Ministerio de Justicia de Chile",),
        "ombudsman": ("Instituto Nacional de Derechos Humanos de Chile",),
        "security_forces": (
            "Carabineros de Chile",
            "Departamento de Derechos Humanos, Carabineros de Chile",
            "Academia de Ciencias Policiales, Carabineros de Chile",
            "Policía de Investigaciones de Chile",
        ),
        "academia": ("Universidad de Chile", "Pontificia Universidad Católica de Chile"),
        "civil_society": ("Corporación Humanas",),
    },
    "CO": {
        "ministry_foreign_affairs": ("Ministerio de Relaciones Exteriores de Colombia",),
        "ministry_defense": ("Ministerio de Defensa Nacional de Colombia",),
        "ministry_justice": ("Ministerio de Justicia y del Derecho de Colombia",),
        "ombudsman": ("Defensoría del Pueblo de Colombia",),
        "security_forces": ("Policía Nacional de Colombia", "Ejército Nacional de Colombia"),
        "other_government": ("Consejería Presidencial para los Derechos Humanos",),
        "academia": (
            "Universidad Nacional de Colombia",
            "Pontificia Universidad Javeriana",
            "Universidad del Rosario",
        ),
        "civil_society": (
            "Comisión Colombiana de Juristas",
            "Centro de Investigación y Educación Popular (CINEP)",
        ),
    },
    "CR": {
        "ministry_foreign_affairs": ("Ministerio de Relaciones Exteriores y Culto de Costa Rica",),
        "ministry_justice": ("Ministerio de Justicia y Paz de Costa Rica",),
        "ombudsman": ("Defensoría de los Habitantes de la República de Costa Rica",),
        "security_forces": ("Fuerza Pública de Costa Rica",),
        "other_government": ("Ministerio de Seguridad Pública de Costa Rica",),
        "academia": ("Universidad de Costa Rica", "Universidad para la Paz"),
        "civil_society": ("Centro por la Justicia y el Derecho Internacional (CEJIL)",),
    },
    "DO": {
        "ministry_foreign_affairs": (
            "Ministerio de Relaciones Exteriores de la República Dominicana",
        ),
        "ministry_defense": ("Ministerio de Defensa de la República Dominicana",),
        "ministry_justice": ("Procuraduría General de la República Dominicana",),
        "ombudsman": ("Defensor del Pueblo de la República Dominicana",),
        "security_forces": ("Policía Nacional Dominicana",),
        "academia": (
            "Universidad Autónoma de Santo Domingo",
            "Pontificia Universidad Católica Madre y Maestra",
        ),
        "civil_society": ("Fundación Institucionalidad y Justicia (FINJUS)",),
    },
    "EC": {
        "ministry_foreign_affairs": (
            "Ministerio de Relaciones Exteriores y Movilidad Humana del Ecuador",
            "Misión Permanente del Ecuador ante las Naciones Unidas",
        ),
        "ministry_defense": ("Ministerio de Defensa Nacional del Ecuador",),
        "ministry_justice": ("Ministerio de Justicia, Derechos Humanos y Cultos del Ecuador",),
        "ombudsman": ("Defensoría del Pueblo del Ecuador",),
        "security_forces": ("Policía Nacional del Ecuador",),
        "academia": (
            "Universidad Andina Simón Bolívar, Sede Ecuador",
            "Pontificia Universidad Católica del Ecuador",
        ),
        "civil_society": ("Comisión Ecuménica de Derechos Humanos (CEDHU)",),
    },
    "SV": {
        "ministry_foreign_affairs": ("Ministerio de Relaciones Exteriores de El Salvador",),
        "ministry_defense": ("Ministerio de la Defensa Nacional de El Salvador",),
        "ministry_justice": ("Ministerio de Justicia y Seguridad Pública de El Salvador",),
        "ombudsman": ("Procuraduría para la Defensa de los Derechos Humanos de El Salvador",),
        "security_forces": ("Policía Nacional Civil de El Salvador",),
        "academia": (
            "Universidad Centroamericana José Simeón Cañas (UCA)",
            "Universidad de El Salvador",
        ),
        "civil_society": (
            "Fundación de Estudios para la Aplicación del Derecho (FESPAD)",
            "Asociación Pro-Búsqueda de Niñas y Niños Desaparecidos",
            "Instituto de Derechos Humanos de la UCA (IDHUCA)",
        ),
    },
    "GT": {
        "ministry_foreign_affairs": ("Ministerio de Relaciones Exteriores de Guatemala",),
        "ministry_defense": ("Ministerio de la Defensa Nacional de Guatemala",),
        "ministry_justice": ("Ministerio Público de Guatemala",),
        "ombudsman": ("Procuraduría de los Derechos Humanos de Guatemala",),
        "security_forces": ("Policía Nacional Civil de Guatemala",),
        "other_government": ("Comisión Presidencial de Derechos Humanos (COPREDEH)",),
        "academia": ("Universidad de San Carlos de Guatemala", "Universidad Rafael Landívar"),
        "civil_society": (
            "Fundación de Antropología Forense de Guatemala",
            "Centro para la Acción Legal en Derechos Humanos (CALDH)",
        ),
    },
    "HN": {
        "ministry_foreign_affairs": (
            "Secretaría de Relaciones Exteriores y Cooperación Internacional de Honduras",
        ),
        "ministry_defense": ("Secretaría de Defensa Nacional de Honduras",),
        "ministry_justice": (
            "Secretaría de Derechos Humanos, Justicia, Gobernación y Descentralización de Honduras",
            "Dirección de Derechos Humanos, Justicia, Gobernación y Descentralización de Honduras",
        ),
        "ombudsman": ("Comisionado Nacional de los Derechos Humanos de Honduras (CONADEH)",),
        "security_forces": ("Policía Nacional de Honduras",),
        "academia": ("Universidad Nacional Autónoma de Honduras",),
        "civil_society": ("Comité de Familiares de Detenidos Desaparecidos en Honduras (COFADEH)",),
    },
    "MX": {
        "ministry_foreign_affairs": ("Secretaría de Relaciones Exteriores de México",),
        "ministry_defense": ("Secretaría de la Defensa Nacional de México", "Secretaría de Marina"),
        "ministry_justice": ("Procuraduría General de la República de México",),
        "ombudsman": ("Comisión Nacional de los Derechos Humanos (CNDH)",),
        "security_forces": ("Policía Federal de México",),
        "other_government": (
            "Secretaría de Gobernación de México",
            "Consejo Nacional para Prevenir la Discriminación (CONAPRED)",
            "Comisión Intersecretarial de Derecho Internacional Humanitario de México",
        ),
        "academia": (
            "Universidad Nacional Autónoma de México",
            "El Colegio de México",
            "Centro de Investigación y Docencia Económicas (CIDE)",
        ),
        "civil_society": (
            "Museo Memoria y Tolerancia",
            "Centro de Derechos Humanos Miguel Agustín Pro Juárez",
        ),
    },
    "NI": {
        "ministry_foreign_affairs": ("Ministerio de Relaciones Exteriores de Nicaragua",),
        "ministry_defense": ("Ministerio de Defensa de Nicaragua",),
        "ministry_justice": ("Procuraduría General de la República de Nicaragua",),
        "ombudsman": ("Procuraduría para la Defensa de los Derechos Humanos de Nicaragua",),
        "security_forces": ("Policía Nacional de Nicaragua", "Ejército de Nicaragua"),
        "academia": ("Universidad Centroamericana de Nicaragua",),
        "civil_society": ("Centro Nicaragüense de Derechos Humanos (CENIDH)",),
    },
    "PA": {
        "ministry_foreign_affairs": ("Ministerio de Relaciones Exteriores de Panamá",),
        "ministry_justice": ("Ministerio de Gobierno de Panamá",),
        "ombudsman": ("Defensoría del Pueblo de la República de Panamá",),
        "security_forces": ("Policía Nacional de Panamá", "Servicio Nacional de Fronteras"),
        "other_government": ("Ministerio de Seguridad Pública de Panamá",),
        "academia": ("Universidad de Panamá",),
        "civil_society": ("Fundación para el Desarrollo de la Libertad Ciudadana",),
    },
    "PY": {
        "ministry_foreign_affairs": ("Ministerio de Relaciones Exteriores del Paraguay",),
        "ministry_defense": ("Ministerio de Defensa Nacional del Paraguay",),
        "ministry_justice": ("Ministerio de Justicia del Paraguay",),
        "ombudsman": ("Defensoría del Pueblo de la República del Paraguay",),
        "security_forces": ("Policía Nacional del Paraguay",),
        "other_government": ("Ministerio de la Mujer del Paraguay",),
        "academia": (
            "Universidad Nacional de Asunción",
            "Universidad Católica Nuestra Señora de la Asunción",
        ),
        "civil_society": ("Coordinadora de Derechos Humanos del Paraguay (CODEHUPY)",),
    },
    "PE": {
        "ministry_foreign_affairs": ("Ministerio de Relaciones Exteriores del Perú",),
        "ministry_defense": ("Ministerio de Defensa del Perú",),
        "ministry_justice": (
            "Ministerio de Justicia y Derechos Humanos del Perú",
            "Oficina General de Cooperación y Proyectos, Ministerio de Justicia y Derechos"
            " Humanos del Perú",
            "Centro de Estudios en Justicia y Derechos Humanos",
        ),
        "ombudsman": ("Defensoría del Pueblo del Perú",),
        "security_forces": ("Policía Nacional del Perú", "Ejército del Perú"),
        "other_government": (
            "Comisión Nacional de Estudio y Aplicación del Derecho Internacional Humanitario"
            " (CONADIH)",
        ),
        "academia": (
            "Pontificia Universidad Católica del Perú",
            "Universidad Nacional Mayor de San Marcos",
        ),
        "civil_society": (
            "Coordinadora Nacional de Derechos Humanos",
            "Instituto de Defensa Legal (IDL)",
        ),
    },
    "UY": {
        "ministry_foreign_affairs": ("Ministerio de Relaciones Exteriores del Uruguay",),
        "ministry_defense": ("Ministerio de Defensa Nacional del Uruguay",),
        "ministry_justice": ("Fiscalía General de la Nación del Uruguay",),
        "ombudsman": ("Institución Nacional de Derechos Humanos y Defensoría del Pueblo",),
        "security_forces": ("Policía Nacional del Uruguay",),
        "other_government": ("Ministerio del Interior del Uruguay",),
        "academia": ("Universidad de la República",),
        "civil_society": ("Servicio Paz y Justicia (SERPAJ) Uruguay",),
    },
    "VE": {
        "ministry_foreign_affairs": (
            "Ministerio del Poder Popular para Relaciones Exteriores de Venezuela",
        ),
        "ministry_defense": ("Ministerio del Poder Popular para la Defensa de Venezuela",),
        "ministry_justice": (
            "Ministerio del Poder Popular para Relaciones Interiores, Justicia y Paz",
        ),
        "ombudsman": ("Defensoría del Pueblo de la República Bolivariana de Venezuela",),
        "security_forces": ("Cuerpo de Policía Nacional Bolivariana",),
        "academia": ("Universidad Central de Venezuela", "Universidad Católica Andrés Bello"),
        "civil_society": ("Programa Venezolano de Educación-Acción en Derechos Humanos (PROVEA)",),
    },
}

# How many synthetic people each member country gets (300 in all): the hosts of national
# seminars need enough civil servants to fill a room.
PEOPLE_PER_COUNTRY: dict[str, int] = {
    "AR": 26, "BO": 10, "BR": 20, "CL": 26, "CO": 22, "CR": 22, "DO": 10, "EC": 10, "SV": 18,
    "GT": 10, "HN": 12, "MX": 32, "NI": 8, "PA": 12, "PY": 20, "PE": 22, "UY": 10, "VE": 10,
}  # fmt: skip


# --- Demo accounts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoAccountData:
    email: str
    first_name: str
    last_name: str
    country: str
    institution: str  # an organization code or an institution name of `country`
    position: str
    language: str
    gender: str
    # (role, scope): scope is an event slug for 'organizer', a country code for 'focal_point'.
    roles: tuple[tuple[str, str | None], ...]


DEMO_ACCOUNTS: tuple[DemoAccountData, ...] = (
    DemoAccountData(
        email="staff@lanet.example",
        first_name="Ana Lucía",
        last_name="Benítez Ocampo",
        country="AR",
        institution="AIPR",
        position="Coordinadora de Programas para América Latina",
        language="es",
        gender="female",
        roles=(("staff", None),),
    ),
    DemoAccountData(
        email="organizer@lanet.example",
        first_name="Tomás",
        last_name="Echeverría Núñez",
        country="AR",
        institution="AIPR",
        position="Coordinador académico del Seminario Raphael Lemkin",
        language="es",
        gender="male",
        roles=(("organizer", "lemkin-c2-p2"),),
    ),
    DemoAccountData(
        email="focal.ar@lanet.example",
        first_name="Mariana",
        last_name="Giménez Peña",
        country="AR",
        institution="Ministerio de Relaciones Exteriores y Culto de Argentina",
        position="Punto Focal Nacional",
        language="es",
        gender="female",
        roles=(("focal_point", "AR"),),
    ),
)


# City names in each language where they differ from the one stored with the event.
CITY_TRANSLATIONS: dict[str, dict[str, str]] = {
    "Mexico City": {"es": "Ciudad de México", "pt": "Cidade do México", "en": "Mexico City"},
    "Geneva": {"es": "Ginebra", "pt": "Genebra", "en": "Geneva"},
    "Brussels": {"es": "Bruselas", "pt": "Bruxelas", "en": "Brussels"},
    "Panama City": {"es": "Ciudad de Panamá", "pt": "Cidade do Panamá", "en": "Panama City"},
    "Asunción": {"es": "Asunción", "pt": "Assunção", "en": "Asunción"},
}

# The report's audience texts (English) in Spanish and Portuguese.
AUDIENCE_TRANSLATIONS: dict[str, dict[str, str]] = {
    "Ministries of Foreign Affairs, Defense, Justice and Ombudsman's Offices of the 18 member"
    " countries": {
        "es": "Ministerios de Relaciones Exteriores, Defensa y Justicia y Defensorías del Pueblo"
        " de los 18 países miembros",
        "pt": "Ministérios das Relações Exteriores, da Defesa e da Justiça e Defensorias do Povo"
        " dos 18 países membros",
    },
    "civil servants and civil society representatives": {
        "es": "funcionarios públicos y representantes de la sociedad civil",
        "pt": "servidores públicos e representantes da sociedade civil",
    },
    "civil servants responsible for human rights and genocide prevention, identified by the"
    " Focal Points": {
        "es": "funcionarios públicos responsables de derechos humanos y prevención del genocidio,"
        " identificados por los Puntos Focales",
        "pt": "servidores públicos responsáveis por direitos humanos e prevenção do genocídio,"
        " identificados pelos Pontos Focais",
    },
    "civil servants with competency in human rights and international humanitarian law": {
        "es": "funcionarios públicos con competencia en derechos humanos y derecho internacional"
        " humanitario",
        "pt": "servidores públicos com competência em direitos humanos e direito internacional"
        " humanitário",
    },
    "civil servants, civil society and academia": {
        "es": "funcionarios públicos, sociedad civil y academia",
        "pt": "servidores públicos, sociedade civil e academia",
    },
    "representatives of the 18 member countries and the UN Special Adviser on the Prevention"
    " of Genocide": {
        "es": "representantes de los 18 países miembros y el Asesor Especial de la ONU para la"
        " Prevención del Genocidio",
        "pt": "representantes dos 18 países membros e o Assessor Especial da ONU para a"
        " Prevenção do Genocídio",
    },
    "students of the Masters programme of the Academy of Police Sciences": {
        "es": "estudiantes de la maestría de la Academia de Ciencias Policiales",
        "pt": "estudantes do mestrado da Academia de Ciências Policiais",
    },
}
