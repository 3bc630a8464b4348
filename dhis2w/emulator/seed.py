"""The seeded world of the emulator, as importable constants.

Tests (ours and our users') refer to seeded users, groups, org units and conversations by
these names instead of hard-coding UIDs, so every UID here is fixed: a fresh seed is the
same world on every machine and every run. The store turns these constants into rows;
nothing here touches SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "ADMIN",
    "AMINATA",
    "BO",
    "BO_GOVERNMENT_HOSPITAL",
    "BO_TEAM",
    "CONNAUGHT_HOSPITAL",
    "CONVERSATIONS",
    "CONV_CHOLERA_ALERT",
    "CONV_DATA_APPROVAL",
    "CONV_IDSR_WEEKLY",
    "CONV_IMMUNISATION",
    "CONV_LAB_RESULTS",
    "CONV_SCHEDULER",
    "CONV_STOCK_OUT",
    "CONV_TICKET_DHIS2_LOGIN",
    "CONV_TICKET_SOLVED",
    "CONV_VALIDATION",
    "DOCUMENTS",
    "EMMANUEL",
    "FATMATA",
    "FEEDBACK_HANDLERS",
    "FILE_RESOURCES",
    "IBRAHIM",
    "ISATU",
    "KENEMA",
    "KENEMA_GOVERNMENT_HOSPITAL",
    "KENEMA_TEAM",
    "MOHAMED",
    "NATIONAL_HMIS_TEAM",
    "NGELEHUN_CHC",
    "ORG_UNITS",
    "SIERRA_LEONE",
    "USERS",
    "USER_GROUPS",
    "WESTERN_AREA",
    "SeedConversation",
    "SeedDocument",
    "SeedFile",
    "SeedMessage",
    "SeedOrgUnit",
    "SeedUser",
    "SeedUserGroup",
    "users_for",
]


@dataclass(frozen=True)
class SeedOrgUnit:
    """One organisation unit of the three-level tree (country, district, facility)."""

    uid: str
    name: str
    short_name: str
    code: str
    level: int
    parent: str | None
    path: str


@dataclass(frozen=True)
class SeedUser:
    """A seeded account: log in with ``username``/``password`` or ``Authorization: ApiToken``."""

    uid: str
    username: str
    password: str
    token: str
    first_name: str
    surname: str
    email: str
    authorities: tuple[str, ...]
    org_units: tuple[str, ...]
    code: str | None = None
    phone_number: str | None = None
    job_title: str | None = None
    role_uid: str = "Ufph3mGRmMo"
    role_name: str = "Superuser"

    @property
    def display_name(self) -> str:
        """DHIS2 shows users as "first name surname"."""
        return f"{self.first_name} {self.surname}"

    @property
    def name(self) -> str:
        """Same as :attr:`display_name`; DHIS2 has both keys."""
        return self.display_name


@dataclass(frozen=True)
class SeedUserGroup:
    """A user group; members are listed by user UID."""

    uid: str
    name: str
    code: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class SeedFile:
    """A stored file resource with its bytes (attachments and documents)."""

    uid: str
    name: str
    content_type: str
    domain: str
    content: bytes
    assigned: bool
    created: str
    created_by: str


@dataclass(frozen=True)
class SeedMessage:
    """One message of a conversation; ``sender`` is None for system-generated messages."""

    uid: str
    sender: str | None
    text: str
    created: str
    internal: bool = False
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeedConversation:
    """A conversation with its messages and its participants' per-user state.

    ``participants`` maps user UID to ``(read, followUp)``.
    """

    uid: str
    subject: str
    message_type: str
    messages: tuple[SeedMessage, ...]
    participants: dict[str, tuple[bool, bool]]
    priority: str = "NONE"
    status: str = "NONE"
    assignee: str | None = None
    created_by: str | None = None


@dataclass(frozen=True)
class SeedDocument:
    """A document: file-backed (``url`` is a DOCUMENT file resource) or an external link."""

    uid: str
    name: str
    url: str
    external: bool
    content_type: str | None
    created: str
    created_by: str
    attachment: bool = False


# --- organisation units: Sierra Leone -> districts -> facilities -------------------------

SIERRA_LEONE = SeedOrgUnit(
    "ImspTQPwCqd", "Sierra Leone", "Sierra Leone", "OU_525", 1, None, "/ImspTQPwCqd"
)
BO = SeedOrgUnit(
    "O6uvpzGd5pu", "Bo", "Bo", "OU_264", 2, SIERRA_LEONE.uid, "/ImspTQPwCqd/O6uvpzGd5pu"
)
KENEMA = SeedOrgUnit(
    "kJq2mPyFEHo", "Kenema", "Kenema", "OU_543", 2, SIERRA_LEONE.uid, "/ImspTQPwCqd/kJq2mPyFEHo"
)
WESTERN_AREA = SeedOrgUnit(
    "at6UHUQatSo",
    "Western Area",
    "Western Area",
    "OU_278",
    2,
    SIERRA_LEONE.uid,
    "/ImspTQPwCqd/at6UHUQatSo",
)
NGELEHUN_CHC = SeedOrgUnit(
    "DiszpKrYNg8",
    "Ngelehun CHC",
    "Ngelehun CHC",
    "OU_559",
    3,
    BO.uid,
    "/ImspTQPwCqd/O6uvpzGd5pu/DiszpKrYNg8",
)
BO_GOVERNMENT_HOSPITAL = SeedOrgUnit(
    "Rp268JB6Ne4",
    "Bo Government Hospital",
    "Bo Govt Hospital",
    "OU_651071",
    3,
    BO.uid,
    "/ImspTQPwCqd/O6uvpzGd5pu/Rp268JB6Ne4",
)
KENEMA_GOVERNMENT_HOSPITAL = SeedOrgUnit(
    "Umh4HKqqFp6",
    "Kenema Government Hospital",
    "Kenema Govt Hospital",
    "OU_222627",
    3,
    KENEMA.uid,
    "/ImspTQPwCqd/kJq2mPyFEHo/Umh4HKqqFp6",
)
CONNAUGHT_HOSPITAL = SeedOrgUnit(
    "cDw53Ej8rju",
    "Connaught Hospital",
    "Connaught Hospital",
    "OU_278371",
    3,
    WESTERN_AREA.uid,
    "/ImspTQPwCqd/at6UHUQatSo/cDw53Ej8rju",
)

ORG_UNITS: tuple[SeedOrgUnit, ...] = (
    SIERRA_LEONE,
    BO,
    KENEMA,
    WESTERN_AREA,
    NGELEHUN_CHC,
    BO_GOVERNMENT_HOSPITAL,
    KENEMA_GOVERNMENT_HOSPITAL,
    CONNAUGHT_HOSPITAL,
)

# --- users ---------------------------------------------------------------------------------

ADMIN = SeedUser(
    uid="M5zQapPyTZI",
    username="admin",
    password="district",
    token="d2pat_Ad8mQ2xR7vK4nT9pL3wZ6yB1cF5hJ0sE2g",
    first_name="John",
    surname="Traore",
    email="john.traore@mohs.gov.sl",
    authorities=("ALL",),
    org_units=(SIERRA_LEONE.uid,),
    code="admin",
    phone_number="+23276000001",
    job_title="System administrator",
)
FATMATA = SeedUser(
    uid="FaKam4Bo001",
    username="fatmata",
    password="Fatmata#2024",
    token="d2pat_Fk3Lq8Wn2Rx7Tb5Yc1Vm9Zs4Pd6Hj0Ga8ua",
    first_name="Fatmata",
    surname="Kamara",
    email="fatmata.kamara@mohs.gov.sl",
    authorities=("F_MANAGE_TICKETS", "M_dhis-web-messaging", "F_DATAVALUE_ADD"),
    org_units=(BO.uid,),
    code="FKAMARA",
    job_title="District M&E officer, Bo",
    role_uid="RoMeOff1Bo1",
    role_name="M&E officer",
)
IBRAHIM = SeedUser(
    uid="IbSes4Ngl01",
    username="ibrahim",
    password="Ibrahim#2024",
    token="d2pat_Ib7Xw2Qe9Rt4Yu1Io6Pa3Sd8Fg5Hj0Kl2zb",
    first_name="Ibrahim",
    surname="Sesay",
    email="ibrahim.sesay@mohs.gov.sl",
    authorities=("M_dhis-web-messaging", "F_DATAVALUE_ADD"),
    org_units=(NGELEHUN_CHC.uid,),
    code="ISESAY",
    job_title="Nurse in charge, Ngelehun CHC",
    role_uid="RoDataEnt01",
    role_name="Data entry clerk",
)
AMINATA = SeedUser(
    uid="AmBan4Ken01",
    username="aminata",
    password="Aminata#2024",
    token="d2pat_Am4Zx9Cv2Bn7Mq1We6Rt3Yu8Io5Pa0Sd2xc",
    first_name="Aminata",
    surname="Bangura",
    email="aminata.bangura@mohs.gov.sl",
    authorities=("F_METADATA_IMPORT", "M_dhis-web-messaging", "F_DATAVALUE_ADD"),
    org_units=(KENEMA.uid,),
    code="ABANGURA",
    job_title="District medical officer, Kenema",
    role_uid="RoDistMO001",
    role_name="District medical officer",
)
MOHAMED = SeedUser(
    uid="MoCon4Nat01",
    username="mohamed",
    password="Mohamed#2024",
    token="d2pat_Mo8Lk3Jh6Gf1Ds9Ap4Qw7Er2Ty5Ui0Op3ab",
    first_name="Mohamed",
    surname="Conteh",
    email="mohamed.conteh@mohs.gov.sl",
    authorities=("F_MANAGE_TICKETS", "M_dhis-web-messaging"),
    org_units=(SIERRA_LEONE.uid,),
    code="MCONTEH",
    job_title="HMIS help desk",
    role_uid="RoHelpDsk01",
    role_name="Help desk",
)
ISATU = SeedUser(
    uid="IsKor4BoH01",
    username="isatu",
    password="Isatu#2024",
    token="d2pat_Is2Rf5Tg8Yh1Uj4Ik7Ol0Pq3Aw6Se9Dr2cd",
    first_name="Isatu",
    surname="Koroma",
    email="isatu.koroma@mohs.gov.sl",
    authorities=("M_dhis-web-messaging", "F_DATAVALUE_ADD"),
    org_units=(BO_GOVERNMENT_HOSPITAL.uid,),
    code="IKOROMA",
    job_title="Laboratory technician, Bo Government Hospital",
    role_uid="RoDataEnt01",
    role_name="Data entry clerk",
)
EMMANUEL = SeedUser(
    uid="EmJal4KGH01",
    username="emmanuel",
    password="Emmanuel#2024",
    token="d2pat_Em9Wq2Er5Ty8Ui1Op4As7Df0Gh3Jk6Lz9ef",
    first_name="Emmanuel",
    surname="Jalloh-Müller",
    email="emmanuel.jalloh@mohs.gov.sl",
    authorities=("M_dhis-web-messaging", "F_DATAVALUE_ADD"),
    org_units=(KENEMA_GOVERNMENT_HOSPITAL.uid,),
    code="EJALLOH",
    job_title="Surveillance officer, Kenema Government Hospital",
    role_uid="RoDataEnt01",
    role_name="Data entry clerk",
)

USERS: tuple[SeedUser, ...] = (ADMIN, FATMATA, IBRAHIM, AMINATA, MOHAMED, ISATU, EMMANUEL)

# --- user groups ---------------------------------------------------------------------------

BO_TEAM = SeedUserGroup(
    "BoTeamGrp01", "Bo district health team", "BO_DHMT", (FATMATA.uid, IBRAHIM.uid, ISATU.uid)
)
KENEMA_TEAM = SeedUserGroup(
    "KenTeamGrp1", "Kenema district health team", "KENEMA_DHMT", (AMINATA.uid, EMMANUEL.uid)
)
NATIONAL_HMIS_TEAM = SeedUserGroup(
    "NatHmisGrp1", "National HMIS team", "NATIONAL_HMIS", (ADMIN.uid, MOHAMED.uid)
)
FEEDBACK_HANDLERS = SeedUserGroup(
    "FeedbkGrp01", "Feedback handlers", "FEEDBACK_HANDLERS", (FATMATA.uid, MOHAMED.uid)
)

USER_GROUPS: tuple[SeedUserGroup, ...] = (
    BO_TEAM,
    KENEMA_TEAM,
    NATIONAL_HMIS_TEAM,
    FEEDBACK_HANDLERS,
)

# --- files ---------------------------------------------------------------------------------

_STOCK_CSV = (
    b"facility,item,stock_on_hand,days_out_of_stock\r\n"
    b"Ngelehun CHC,ACT 24x1,0,6\r\n"
    b"Ngelehun CHC,RDT malaria,35,0\r\n"
    b"Ngelehun CHC,ORS sachets,120,0\r\n"
)
_IDSR_TEXT = (
    "IDSR weekly report — Bo district, epi week 37\n"
    "Measles (suspected): 3\nCholera (suspected): 0\nAcute flaccid paralysis: 1\n"
    "Completeness: 96 %, timeliness: 91 %\n"
).encode()
_LAB_TEXT = (
    b"Sample BO-2024-0917: measles IgM POSITIVE\nSample BO-2024-0918: measles IgM negative\n"
)
_SOP_TEXT = (
    b"Standard operating procedure: monthly HMIS reporting\n"
    b"1. Facilities submit by the 5th.\n2. Districts validate by the 10th.\n"
)
_PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)

FILE_STOCK_REPORT = SeedFile(
    "FrStockCsv1",
    "ngelehun_stock_2024-09.csv",
    "text/csv",
    "MESSAGE_ATTACHMENT",
    _STOCK_CSV,
    True,
    "2024-09-16T08:12:40.120",
    ADMIN.uid,
)
FILE_IDSR_REPORT = SeedFile(
    "FrIdsrWk371",
    "idsr_bo_week37.txt",
    "text/plain",
    "MESSAGE_ATTACHMENT",
    _IDSR_TEXT,
    True,
    "2024-09-17T10:02:11.500",
    FATMATA.uid,
)
FILE_LAB_RESULTS = SeedFile(
    "FrLabRes001",
    "measles_igm_results.txt",
    "text/plain",
    "MESSAGE_ATTACHMENT",
    _LAB_TEXT,
    True,
    "2024-09-18T14:30:00.000",
    ISATU.uid,
)
FILE_SCREENSHOT = SeedFile(
    "FrScreen001",
    "login_error.png",
    "image/png",
    "MESSAGE_ATTACHMENT",
    _PNG_1PX,
    True,
    "2024-09-19T09:00:05.000",
    IBRAHIM.uid,
)
FILE_SOP = SeedFile(
    "FrSopDoc001",
    "hmis_reporting_sop.txt",
    "text/plain",
    "DOCUMENT",
    _SOP_TEXT,
    True,
    "2024-08-01T12:00:00.000",
    ADMIN.uid,
)

FILE_RESOURCES: tuple[SeedFile, ...] = (
    FILE_STOCK_REPORT,
    FILE_IDSR_REPORT,
    FILE_LAB_RESULTS,
    FILE_SCREENSHOT,
    FILE_SOP,
)

DOCUMENTS: tuple[SeedDocument, ...] = (
    SeedDocument(
        "DocSopHmis1",
        "HMIS reporting SOP",
        FILE_SOP.uid,
        False,
        "text/plain",
        "2024-08-01T12:00:01.000",
        ADMIN.uid,
    ),
    SeedDocument(
        "DocWhoGuid1",
        "WHO IDSR technical guidelines",
        "https://www.who.int/publications/i/item/WHO-AF-WHE-CPI-05-2019",
        True,
        None,
        "2024-08-02T09:30:00.000",
        ADMIN.uid,
    ),
)

# --- conversations -------------------------------------------------------------------------

CONV_STOCK_OUT = SeedConversation(
    uid="CvStockOut1",
    subject="Malaria stock-out at Ngelehun CHC",
    message_type="PRIVATE",
    created_by=ADMIN.uid,
    participants={ADMIN.uid: (True, False), FATMATA.uid: (True, True), IBRAHIM.uid: (False, False)},
    messages=(
        SeedMessage(
            "MsStock0001",
            ADMIN.uid,
            "Ngelehun CHC reports zero stock of ACT 24x1 for six days. "
            "Please confirm the quantities in the attached report.",
            "2024-09-16T08:15:02.331",
            attachments=(FILE_STOCK_REPORT.uid,),
        ),
        SeedMessage(
            "MsStock0002",
            FATMATA.uid,
            "Confirmed. The district store can release 200 packs on Thursday.",
            "2024-09-16T11:40:18.004",
        ),
        SeedMessage(
            "MsStock0003",
            ADMIN.uid,
            "Thank you. Ibrahim, please record the receipt in the LMIS when it arrives.",
            "2024-09-16T12:05:44.910",
        ),
    ),
)
CONV_IDSR_WEEKLY = SeedConversation(
    uid="CvIdsrWeek1",
    subject="Weekly IDSR report – Bo district, week 37",
    message_type="PRIVATE",
    created_by=FATMATA.uid,
    participants={FATMATA.uid: (True, False), ADMIN.uid: (False, False)},
    messages=(
        SeedMessage(
            "MsIdsr00001",
            FATMATA.uid,
            "Please find the week 37 IDSR summary attached. Three suspected measles cases "
            "were reported from Bo Government Hospital.",
            "2024-09-17T10:05:00.000",
            attachments=(FILE_IDSR_REPORT.uid,),
        ),
    ),
)
CONV_SCHEDULER = SeedConversation(
    uid="CvSchedSys1",
    subject="Scheduler startup",
    message_type="SYSTEM",
    participants={ADMIN.uid: (False, False)},
    messages=(
        SeedMessage(
            "MsSched0001",
            None,
            "Scheduler started with one or more unexecuted jobs:\n\n"
            "Job [Js3vHn2AVuG, Validation result notification] was scheduled in server "
            "downtime. Actual execution time was supposed to be: 2024-09-15 07:00:00.0",
            "2024-09-15T07:02:13.077",
        ),
    ),
)
CONV_VALIDATION = SeedConversation(
    uid="CvValidRes1",
    subject="Validation rule violation: ANC 1 < ANC 4 (Kenema)",
    message_type="VALIDATION_RESULT",
    participants={ADMIN.uid: (False, False), AMINATA.uid: (False, True)},
    messages=(
        SeedMessage(
            "MsValid0001",
            None,
            "Period: August 2024\nOrganisation unit: Kenema Government Hospital\n"
            "Rule: ANC 1st visit >= ANC 4th or more visits\nLeft side: 118, right side: 131",
            "2024-09-01T02:00:00.000",
        ),
    ),
)
CONV_TICKET_DHIS2_LOGIN = SeedConversation(
    uid="CvTicket001",
    subject="Cannot log in to the data entry app",
    message_type="TICKET",
    priority="HIGH",
    status="OPEN",
    assignee=MOHAMED.uid,
    created_by=IBRAHIM.uid,
    participants={
        IBRAHIM.uid: (True, False),
        FATMATA.uid: (False, False),
        MOHAMED.uid: (True, True),
    },
    messages=(
        SeedMessage(
            "MsTick00001",
            IBRAHIM.uid,
            "Since this morning the data entry app shows an error after login. "
            "Screenshot attached.",
            "2024-09-19T09:01:30.000",
            attachments=(FILE_SCREENSHOT.uid,),
        ),
        SeedMessage(
            "MsTick00002",
            MOHAMED.uid,
            "Internal note: the account was locked after five failed attempts.",
            "2024-09-19T09:30:00.000",
            internal=True,
        ),
        SeedMessage(
            "MsTick00003",
            MOHAMED.uid,
            "Your account is unlocked now, please try again.",
            "2024-09-19T09:32:10.000",
        ),
    ),
)
CONV_TICKET_SOLVED = SeedConversation(
    uid="CvTicket002",
    subject="Request: add Kenema Government Hospital to the EPI dataset",
    message_type="TICKET",
    priority="LOW",
    status="SOLVED",
    created_by=AMINATA.uid,
    participants={
        AMINATA.uid: (True, False),
        FATMATA.uid: (True, False),
        MOHAMED.uid: (True, False),
    },
    messages=(
        SeedMessage(
            "MsTick00004",
            AMINATA.uid,
            "Kenema Government Hospital started immunisation services; "
            "please assign the EPI dataset.",
            "2024-08-20T15:00:00.000",
        ),
        SeedMessage(
            "MsTick00005",
            FATMATA.uid,
            "Done, the dataset is assigned from September.",
            "2024-08-21T08:45:00.000",
        ),
    ),
)
CONV_CHOLERA_ALERT = SeedConversation(
    uid="CvCholera01",
    subject="⚠️ Cholera alert – Kenema district",
    message_type="PRIVATE",
    created_by=ADMIN.uid,
    participants={
        ADMIN.uid: (True, False),
        AMINATA.uid: (True, False),
        EMMANUEL.uid: (False, True),
    },
    messages=(
        SeedMessage(
            "MsChol00001",
            ADMIN.uid,
            "Two suspected cholera cases (acute watery diarrhoea, ≥ 3 stools/day) were "
            "reported from Kenema Government Hospital. Please activate the rapid response "
            "team and report daily. Merci 🙏",
            "2024-09-20T06:30:00.000",
        ),
        SeedMessage(
            "MsChol00002",
            AMINATA.uid,
            "RRT activated. Stool samples sent to the Connaught reference lab.",
            "2024-09-20T09:10:00.000",
        ),
    ),
)
CONV_LAB_RESULTS = SeedConversation(
    uid="CvLabResul1",
    subject="Lab results: measles IgM ✔",
    message_type="PRIVATE",
    created_by=ISATU.uid,
    participants={ISATU.uid: (True, False), ADMIN.uid: (False, True)},
    messages=(
        SeedMessage(
            "MsLab000001",
            ISATU.uid,
            "Results for the two samples from week 37 are attached: one positive.",
            "2024-09-18T14:35:00.000",
            attachments=(FILE_LAB_RESULTS.uid,),
        ),
    ),
)
CONV_IMMUNISATION = SeedConversation(
    uid="CvImmunCmp1",
    subject="Immunisation campaign schedule for Bo",
    message_type="PRIVATE",
    created_by=ADMIN.uid,
    participants={
        ADMIN.uid: (True, False),
        FATMATA.uid: (False, False),
        IBRAHIM.uid: (False, False),
        ISATU.uid: (True, False),
    },
    messages=(
        SeedMessage(
            "MsImmun0001",
            ADMIN.uid,
            "The measles-rubella campaign runs 7–11 October. Microplans are due on 30 September.",
            "2024-09-12T10:00:00.000",
        ),
    ),
)
CONV_DATA_APPROVAL = SeedConversation(
    uid="CvDataAppr1",
    subject="Data approval reminder: August 2024",
    message_type="SYSTEM",
    participants={
        ADMIN.uid: (True, False),
        FATMATA.uid: (False, False),
        AMINATA.uid: (False, False),
    },
    messages=(
        SeedMessage(
            "MsAppr00001",
            None,
            "Data for August 2024 is ready for approval in Bo and Kenema.",
            "2024-09-10T03:00:00.000",
        ),
    ),
)

CONVERSATIONS: tuple[SeedConversation, ...] = (
    CONV_STOCK_OUT,
    CONV_IDSR_WEEKLY,
    CONV_SCHEDULER,
    CONV_VALIDATION,
    CONV_TICKET_DHIS2_LOGIN,
    CONV_TICKET_SOLVED,
    CONV_CHOLERA_ALERT,
    CONV_LAB_RESULTS,
    CONV_IMMUNISATION,
    CONV_DATA_APPROVAL,
)


@dataclass(frozen=True)
class SeedWorld:
    """Everything one seed name stands for."""

    users: tuple[SeedUser, ...]
    org_units: tuple[SeedOrgUnit, ...]
    user_groups: tuple[SeedUserGroup, ...]
    feedback_group: str | None
    files: tuple[SeedFile, ...] = ()
    documents: tuple[SeedDocument, ...] = ()
    conversations: tuple[SeedConversation, ...] = field(default=())


DEMO_WORLD = SeedWorld(
    users=USERS,
    org_units=ORG_UNITS,
    user_groups=USER_GROUPS,
    feedback_group=FEEDBACK_HANDLERS.uid,
    files=FILE_RESOURCES,
    documents=DOCUMENTS,
    conversations=CONVERSATIONS,
)
EMPTY_WORLD = SeedWorld(
    users=(ADMIN,), org_units=(SIERRA_LEONE,), user_groups=(), feedback_group=None
)
WORLDS: dict[str, SeedWorld] = {"demo": DEMO_WORLD, "empty": EMPTY_WORLD}


def users_for(conversation: SeedConversation) -> tuple[SeedUser, ...]:
    """The seeded users taking part in ``conversation`` (handy in tests)."""
    return tuple(u for u in USERS if u.uid in conversation.participants)
