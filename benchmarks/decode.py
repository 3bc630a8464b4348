"""Decode a 10,000-conversation list page: dhis2w's decode path against the alternatives.

Target 1 of issue 6. One deterministic page of realistic DHIS2 shape is generated (what
``GET /api/messageConversations?fields=<list fields>,userMessages[..],messages[..]``
returns from 2.42: camelCase keys, zone-less ``yyyy-MM-ddTHH:mm:ss.SSS`` dates, nested
userMessages whose ``user`` renders ``{id,code,name,displayName,username}``, messages with
long unicode texts, ``name`` = text, attachments), and every contender decodes the *same
bytes* into typed objects:

* dhis2w: ``dhis2w.models.conversation_page_decoder.decode(body)`` -- the exact call
  ``list_conversations`` makes on the response bytes;
* bare msgspec: minimal Structs of the same shape and field types (no rename, no defaults
  machinery beyond ``None``) -- the limit for a msgspec decode that yields the same types;
  also an all-``str`` variant (no datetime, no enum checks) reported for information;
* pydantic v2 models of the same shape, ``Page.model_validate_json(body)``;
* ``json.loads`` + dataclasses built per row (datetimes via ``fromisoformat``, enums);
* ``json.loads`` + pydantic ``model_validate`` per row.

Targets: dhis2w <= 1.2x bare msgspec; pydantic ``model_validate_json`` >= 3x slower than
dhis2w; ``json.loads`` + dataclasses and + pydantic per row >= 5x slower.

Run: ``python -m benchmarks.decode`` (``--quick`` for a tiny smoke run, ``--size N``).
"""

from __future__ import annotations

import json
import random
import re
import sys
import types
import uuid
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import datetime, timedelta
from typing import Any, Literal

import msgspec
import pydantic
from pydantic.alias_generators import to_camel

from dhis2w import _wire
from dhis2w.enums import FileResourceDomain, MessageType, Priority, Status
from dhis2w.models import conversation_page_decoder

from ._common import Report, compare, mib, parse_args

# ---------------------------------------------------------------- the page generator

_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_LETTERS = _ALPHABET[:52]

# Realistic multilingual snippets as DHIS2 users write them (the messaging app is used in
# English, French, Portuguese, Lao, Amharic, Arabic, Hindi, Chinese deployments).
_SNIPPETS = [
    "Please review the malaria case data for epi week 12 before Friday's submission. ",
    "Les données de vaccination du district de Bo sont incomplètes pour le mois de mars. ",
    "Os dados de notificação semanal ainda não foram validados pelo supervisor distrital. ",
    "ກະລຸນາກວດສອບຂໍ້ມູນການສັກຢາກັນພະຍາດ ສໍາລັບເດືອນນີ້. ",
    "እባክዎን የዚህ ወር የክትባት መረጃ ያረጋግጡ። ",
    "يرجى مراجعة بيانات الملاريا للأسبوع الوبائي قبل يوم الجمعة. ",
    "कृपया इस सप्ताह की टीकाकरण रिपोर्ट की समीक्षा करें। ",
    "请在周五之前核对第十二周的疟疾病例数据。 ",
    "Validation rule ANC 1-3 dropout > 20% violated at Ngelehun CHC 🚩 ",
    "Stock-out of RDTs reported at 3 facilities; redistribution requested ✅ ",
]
_SUBJECTS = [
    "Data quality issue: ANC visits",
    "Rapport mensuel — vaccination",
    "Validation result: Measles coverage",
    "Pedido de acesso ao painel",
    "Stock-out alert 🚨 RDT kits",
    "ຄຳຮ້ອງຂໍ: ບົດລາຍງານ",
    "Feedback: dashboard not loading",
    "System update available",
]
_FIRST = ["Tom", "Aïcha", "João", "Somchai", "Abebe", "Fatima", "Priya", "Li", "John", "Marie"]
_LAST = ["Wakiki", "Diallo", "Silva", "Phommachanh", "Tesfaye", "Haddad", "Sharma", "Wei"]
_TYPES = ["PRIVATE"] * 5 + ["TICKET"] * 2 + ["SYSTEM", "VALIDATION_RESULT"]
_PRIORITIES = ["NONE", "LOW", "MEDIUM", "HIGH"]
_STATUSES = ["NONE", "OPEN", "PENDING", "INVALID", "SOLVED"]
_USER_AGENT = "User-agent: Mozilla/5.0 (X11; Linux x86_64) dhis2-messaging/100.5.1"
_FILENAMES = ["report.pdf", "données_mars.xlsx", "photo_établissement.jpg", "notes.txt"]


def _uid(rng: random.Random) -> str:
    return rng.choice(_LETTERS) + "".join(rng.choices(_ALPHABET, k=10))


def _date(moment: datetime) -> str:
    """DHIS2's zone-less ``yyyy-MM-ddTHH:mm:ss.SSS``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def _text(rng: random.Random) -> str:
    # 150 .. 1,500 characters of mixed-script text
    parts: list[str] = []
    target = rng.randint(150, 1500)
    while sum(map(len, parts)) < target:
        parts.append(rng.choice(_SNIPPETS))
    return "".join(parts).strip()


def _top_level_fields(selector: str) -> frozenset[str]:
    """``"id,lastSender[id,displayName],read"`` -> ``{"id", "lastSender", "read"}``."""
    return frozenset(re.sub(r"\[[^\]]*\]", "", selector).split(","))


_LIST_KEYS = _top_level_fields(_wire.CONVERSATION_LIST_FIELDS)


def generate_page(
    n: int, *, seed: int = 42, page_size: int | None = None, shape: str = "full"
) -> bytes:
    """A deterministic list page of ``n`` conversations, as DHIS2 2.42 would send it.

    ``shape="full"``: list fields plus nested userMessages and messages (the issue's page).
    ``shape="list"``: only the keys of ``_wire.CONVERSATION_LIST_FIELDS``, i.e. exactly what
    ``list_conversations`` asks the server for.
    """
    rng = random.Random(seed)
    users: list[dict[str, str]] = []
    for _ in range(40):
        first, surname = rng.choice(_FIRST), rng.choice(_LAST)
        username = f"{first.lower()}.{surname.lower()}{rng.randint(1, 99)}"
        users.append(
            {
                "id": _uid(rng),
                "code": username.upper(),
                "name": f"{first} {surname}",
                "displayName": f"{first} {surname}",
                "username": username,
            }
        )
    epoch = datetime(2024, 1, 1, 8, 0, 0)
    conversations = []
    for _ in range(n):
        created = epoch + timedelta(seconds=rng.randint(0, 60 * 60 * 24 * 600), milliseconds=7)
        mtype = rng.choice(_TYPES)
        participants = rng.sample(users, rng.randint(1, 3))
        sender = participants[0]
        messages: list[dict[str, Any]] = []
        moment = created
        for _m in range(rng.randint(1, 3)):
            moment = moment + timedelta(
                minutes=rng.randint(1, 5000), milliseconds=rng.randint(1, 999)
            )
            who = rng.choice(participants)
            text = _text(rng)
            attachments = [
                {
                    "id": _uid(rng),
                    "name": rng.choice(_FILENAMES),
                    "contentLength": rng.randint(1_000, 9_000_000),
                }
                for _a in range(rng.choice([0, 0, 0, 1, 2]))
            ]
            messages.append(
                {
                    "id": _uid(rng),
                    "name": text,
                    "text": text,
                    "metaData": _USER_AGENT,
                    "sender": {"id": who["id"], "displayName": who["displayName"]},
                    "internal": mtype == "TICKET" and rng.random() < 0.2,
                    "attachments": attachments,
                    "created": _date(moment),
                    "lastUpdated": _date(moment),
                }
            )
        last = messages[-1]
        last_sender = next(u for u in users if u["id"] == last["sender"]["id"])
        subject = rng.choice(_SUBJECTS)
        conv: dict[str, Any] = {
            "id": _uid(rng),
            "displayName": subject,
            "subject": subject,
            "messageType": mtype,
            "lastSender": {"id": last_sender["id"], "displayName": last_sender["displayName"]},
            "status": rng.choice(_STATUSES) if mtype == "TICKET" else "NONE",
            "priority": rng.choice(_PRIORITIES) if mtype == "TICKET" else "NONE",
            "created": _date(created),
            "lastUpdated": last["lastUpdated"],
            "read": rng.random() < 0.6,
            "lastMessage": last["created"],
            "followUp": rng.random() < 0.1,
            "messageCount": len(messages),
            "userFirstname": sender["name"].split()[0],
            "userSurname": sender["name"].split()[1],
            "lastSenderFirstname": last_sender["name"].split()[0],
            "lastSenderSurname": last_sender["name"].split()[1],
            "userMessages": [
                {
                    "key": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "user": dict(p),
                    "read": p is last_sender,
                    "followUp": False,
                }
                for p in participants
            ],
            "messages": messages,
        }
        if mtype == "TICKET":
            assignee = rng.choice(users)
            conv["assignee"] = {"id": assignee["id"], "displayName": assignee["displayName"]}
        if shape == "list":
            conv = {k: v for k, v in conv.items() if k in _LIST_KEYS}
        conversations.append(conv)
    size = page_size or n
    body = {
        "pager": {"page": 1, "total": n, "pageSize": size, "pageCount": -(-n // size)},
        "messageConversations": conversations,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ---------------------------------------------------------------- bare msgspec (the limit)

_MType = Literal["PRIVATE", "SYSTEM", "VALIDATION_RESULT", "TICKET", "SYSTEM_VERSION_UPDATE"]
_Prio = Literal["NONE", "LOW", "MEDIUM", "HIGH"]
_Stat = Literal["NONE", "OPEN", "PENDING", "INVALID", "SOLVED"]


class BRef(msgspec.Struct):
    id: str
    displayName: str | None = None  # bare: wire names as attributes
    name: str | None = None
    code: str | None = None
    username: str | None = None


class BAttachment(msgspec.Struct):
    id: str
    name: str | None = None
    contentLength: int | None = None


class BMessage(msgspec.Struct):
    id: str
    text: str | None = None
    name: str | None = None
    metaData: str | None = None
    sender: BRef | None = None
    internal: bool = False
    attachments: list[BAttachment] = []
    created: datetime | None = None
    lastUpdated: datetime | None = None


class BUserMessage(msgspec.Struct):
    key: str | None = None
    user: BRef | None = None
    read: bool = False
    followUp: bool = False


class BConversation(msgspec.Struct):
    id: str
    subject: str | None = None
    displayName: str | None = None
    messageType: _MType | None = None
    status: _Stat | None = None
    priority: _Prio | None = None
    assignee: BRef | None = None
    lastSender: BRef | None = None
    lastMessage: datetime | None = None
    read: bool | None = None
    followUp: bool | None = None
    messageCount: int | None = None
    userFirstname: str | None = None
    userSurname: str | None = None
    lastSenderFirstname: str | None = None
    lastSenderSurname: str | None = None
    created: datetime | None = None
    lastUpdated: datetime | None = None
    messages: list[BMessage] = []
    userMessages: list[BUserMessage] = []


class BPager(msgspec.Struct):
    page: int = 1
    pageCount: int = 1
    total: int = 0
    pageSize: int = 50
    nextPage: str | None = None
    prevPage: str | None = None


class BPage(msgspec.Struct):
    messageConversations: list[BConversation] = []
    pager: BPager | None = None


bare_decoder = msgspec.json.Decoder(BPage)


# The all-str variant: dates and enums stay strings (the floor of any typed msgspec decode).
class SMessage(msgspec.Struct):
    id: str
    text: str | None = None
    name: str | None = None
    metaData: str | None = None
    sender: BRef | None = None
    internal: bool = False
    attachments: list[BAttachment] = []
    created: str | None = None
    lastUpdated: str | None = None


class SConversation(msgspec.Struct):
    id: str
    subject: str | None = None
    displayName: str | None = None
    messageType: str | None = None
    status: str | None = None
    priority: str | None = None
    assignee: BRef | None = None
    lastSender: BRef | None = None
    lastMessage: str | None = None
    read: bool | None = None
    followUp: bool | None = None
    messageCount: int | None = None
    userFirstname: str | None = None
    userSurname: str | None = None
    lastSenderFirstname: str | None = None
    lastSenderSurname: str | None = None
    created: str | None = None
    lastUpdated: str | None = None
    messages: list[SMessage] = []
    userMessages: list[BUserMessage] = []


class SPage(msgspec.Struct):
    messageConversations: list[SConversation] = []
    pager: BPager | None = None


str_decoder = msgspec.json.Decoder(SPage)


# ---------------------------------------------------------------- pydantic v2 models


class _PModel(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(alias_generator=to_camel, populate_by_name=True)


class PRef(_PModel):
    id: str
    display_name: str | None = None
    name: str | None = None
    code: str | None = None
    username: str | None = None


class PAttachment(_PModel):
    id: str
    name: str | None = None
    content_length: int | None = None
    domain: FileResourceDomain | None = None


class PMessage(_PModel):
    id: str
    text: str | None = None
    name: str | None = None
    meta_data: str | None = None
    sender: PRef | None = None
    internal: bool = False
    attachments: list[PAttachment] = []
    created: datetime | None = None
    last_updated: datetime | None = None


class PUserMessage(_PModel):
    key: str | None = None
    user: PRef | None = None
    read: bool = False
    follow_up: bool = False


class PConversation(_PModel):
    id: str
    subject: str | None = None
    display_name: str | None = None
    message_type: MessageType | None = None
    status: Status | None = None
    priority: Priority | None = None
    assignee: PRef | None = None
    last_sender: PRef | None = None
    last_message: datetime | None = None
    read: bool | None = None
    follow_up: bool | None = None
    message_count: int | None = None
    user_firstname: str | None = None
    user_surname: str | None = None
    last_sender_firstname: str | None = None
    last_sender_surname: str | None = None
    created: datetime | None = None
    last_updated: datetime | None = None
    messages: list[PMessage] = []
    user_messages: list[PUserMessage] = []


class PPager(_PModel):
    page: int = 1
    page_count: int = 1
    total: int = 0
    page_size: int = 50
    next_page: str | None = None
    prev_page: str | None = None


class PPage(_PModel):
    message_conversations: list[PConversation] = []
    pager: PPager | None = None


# ---------------------------------------------------------------- json.loads + dataclasses


@dataclass(slots=True)
class DRef:
    id: str
    display_name: str | None = None
    name: str | None = None
    code: str | None = None
    username: str | None = None


@dataclass(slots=True)
class DAttachment:
    id: str
    name: str | None = None
    content_length: int | None = None


@dataclass(slots=True)
class DMessage:
    id: str
    text: str | None = None
    name: str | None = None
    meta_data: str | None = None
    sender: DRef | None = None
    internal: bool = False
    attachments: list[DAttachment] = dc_field(default_factory=list)
    created: datetime | None = None
    last_updated: datetime | None = None


@dataclass(slots=True)
class DUserMessage:
    key: str | None = None
    user: DRef | None = None
    read: bool = False
    follow_up: bool = False


@dataclass(slots=True)
class DConversation:
    id: str
    subject: str | None = None
    display_name: str | None = None
    message_type: MessageType | None = None
    status: Status | None = None
    priority: Priority | None = None
    assignee: DRef | None = None
    last_sender: DRef | None = None
    last_message: datetime | None = None
    read: bool | None = None
    follow_up: bool | None = None
    message_count: int | None = None
    user_firstname: str | None = None
    user_surname: str | None = None
    last_sender_firstname: str | None = None
    last_sender_surname: str | None = None
    created: datetime | None = None
    last_updated: datetime | None = None
    messages: list[DMessage] = dc_field(default_factory=list)
    user_messages: list[DUserMessage] = dc_field(default_factory=list)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _ref(d: dict[str, Any] | None) -> DRef | None:
    if d is None:
        return None
    return DRef(d["id"], d.get("displayName"), d.get("name"), d.get("code"), d.get("username"))


def _enum(cls: Any, value: str | None) -> Any:
    return cls(value) if value is not None else None


def _message(d: dict[str, Any]) -> DMessage:
    return DMessage(
        d["id"],
        d.get("text"),
        d.get("name"),
        d.get("metaData"),
        _ref(d.get("sender")),
        d.get("internal", False),
        [
            DAttachment(a["id"], a.get("name"), a.get("contentLength"))
            for a in d.get("attachments", ())
        ],
        _dt(d.get("created")),
        _dt(d.get("lastUpdated")),
    )


def dataclass_row(d: dict[str, Any]) -> DConversation:
    return DConversation(
        d["id"],
        d.get("subject"),
        d.get("displayName"),
        _enum(MessageType, d.get("messageType")),
        _enum(Status, d.get("status")),
        _enum(Priority, d.get("priority")),
        _ref(d.get("assignee")),
        _ref(d.get("lastSender")),
        _dt(d.get("lastMessage")),
        d.get("read"),
        d.get("followUp"),
        d.get("messageCount"),
        d.get("userFirstname"),
        d.get("userSurname"),
        d.get("lastSenderFirstname"),
        d.get("lastSenderSurname"),
        _dt(d.get("created")),
        _dt(d.get("lastUpdated")),
        [_message(m) for m in d.get("messages", ())],
        [
            DUserMessage(
                u.get("key"), _ref(u.get("user")), u.get("read", False), u.get("followUp", False)
            )
            for u in d.get("userMessages", ())
        ],
    )


# ---------------------------------------------------------------- contenders


_WIRE_BASE = 'class _Wire(msgspec.Struct, kw_only=True, rename="camel"):'


def proposed_gc_false_decoder() -> msgspec.json.Decoder[Any] | None:
    """dhis2w's own models, re-executed with ``gc=False`` on the ``_Wire`` base: the fix
    this benchmark proposes for ``dhis2w/models.py`` (shown as an info row). ``None`` when
    models.py no longer has the line to patch (the fix landed, or the base changed)."""
    import dhis2w.models as real

    with open(real.__file__, encoding="utf-8") as fh:
        source = fh.read()
    if _WIRE_BASE not in source:
        return None
    patched = source.replace(_WIRE_BASE, _WIRE_BASE[:-2] + ", gc=False):")
    name = "dhis2w._models_gc_false"
    module = types.ModuleType(name)
    module.__package__ = "dhis2w"
    sys.modules[name] = module  # msgspec resolves the annotations through sys.modules
    exec(compile(patched, real.__file__, "exec"), module.__dict__)
    decoder: msgspec.json.Decoder[Any] = module.conversation_page_decoder
    return decoder


def contenders(body: bytes) -> dict[str, Any]:
    def dhis2w_decode() -> list[Any]:
        return conversation_page_decoder.decode(body).conversations

    def bare_msgspec() -> list[Any]:
        return bare_decoder.decode(body).messageConversations

    def bare_msgspec_str() -> list[Any]:
        return str_decoder.decode(body).messageConversations

    def pydantic_json() -> list[Any]:
        return PPage.model_validate_json(body).message_conversations

    def loads_dataclasses() -> list[Any]:
        return [dataclass_row(r) for r in json.loads(body)["messageConversations"]]

    def loads_pydantic_rows() -> list[Any]:
        return [PConversation.model_validate(r) for r in json.loads(body)["messageConversations"]]

    found: dict[str, Any] = {
        "dhis2w conversation_page_decoder": dhis2w_decode,
        "bare msgspec Structs (same types)": bare_msgspec,
        "bare msgspec Structs (all str, info)": bare_msgspec_str,
        "pydantic v2 model_validate_json": pydantic_json,
        "json.loads + dataclasses per row": loads_dataclasses,
        "json.loads + pydantic model_validate per row": loads_pydantic_rows,
    }
    proposed = proposed_gc_false_decoder()
    if proposed is not None:

        def dhis2w_gc_false() -> list[Any]:
            rows: list[Any] = proposed.decode(body).conversations
            return rows

        found[PROPOSED] = dhis2w_gc_false
    return found


PROPOSED = "dhis2w models + gc=False (proposed fix, info)"


def _checker(n: int, body: bytes) -> Any:
    """Every contender must have decoded the same page: count, a text, a date."""
    probe = json.loads(body)["messageConversations"][n // 2]

    def check(name: str, rows: list[Any]) -> None:
        assert len(rows) == n, (name, len(rows))
        row = rows[n // 2]
        assert row.id == probe["id"], name
        if "messages" in probe:
            assert row.messages[-1].text == probe["messages"][-1]["text"], name
        last = getattr(row, "last_message", None) or getattr(row, "lastMessage", None)
        if isinstance(last, datetime):
            assert _date(last) == probe["lastMessage"], (name, last)

    return check


def _ratios(report: Report, suffix: str, verdict: bool) -> None:
    dh = "dhis2w conversation_page_decoder"

    def ratio(label: str, num: str, den: str, goal: float | None, op: str = "<=") -> None:
        report.ratio(label + suffix, num + suffix, den + suffix, goal if verdict else None, op)

    ratio("dhis2w / bare msgspec (same types)", dh, "bare msgspec Structs (same types)", 1.2)
    ratio("dhis2w / bare msgspec (all str)", dh, "bare msgspec Structs (all str, info)", None)
    ratio("pydantic model_validate_json / dhis2w", "pydantic v2 model_validate_json", dh, 3.0, ">=")
    ratio("json.loads+dataclasses / dhis2w", "json.loads + dataclasses per row", dh, 5.0, ">=")
    ratio(
        "json.loads+pydantic per row / dhis2w",
        "json.loads + pydantic model_validate per row",
        dh,
        5.0,
        ">=",
    )
    if PROPOSED + suffix in report.medians:
        for label, num in (
            ("pydantic model_validate_json / gc=False models", "pydantic v2 model_validate_json"),
            ("json.loads+dataclasses / gc=False models", "json.loads + dataclasses per row"),
            (
                "json.loads+pydantic per row / gc=False models",
                "json.loads + pydantic model_validate per row",
            ),
        ):
            report.ratio(label + suffix, num + suffix, PROPOSED + suffix, None, ">=")


def main(argv: list[str] | None = None) -> Report:
    args = parse_args(
        __doc__.splitlines()[0],
        argv,
        rounds=5,
        extra=lambda p: p.add_argument("--size", type=int, default=None, help="conversations"),
    )
    n = args.size or (200 if args.quick else 10_000)
    body = generate_page(n)
    list_body = generate_page(n, shape="list")
    report = Report(
        "decode: one list page of conversations (target 1)",
        params={
            "conversations": n,
            "full page": mib(len(body)),
            "list-fields page": mib(len(list_body)),
            "rounds": args.rounds,
        },
    )
    # The full page twice. "gc on" is what a real program pays (the collector runs while
    # the result objects are allocated): the verdict. "gc off" is the timeit convention,
    # the pure parse + build cost: for information. Then the list-fields page (what
    # list_conversations really fetches), gc on, for information.
    passes = (
        (" [gc on]", body, False, True),
        (" [gc off]", body, True, False),
        (" [list fields, gc on]", list_body, False, False),
    )
    for suffix, data, disable_gc, verdict in passes:
        times = compare(
            contenders(data), args.rounds, check=_checker(n, data), disable_gc=disable_gc
        )
        report.add_times(times, suffix)
        _ratios(report, suffix, verdict)
    report.print(as_json=args.json)
    return report


if __name__ == "__main__":
    main()
