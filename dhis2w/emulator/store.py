"""SQLite state of the emulator, and the in-memory directory of seeded users.

Every change of state is a named method of :class:`Store` (``add_conversation``,
``add_message``, ``mark_read``, ``claim_attachment``, ``add_file_resource``,
``update_profile`` ...), and no SQL lives outside this module and the list planner
(``sqllist.py``): handlers parse the request, check access in DHIS2's order and render the
answer, so each rule about what a change does is found here, in one place.

One connection per store guarded by a lock: SQLite serialises writers anyway, and a single
connection makes "no write is lost" trivially true inside one process. File databases use
WAL and a busy timeout so that several processes (CLI commands run one after the other, or a
server next to them) can share the file; every write runs in ``BEGIN IMMEDIATE`` so two
processes never interleave a read-modify-write.

The directory (users, groups, org units, feedback group) is fixed by the seed and has no
write endpoints, so it lives in memory; the database only remembers which seed it holds.
File contents live in plain files beside the database (``<db>.files/``) or in a temporary
directory for in-memory stores, so downloads stream from disk without holding the lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import string
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dhis2w.emulator import seed as seed_module

__all__ = ["FOLD_SQL", "DirUser", "Directory", "Store", "new_uid", "now_iso", "py_lower"]

_UID_FIRST = string.ascii_letters
_UID_REST = string.ascii_letters + string.digits

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (
    uid TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    message_type TEXT NOT NULL,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee TEXT,
    created TEXT NOT NULL,
    last_updated TEXT NOT NULL,
    last_message TEXT NOT NULL,
    last_sender TEXT,
    created_by TEXT,
    message_count INTEGER NOT NULL,
    ext_message_id TEXT
);
CREATE TABLE IF NOT EXISTS messages (
    uid TEXT PRIMARY KEY,
    conversation TEXT NOT NULL,
    text TEXT NOT NULL,
    sender TEXT,
    internal INTEGER NOT NULL,
    created TEXT NOT NULL,
    meta_data TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages (conversation);
CREATE TABLE IF NOT EXISTS message_attachments (
    message TEXT NOT NULL,
    file TEXT NOT NULL,
    PRIMARY KEY (message, file)
);
CREATE TABLE IF NOT EXISTS user_messages (
    conversation TEXT NOT NULL,
    user TEXT NOT NULL,
    key TEXT NOT NULL,
    read INTEGER NOT NULL,
    follow_up INTEGER NOT NULL,
    PRIMARY KEY (conversation, user)
);
CREATE INDEX IF NOT EXISTS user_messages_by_user ON user_messages (user);
CREATE INDEX IF NOT EXISTS user_messages_by_user_conversation
    ON user_messages (user, conversation, read, follow_up);
CREATE INDEX IF NOT EXISTS conversations_by_last_message ON conversations (last_message, uid);
CREATE TABLE IF NOT EXISTS file_resources (
    uid TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content_length INTEGER NOT NULL,
    content_md5 TEXT NOT NULL,
    domain TEXT NOT NULL,
    assigned INTEGER NOT NULL,
    created TEXT NOT NULL,
    last_updated TEXT NOT NULL,
    created_by TEXT,
    stored_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    uid TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    external INTEGER NOT NULL,
    content_type TEXT,
    attachment INTEGER NOT NULL,
    created TEXT NOT NULL,
    last_updated TEXT NOT NULL,
    created_by TEXT
);
CREATE TABLE IF NOT EXISTS user_profiles (
    user TEXT PRIMARY KEY,
    avatar TEXT,
    fields TEXT NOT NULL
);
"""

CONV_COLUMNS = (
    "uid, subject, message_type, priority, status, assignee, created, last_updated, "
    "last_message, last_sender, created_by, message_count, ext_message_id"
)
CONV_KEYS = tuple(c.strip() for c in CONV_COLUMNS.split(","))
FILE_COLUMNS = (
    "uid, name, content_type, content_length, content_md5, domain, assigned, created, "
    "last_updated, created_by, stored_at"
)
FILE_KEYS = tuple(c.strip() for c in FILE_COLUMNS.split(","))
DOC_COLUMNS = (
    "uid, name, url, external, content_type, attachment, created, last_updated, created_by"
)
DOC_KEYS = tuple(c.strip() for c in DOC_COLUMNS.split(","))
MSG_COLUMNS = "uid, conversation, text, sender, internal, created, meta_data"
UM_COLUMNS = "conversation, user, key, read, follow_up"
# ordered conversation listings kept by Store.ordered_conversation_uids
LIST_CACHE_SIZE = 8


def new_uid() -> str:
    """A fresh DHIS2-style UID: a letter then ten letters or digits."""
    return secrets.choice(_UID_FIRST) + "".join(secrets.choice(_UID_REST) for _ in range(10))


def now_iso() -> str:
    """Now in DHIS2's zone-less ``yyyy-MM-ddTHH:mm:ss.SSS`` (UTC)."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}"


def py_lower(value: Any) -> str | None:
    """SQL ``py_lower(x)``: Python's ``str(x).lower()`` (full Unicode, unlike ``lower()``).

    The in-Python list path folds with ``str.lower``; SQL that must agree with it calls
    this (see :data:`FOLD_SQL`).
    """
    return None if value is None else str(value).lower()


# ``py_lower(x)`` computed natively when ``x`` is ASCII (byte length == character length),
# where SQLite's ``lower()`` gives the same answer, so the Python callback runs only for rows
# with non-ASCII text. ``{0}`` is the expression to fold.
FOLD_SQL = (
    "(CASE WHEN length(CAST({0} AS BLOB)) = length({0}) THEN lower({0}) ELSE py_lower({0}) END)"
)


def _hash_secret(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode()).digest()


@dataclass
class DirUser:
    """A user as the emulator knows it (from the seed), plus derived memberships."""

    uid: str
    username: str
    first_name: str
    surname: str
    email: str
    code: str | None
    phone_number: str | None
    job_title: str | None
    authorities: tuple[str, ...]
    org_units: tuple[str, ...]
    role_uid: str
    role_name: str
    password_hash: bytes
    token_hash: str
    groups: list[str] = field(default_factory=list)
    created: str = "2024-01-02T09:00:00.000"

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.surname}"

    @property
    def is_superuser(self) -> bool:
        return "ALL" in self.authorities


@dataclass
class DirGroup:
    """A user group with its member UIDs."""

    uid: str
    name: str
    code: str
    members: list[str]
    created: str = "2024-01-02T09:00:00.000"


@dataclass
class DirOrgUnit:
    """An organisation unit with parent, children and attached users."""

    uid: str
    name: str
    short_name: str
    code: str
    level: int
    parent: str | None
    path: str
    children: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    created: str = "2024-01-02T09:00:00.000"


class Directory:
    """Users, groups and org units of one seed world, indexed the ways lookups need."""

    def __init__(self, world: seed_module.SeedWorld) -> None:
        self._salt = secrets.token_bytes(16)
        self.users: dict[str, DirUser] = {}
        self.by_username: dict[str, DirUser] = {}
        self.by_token_hash: dict[str, DirUser] = {}
        for su in world.users:
            user = DirUser(
                uid=su.uid,
                username=su.username,
                first_name=su.first_name,
                surname=su.surname,
                email=su.email,
                code=su.code,
                phone_number=su.phone_number,
                job_title=su.job_title,
                authorities=su.authorities,
                org_units=su.org_units,
                role_uid=su.role_uid,
                role_name=su.role_name,
                password_hash=_hash_secret(self._salt, su.password),
                token_hash=hashlib.sha256(su.token.encode()).hexdigest(),
            )
            self.users[user.uid] = user
            self.by_username[user.username] = user
            self.by_token_hash[user.token_hash] = user
        self.groups: dict[str, DirGroup] = {
            g.uid: DirGroup(g.uid, g.name, g.code, [m for m in g.members if m in self.users])
            for g in world.user_groups
        }
        for group in self.groups.values():
            for member in group.members:
                self.users[member].groups.append(group.uid)
        self.org_units: dict[str, DirOrgUnit] = {
            o.uid: DirOrgUnit(o.uid, o.name, o.short_name, o.code, o.level, o.parent, o.path)
            for o in world.org_units
        }
        for ou in self.org_units.values():
            if ou.parent in self.org_units:
                self.org_units[ou.parent].children.append(ou.uid)
        for user in self.users.values():
            for ou_uid in user.org_units:
                if ou_uid in self.org_units:
                    self.org_units[ou_uid].users.append(user.uid)
        self.feedback_group: str | None = world.feedback_group

    def check_password(self, username: str, password: str) -> DirUser | None:
        """The user if ``password`` is right (constant-time compare of salted hashes)."""
        user = self.by_username.get(username)
        if user is None:
            return None
        if secrets.compare_digest(user.password_hash, _hash_secret(self._salt, password)):
            return user
        return None

    def user_by_token(self, token: str) -> DirUser | None:
        """Tokens are kept only as SHA-256 hashes, like DHIS2 stores PATs."""
        return self.by_token_hash.get(hashlib.sha256(token.encode()).hexdigest())

    def feedback_members(self) -> list[str]:
        if self.feedback_group is None or self.feedback_group not in self.groups:
            return []
        return list(self.groups[self.feedback_group].members)

    def in_feedback_group(self, user: DirUser) -> bool:
        return self.feedback_group is not None and self.feedback_group in user.groups

    def is_feedback_manager(self, user: DirUser) -> bool:
        """DHIS2: a member of the feedback-recipient group, or a superuser."""
        return user.is_superuser or self.in_feedback_group(user)


class Store:
    """The emulator's SQLite database plus its file directory.

    ``path=None`` keeps everything in memory (and file bytes in a temp dir removed on
    :meth:`close`). Every method takes the lock; use :meth:`write` for multi-statement
    transactions.
    """

    def __init__(self, path: str | os.PathLike[str] | None, seed: str = "demo") -> None:
        if seed not in seed_module.WORLDS:
            raise ValueError(f"unknown seed {seed!r}; use one of {sorted(seed_module.WORLDS)}")
        self.lock = threading.RLock()
        self._list_cache: dict[tuple[Any, ...], list[str]] = {}
        self._list_generation: tuple[int, int] = (-1, -1)
        self.path = None if path is None else os.fspath(path)
        self._temp_dir: str | None = None
        if self.path is None:
            self._temp_dir = tempfile.mkdtemp(prefix="dhis2w-emulator-")
            self.files_dir = self._temp_dir
            self.conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        else:
            parent = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(parent, exist_ok=True)
            self.files_dir = self.path + ".files"
            self.conn = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30.0
            )
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA busy_timeout=30000")
        self.conn.create_function("py_lower", 1, py_lower, deterministic=True)
        os.makedirs(self.files_dir, exist_ok=True)
        with self.lock:
            self.conn.executescript(SCHEMA)
        with self.write() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key='seed'").fetchone()
            if row is None:
                self._seed_locked(conn, seed)
                seed_name = seed
            else:
                seed_name = str(row[0])
        self.seed_name = seed_name
        self.directory = Directory(seed_module.WORLDS[seed_name])
        self._apply_profiles()

    # --- plumbing ------------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: lock, ``BEGIN IMMEDIATE``, commit (or roll back)."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A read, for this module, the SQL list planner and tests that inspect state;
        handlers call the named methods below instead."""
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self.lock:
            self.conn.close()
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)

    def file_path(self, uid: str, dimension: str = "") -> str:
        """Where a resource's bytes live; ``dimension`` (``small``, ``medium``, ``large``)
        names a scaled copy of an image, as DHIS2 appends it to the storage key. A UID is
        any string in 2.42 (``POST /fileResources?uid=``), so one that is not plain
        letters and digits is hex-encoded rather than trusted as a file name."""
        name = uid if _SAFE_NAME.fullmatch(uid) else "u-" + uid.encode().hex()
        return os.path.join(self.files_dir, name + dimension)

    def has_image_variants(self, uid: str) -> bool:
        """``hasMultipleStorageFiles``: the scaled copies were stored with the original."""
        return os.path.exists(self.file_path(uid, "small"))

    def temp_upload_path(self) -> str:
        return os.path.join(self.files_dir, f".upload-{uuid.uuid4().hex}")

    # --- seeding -------------------------------------------------------------------------

    def stored_seed(self) -> str:
        """The seed the database holds (another process may have reset it)."""
        rows = self.query("SELECT value FROM meta WHERE key='seed'")
        return str(rows[0][0]) if rows else self.seed_name

    def reset(self, seed: str = "demo") -> None:
        """Wipe every table and file and load ``seed`` again."""
        if seed not in seed_module.WORLDS:
            raise ValueError(f"unknown seed {seed!r}; use one of {sorted(seed_module.WORLDS)}")
        with self.write() as conn:
            for table in (
                "meta",
                "conversations",
                "messages",
                "message_attachments",
                "user_messages",
                "file_resources",
                "documents",
                "user_profiles",
            ):
                conn.execute(f"DELETE FROM {table}")
            for name in os.listdir(self.files_dir):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(self.files_dir, name))
            self._seed_locked(conn, seed)
            self.seed_name = seed
            self.directory = Directory(seed_module.WORLDS[seed])

    def _seed_locked(self, conn: sqlite3.Connection, seed: str) -> None:
        world = seed_module.WORLDS[seed]
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('seed', ?)", (seed,))
        for f in world.files:
            with open(self.file_path(f.uid), "wb") as fh:
                fh.write(f.content)
            conn.execute(
                f"INSERT INTO file_resources ({FILE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    f.uid,
                    f.name,
                    f.content_type,
                    len(f.content),
                    hashlib.md5(f.content).hexdigest(),
                    f.domain,
                    int(f.assigned),
                    f.created,
                    f.created,
                    f.created_by,
                    0.0,
                ),
            )
        for d in world.documents:
            conn.execute(
                f"INSERT INTO documents ({DOC_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    d.uid,
                    d.name,
                    d.url,
                    int(d.external),
                    d.content_type,
                    int(d.attachment),
                    d.created,
                    d.created,
                    d.created_by,
                ),
            )
        for c in world.conversations:
            first, last = c.messages[0], c.messages[-1]
            visible = [m for m in c.messages if not m.internal]
            conn.execute(
                f"INSERT INTO conversations ({CONV_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    c.uid,
                    c.subject,
                    c.message_type,
                    c.priority,
                    c.status,
                    c.assignee,
                    first.created,
                    last.created,
                    last.created,
                    last.sender,
                    c.created_by,
                    len(visible),
                    None,
                ),
            )
            for m in c.messages:
                conn.execute(
                    f"INSERT INTO messages ({MSG_COLUMNS}) VALUES (?,?,?,?,?,?,?)",
                    (
                        m.uid,
                        c.uid,
                        m.text,
                        m.sender,
                        int(m.internal),
                        m.created,
                        "User-agent: Mozilla/5.0 (DHIS2 messaging app)" if m.sender else None,
                    ),
                )
                for a in m.attachments:
                    conn.execute(
                        "INSERT INTO message_attachments (message, file) VALUES (?,?)", (m.uid, a)
                    )
            for user_uid, (read, follow_up) in c.participants.items():
                conn.execute(
                    f"INSERT INTO user_messages ({UM_COLUMNS}) VALUES (?,?,?,?,?)",
                    (
                        c.uid,
                        user_uid,
                        str(uuid.uuid5(uuid.NAMESPACE_URL, c.uid + user_uid)),
                        int(read),
                        int(follow_up),
                    ),
                )

    def bulk_create_conversations(
        self,
        n: int,
        *,
        sender: str = "admin",
        recipients: Sequence[str] = (),
        messages_per_conversation: int = 1,
        text_size: int = 80,
        subject_prefix: str = "Bulk conversation",
        message_type: str = "PRIVATE",
    ) -> list[str]:
        """Insert ``n`` conversations straight into the database (for benchmarks).

        ``sender`` is a username or UID; ``recipients`` are user UIDs (or usernames). The
        sender reads them as read, the recipients as unread. Returns the new UIDs.
        """
        d = self.directory
        sender_user = d.by_username.get(sender) or d.users.get(sender)
        if sender_user is None:
            raise ValueError(f"unknown sender {sender!r}")
        rec_uids: list[str] = []
        for r in recipients:
            ru = d.by_username.get(r) or d.users.get(r)
            if ru is None:
                raise ValueError(f"unknown recipient {r!r}")
            if ru.uid != sender_user.uid and ru.uid not in rec_uids:
                rec_uids.append(ru.uid)
        body = (
            "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * (text_size // 50 + 1)
        )[:text_size]
        base = time.time() - n - 60
        uids: list[str] = []
        conv_rows: list[tuple[Any, ...]] = []
        msg_rows: list[tuple[Any, ...]] = []
        um_rows: list[tuple[Any, ...]] = []
        for i in range(n):
            uid = new_uid()
            uids.append(uid)
            stamp = datetime.fromtimestamp(base + i, UTC)
            ts = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}"
            conv_rows.append(
                (
                    uid,
                    f"{subject_prefix} {i + 1}",
                    message_type,
                    "NONE",
                    "NONE",
                    None,
                    ts,
                    ts,
                    ts,
                    sender_user.uid,
                    sender_user.uid,
                    messages_per_conversation,
                    None,
                )
            )
            for _ in range(messages_per_conversation):
                msg_rows.append((new_uid(), uid, body, sender_user.uid, 0, ts, None))
            um_rows.append((uid, sender_user.uid, str(uuid.uuid4()), 1, 0))
            for r in rec_uids:
                um_rows.append((uid, r, str(uuid.uuid4()), 0, 0))
        with self.write() as conn:
            conn.executemany(
                f"INSERT INTO conversations ({CONV_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                conv_rows,
            )
            conn.executemany(
                f"INSERT INTO messages ({MSG_COLUMNS}) VALUES (?,?,?,?,?,?,?)", msg_rows
            )
            conn.executemany(
                f"INSERT INTO user_messages ({UM_COLUMNS}) VALUES (?,?,?,?,?)", um_rows
            )
        return uids

    # --- conversations -------------------------------------------------------------------

    def list_conversations_for(self, user_uid: str) -> list[dict[str, Any]]:
        """Every conversation ``user_uid`` takes part in, with their read/followUp.

        In UID order, so that ties of a later (stable) sort are broken by UID, as in
        :meth:`select_conversations_for`.
        """
        return self.select_conversations_for(user_uid, order_by="c.uid")

    _CONV_FROM = (
        "FROM user_messages um JOIN conversations c ON c.uid = um.conversation WHERE um.user = ?"
    )

    def select_conversations_for(
        self,
        user_uid: str,
        *,
        where: str = "",
        params: Sequence[Any] = (),
        order_by: str,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The user's conversations matching ``where`` (SQL over ``c``/``um``), ordered and
        windowed in SQL; a dict is built for the returned rows only."""
        sql = (
            f"SELECT {', '.join('c.' + k for k in CONV_KEYS)}, um.read, um.follow_up "
            f"{self._CONV_FROM}{f' AND ({where})' if where else ''} ORDER BY {order_by}"
        )
        args: list[Any] = [user_uid, *params]
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args += [limit, offset]
        rows = self.query(sql, args)
        keys = (*CONV_KEYS, "read", "follow_up")
        out = []
        for row in rows:
            rec = dict(zip(keys, row, strict=True))
            rec["read"] = bool(rec["read"])
            rec["follow_up"] = bool(rec["follow_up"])
            out.append(rec)
        return out

    def ordered_conversation_uids(
        self, user_uid: str, *, where: str = "", params: Sequence[Any] = (), order_by: str
    ) -> list[str]:
        """UIDs of the user's conversations matching ``where``, in ``order_by`` order.

        The answer is cached per (user, where, params, order) until the database changes:
        ``PRAGMA data_version`` moves when another connection (process) commits and
        ``total_changes`` when this one writes, so a stale list is never served. Paging
        through one listing then costs one query, and each page only its own rows. The
        list is shared: do not modify it.
        """
        key = (user_uid, where, tuple(params), order_by)
        with self.lock:
            version = self.conn.execute("PRAGMA data_version").fetchone()[0]
            generation = (int(version), self.conn.total_changes)
            if generation != self._list_generation:
                self._list_cache.clear()
                self._list_generation = generation
            uids = self._list_cache.pop(key, None)
            if uids is None:
                rows = self.conn.execute(
                    f"SELECT c.uid {self._CONV_FROM}{f' AND ({where})' if where else ''} "
                    f"ORDER BY {order_by}",
                    [user_uid, *params],
                ).fetchall()
                uids = [r[0] for r in rows]
                while len(self._list_cache) >= LIST_CACHE_SIZE:
                    del self._list_cache[next(iter(self._list_cache))]
            self._list_cache[key] = uids  # most recently used last
            return uids

    def conversations_by_uid_for(self, user_uid: str, uids: Sequence[str]) -> list[dict[str, Any]]:
        """The user's view (with read/followUp) of ``uids``, in that order."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(uids), 900):
            where = f"c.uid IN ({','.join('?' * len(chunk))})"
            for rec in self.select_conversations_for(
                user_uid, where=where, params=chunk, order_by="c.uid"
            ):
                found[rec["uid"]] = rec
        return [found[u] for u in uids if u in found]

    def get_conversation(self, uid: str) -> dict[str, Any] | None:
        rows = self.query(f"SELECT {CONV_COLUMNS} FROM conversations WHERE uid = ?", (uid,))
        if not rows:
            return None
        return dict(zip(CONV_KEYS, rows[0], strict=True))

    def get_conversations(self, uids: Sequence[str]) -> list[dict[str, Any]]:
        if not uids:
            return []
        marks = ",".join("?" * len(uids))
        rows = self.query(
            f"SELECT {CONV_COLUMNS} FROM conversations WHERE uid IN ({marks})", list(uids)
        )
        found = {r[0]: dict(zip(CONV_KEYS, r, strict=True)) for r in rows}
        # keep the caller's order, drop duplicates
        seen: set[str] = set()
        out = []
        for u in uids:
            if u in found and u not in seen:
                seen.add(u)
                out.append(found[u])
        return out

    def user_messages(self, conv_uids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """conversation uid -> its UserMessages (in insertion order)."""
        out: dict[str, list[dict[str, Any]]] = {u: [] for u in conv_uids}
        if not conv_uids:
            return out
        for chunk in _chunks(list(conv_uids), 900):
            marks = ",".join("?" * len(chunk))
            rows = self.query(
                "SELECT conversation, user, key, read, follow_up FROM user_messages "
                f"WHERE conversation IN ({marks}) ORDER BY rowid",
                chunk,
            )
            for conv, user, key, read, follow_up in rows:
                out[conv].append(
                    {"user": user, "key": key, "read": bool(read), "follow_up": bool(follow_up)}
                )
        return out

    def messages(self, conv_uids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """conversation uid -> its messages in order, each with its attachment uids."""
        out: dict[str, list[dict[str, Any]]] = {u: [] for u in conv_uids}
        if not conv_uids:
            return out
        by_uid: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(conv_uids), 900):
            marks = ",".join("?" * len(chunk))
            rows = self.query(
                "SELECT uid, conversation, text, sender, internal, created, meta_data "
                f"FROM messages WHERE conversation IN ({marks}) ORDER BY created, rowid",
                chunk,
            )
            for uid, conv, text, sender, internal, created, meta in rows:
                msg = {
                    "uid": uid,
                    "conversation": conv,
                    "text": text,
                    "sender": sender,
                    "internal": bool(internal),
                    "created": created,
                    "meta_data": meta,
                    "attachments": [],
                }
                by_uid[uid] = msg
                out[conv].append(msg)
        msg_uids = list(by_uid)
        for chunk in _chunks(msg_uids, 900):
            marks = ",".join("?" * len(chunk))
            for message, file in self.query(
                f"SELECT message, file FROM message_attachments WHERE message IN ({marks}) "
                "ORDER BY rowid",
                chunk,
            ):
                by_uid[message]["attachments"].append(file)
        return out

    def participants(self, conv_uid: str) -> dict[str, dict[str, Any]]:
        """user uid -> ``{key, read, follow_up}`` for each participant of ``conv_uid``."""
        rows = self.query(
            "SELECT user, key, read, follow_up FROM user_messages WHERE conversation = ?",
            (conv_uid,),
        )
        return {r[0]: {"key": r[1], "read": bool(r[2]), "follow_up": bool(r[3])} for r in rows}

    def is_participant(self, conv_uid: str, user_uid: str) -> bool:
        return bool(
            self.query(
                "SELECT 1 FROM user_messages WHERE conversation = ? AND user = ?",
                (conv_uid, user_uid),
            )
        )

    def unread_count(self, user_uid: str) -> int:
        """The caller's conversations with ``read = false``, of every type: DHIS2's
        ``getUnreadUserMessageConversationCount`` (what ``/api/me/dashboard`` reports)."""
        rows = self.query(
            "SELECT count(*) FROM user_messages WHERE user = ? AND read = 0", (user_uid,)
        )
        return int(rows[0][0])

    def message_in(self, conv_uid: str, msg_uid: str) -> dict[str, Any] | None:
        """``{internal}`` of message ``msg_uid`` if it belongs to ``conv_uid``."""
        rows = self.query(
            "SELECT internal FROM messages WHERE uid = ? AND conversation = ?", (msg_uid, conv_uid)
        )
        return {"internal": bool(rows[0][0])} if rows else None

    def is_attached(self, msg_uid: str, file_uid: str) -> bool:
        return bool(
            self.query(
                "SELECT 1 FROM message_attachments WHERE message = ? AND file = ?",
                (msg_uid, file_uid),
            )
        )

    # --- conversation writes: one method per change of state ------------------------------

    def claim_attachment(self, file_uid: str, domain: str) -> str:
        """Mark an unassigned file resource of ``domain`` assigned, in its own transaction.

        Returns ``"claimed"``, ``"missing"`` (no such resource) or ``"unusable"`` (already
        assigned, or of another domain); the caller turns the last two into its error.
        """
        with self.write() as conn:
            row = conn.execute(
                "SELECT domain, assigned FROM file_resources WHERE uid = ?", (file_uid,)
            ).fetchone()
            if row is None:
                return "missing"
            if row[0] != domain or row[1]:
                return "unusable"
            conn.execute(
                "UPDATE file_resources SET assigned = 1, last_updated = ? WHERE uid = ?",
                (now_iso(), file_uid),
            )
        return "claimed"

    def add_conversation(
        self,
        *,
        subject: str,
        text: str,
        sender: str,
        recipients: Sequence[str],
        message_type: str,
        status: str,
        attachments: Sequence[str],
        meta_data: str | None,
    ) -> str:
        """A new conversation with its first message: the sender has read it, every other
        recipient has not. Returns its UID."""
        uid = new_uid()
        msg_uid = new_uid()
        ts = now_iso()
        with self.write() as conn:
            conn.execute(
                f"INSERT INTO conversations ({CONV_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (uid, subject, message_type, "NONE", status, None, ts, ts, ts, sender, sender,
                 1, None),
            )  # fmt: skip
            self._insert_message(conn, msg_uid, uid, text, sender, False, ts, meta_data)
            self._attach(conn, msg_uid, attachments)
            conn.execute(
                f"INSERT INTO user_messages ({UM_COLUMNS}) VALUES (?,?,?,?,?)",
                (uid, sender, str(uuid.uuid4()), 1, 0),
            )
            conn.executemany(
                f"INSERT OR IGNORE INTO user_messages ({UM_COLUMNS}) VALUES (?,?,?,?,?)",
                [(uid, r, str(uuid.uuid4()), 0, 0) for r in recipients if r != sender],
            )
        return uid

    def add_message(
        self,
        conv_uid: str,
        *,
        text: str,
        sender: str,
        internal: bool,
        attachments: Sequence[str],
        meta_data: str | None,
    ) -> str:
        """A reply: the conversation's last message moves, and every other participant
        reads it as unread (an internal note: only those who manage tickets)."""
        msg_uid = new_uid()
        ts = now_iso()
        d = self.directory
        with self.write() as conn:
            self._insert_message(conn, msg_uid, conv_uid, text, sender, internal, ts, meta_data)
            self._attach(conn, msg_uid, attachments)
            conn.execute(
                "UPDATE conversations SET last_sender = ?, last_message = ?, last_updated = ?, "
                "message_count = message_count + ? WHERE uid = ?",
                (sender, ts, ts, 0 if internal else 1, conv_uid),
            )
            others = [
                r[0]
                for r in conn.execute(
                    "SELECT user FROM user_messages WHERE conversation = ? AND user != ?",
                    (conv_uid, sender),
                ).fetchall()
            ]
            if internal:
                others = [
                    o
                    for o in others
                    if o in d.users and ({"F_MANAGE_TICKETS", "ALL"} & set(d.users[o].authorities))
                ]
            conn.executemany(
                "UPDATE user_messages SET read = 0 WHERE conversation = ? AND user = ?",
                [(conv_uid, o) for o in others],
            )
        return msg_uid

    @staticmethod
    def _insert_message(
        conn: sqlite3.Connection,
        msg_uid: str,
        conv_uid: str,
        text: str,
        sender: str | None,
        internal: bool,
        created: str,
        meta_data: str | None,
    ) -> None:
        conn.execute(
            f"INSERT INTO messages ({MSG_COLUMNS}) VALUES (?,?,?,?,?,?,?)",
            (msg_uid, conv_uid, text, sender, int(internal), created, meta_data),
        )

    @staticmethod
    def _attach(conn: sqlite3.Connection, msg_uid: str, files: Sequence[str]) -> None:
        conn.executemany(
            "INSERT OR IGNORE INTO message_attachments (message, file) VALUES (?,?)",
            [(msg_uid, f) for f in files],
        )

    def add_recipients(self, conv_uid: str, user_uids: Sequence[str]) -> None:
        """New participants read the conversation as unread; existing ones are unchanged."""
        with self.write() as conn:
            conn.executemany(
                f"INSERT OR IGNORE INTO user_messages ({UM_COLUMNS}) VALUES (?,?,?,?,?)",
                [(conv_uid, u, str(uuid.uuid4()), 0, 0) for u in user_uids],
            )
            conn.execute(
                "UPDATE conversations SET last_updated = ? WHERE uid = ?", (now_iso(), conv_uid)
            )

    def mark_read(self, conv_uids: Sequence[str], user_uid: str, read: bool = True) -> list[str]:
        """Set ``user_uid``'s read flag; returns the conversations whose flag changed."""
        changed: list[str] = []
        with self.write() as conn:
            for uid in conv_uids:
                cur = conn.execute(
                    "UPDATE user_messages SET read = ? WHERE conversation = ? AND user = ? "
                    "AND read != ?",
                    (int(read), uid, user_uid, int(read)),
                )
                if cur.rowcount:
                    changed.append(uid)
        return changed

    def set_follow_up(self, conv_uids: Sequence[str], user_uid: str, follow_up: bool) -> None:
        with self.write() as conn:
            conn.executemany(
                "UPDATE user_messages SET follow_up = ? WHERE conversation = ? AND user = ?",
                [(int(follow_up), uid, user_uid) for uid in conv_uids],
            )

    def set_priority(self, conv_uid: str, priority: str) -> None:
        self._set_conversation_field(conv_uid, "priority", priority)

    def set_status(self, conv_uid: str, status: str) -> None:
        self._set_conversation_field(conv_uid, "status", status)

    def set_assignee(self, conv_uid: str, user_uid: str | None) -> None:
        """Assign the ticket to ``user_uid`` (``None``: unassign)."""
        self._set_conversation_field(conv_uid, "assignee", user_uid)

    def _set_conversation_field(self, conv_uid: str, column: str, value: str | None) -> None:
        assert column in ("priority", "status", "assignee")
        with self.write() as conn:
            conn.execute(
                f"UPDATE conversations SET {column} = ?, last_updated = ? WHERE uid = ?",
                (value, now_iso(), conv_uid),
            )

    def delete_conversation(self, conv_uid: str) -> None:
        """The hard delete: the conversation, its messages and every participant's copy."""
        with self.write() as conn:
            conn.execute(
                "DELETE FROM message_attachments WHERE message IN "
                "(SELECT uid FROM messages WHERE conversation = ?)",
                (conv_uid,),
            )
            conn.execute("DELETE FROM messages WHERE conversation = ?", (conv_uid,))
            conn.execute("DELETE FROM user_messages WHERE conversation = ?", (conv_uid,))
            conn.execute("DELETE FROM conversations WHERE uid = ?", (conv_uid,))

    def remove_participant(self, conv_uids: Sequence[str], user_uid: str) -> list[str]:
        """The soft delete: ``user_uid`` leaves each conversation; returns those it left."""
        removed: list[str] = []
        with self.write() as conn:
            for uid in conv_uids:
                cur = conn.execute(
                    "DELETE FROM user_messages WHERE conversation = ? AND user = ?",
                    (uid, user_uid),
                )
                if cur.rowcount:
                    removed.append(uid)
        return removed

    # --- file resources and documents ----------------------------------------------------

    def get_file(self, uid: str) -> dict[str, Any] | None:
        rows = self.query(f"SELECT {FILE_COLUMNS} FROM file_resources WHERE uid = ?", (uid,))
        return dict(zip(FILE_KEYS, rows[0], strict=True)) if rows else None

    def get_files(self, uids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(dict.fromkeys(uids)), 900):
            marks = ",".join("?" * len(chunk))
            for row in self.query(
                f"SELECT {FILE_COLUMNS} FROM file_resources WHERE uid IN ({marks})", chunk
            ):
                out[row[0]] = dict(zip(FILE_KEYS, row, strict=True))
        return out

    def list_documents(self) -> list[dict[str, Any]]:
        rows = self.query(f"SELECT {DOC_COLUMNS} FROM documents")
        return [dict(zip(DOC_KEYS, r, strict=True)) for r in rows]

    def get_document(self, uid: str) -> dict[str, Any] | None:
        rows = self.query(f"SELECT {DOC_COLUMNS} FROM documents WHERE uid = ?", (uid,))
        return dict(zip(DOC_KEYS, rows[0], strict=True)) if rows else None

    def add_file_resource(
        self,
        *,
        uid: str,
        name: str,
        content_type: str,
        content_path: str,
        size: int,
        md5: str,
        domain: str,
        created_by: str,
        stored_at: float,
        variants: dict[str, str] | None = None,
    ) -> bool:
        """Move the uploaded bytes at ``content_path`` (and the scaled copies of an image,
        ``variants``: dimension -> path) into place and record the resource, unassigned.
        ``False`` (and nothing changed) when ``uid`` is already taken."""
        ts = now_iso()
        with self.write() as conn:
            if conn.execute("SELECT 1 FROM file_resources WHERE uid = ?", (uid,)).fetchone():
                return False
            for dimension, path in (variants or {}).items():
                os.replace(path, self.file_path(uid, dimension))
            os.replace(content_path, self.file_path(uid))
            conn.execute(
                f"INSERT INTO file_resources ({FILE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (uid, name, content_type, size, md5, domain, 0, ts, ts, created_by, stored_at),
            )
        return True

    def add_document(
        self,
        *,
        uid: str,
        name: str,
        url: str,
        external: bool,
        content_type: str | None,
        attachment: bool,
        created_by: str,
    ) -> bool:
        """A document; an uploaded one (``external=False``) assigns its file resource
        (``url`` is the resource's UID). ``False`` when ``uid`` is already taken."""
        ts = now_iso()
        with self.write() as conn:
            if conn.execute("SELECT 1 FROM documents WHERE uid = ?", (uid,)).fetchone():
                return False
            conn.execute(
                f"INSERT INTO documents ({DOC_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
                (uid, name, url, int(external), content_type, int(attachment), ts, ts,
                 created_by),
            )  # fmt: skip
            if not external:  # DocumentObjectBundleHook.saveDocument
                conn.execute(
                    "UPDATE file_resources SET assigned = 1, domain = 'DOCUMENT' WHERE uid = ?",
                    (url,),
                )
        return True

    def update_document(
        self,
        uid: str,
        *,
        name: str,
        url: str,
        external: bool,
        content_type: str | None,
        attachment: bool,
    ) -> None:
        """Replace a document's owner properties (a PATCH after the patch was applied)."""
        with self.write() as conn:
            conn.execute(
                "UPDATE documents SET name = ?, url = ?, external = ?, content_type = ?, "
                "attachment = ?, last_updated = ? WHERE uid = ?",
                (name, url, int(external), content_type, int(attachment), now_iso(), uid),
            )
            if not external:  # DocumentObjectBundleHook.saveDocument, as on create
                conn.execute(
                    "UPDATE file_resources SET assigned = 1, domain = 'DOCUMENT' WHERE uid = ?",
                    (url,),
                )

    def delete_document(self, uid: str) -> None:
        """Delete a document; the file resource it was uploaded as stays, unassigned
        (DefaultDocumentService.deleteDocument since 2.42.4; 2.42.3 deleted the resource)."""
        with self.write() as conn:
            row = conn.execute(
                "SELECT url, external FROM documents WHERE uid = ?", (uid,)
            ).fetchone()
            conn.execute("DELETE FROM documents WHERE uid = ?", (uid,))
            if row is not None and not row[1]:
                conn.execute(
                    "UPDATE file_resources SET assigned = 0, last_updated = ? WHERE uid = ?",
                    (now_iso(), row[0]),
                )

    # --- /api/me: what a user changes about themselves ------------------------------------

    def profile(self, user_uid: str) -> tuple[str | None, dict[str, str]]:
        """``(avatar file resource UID, changed profile fields)`` set through ``PUT /api/me``."""
        rows = self.query("SELECT avatar, fields FROM user_profiles WHERE user = ?", (user_uid,))
        if not rows:
            return None, {}
        fields = json.loads(rows[0][1])
        return rows[0][0], {str(k): str(v) for k, v in fields.items()}

    def update_profile(
        self, user_uid: str, fields: dict[str, str], avatar: str | None = None
    ) -> None:
        """Merge ``fields`` into the user's profile; a new ``avatar`` is assigned and the
        one it replaces unassigned (User.setAvatar)."""
        with self.write() as conn:
            row = conn.execute(
                "SELECT avatar, fields FROM user_profiles WHERE user = ?", (user_uid,)
            ).fetchone()
            old_avatar = None if row is None else row[0]
            merged = {} if row is None else json.loads(row[1])
            merged.update(fields)
            new_avatar = avatar if avatar is not None else old_avatar
            conn.execute(
                "INSERT OR REPLACE INTO user_profiles (user, avatar, fields) VALUES (?,?,?)",
                (user_uid, new_avatar, json.dumps(merged)),
            )
            if new_avatar != old_avatar:
                self._set_assigned(conn, old_avatar, False)
                self._set_assigned(conn, new_avatar, True)
        self._apply_profile(user_uid, merged)

    def remove_avatar(self, user_uid: str) -> None:
        """The user has no avatar any more; its file resource stays, unassigned."""
        with self.write() as conn:
            row = conn.execute(
                "SELECT avatar FROM user_profiles WHERE user = ?", (user_uid,)
            ).fetchone()
            if row is None or row[0] is None:
                return
            conn.execute("UPDATE user_profiles SET avatar = NULL WHERE user = ?", (user_uid,))
            self._set_assigned(conn, row[0], False)

    @staticmethod
    def _set_assigned(conn: sqlite3.Connection, file_uid: str | None, assigned: bool) -> None:
        if file_uid is not None:
            conn.execute(
                "UPDATE file_resources SET assigned = ?, last_updated = ? WHERE uid = ?",
                (int(assigned), now_iso(), file_uid),
            )

    def _apply_profile(self, user_uid: str, fields: dict[str, str]) -> None:
        """Show changed names in this process's directory (user summaries, ``/users``)."""
        user = self.directory.users.get(user_uid)
        if user is None:
            return
        for key, attr in _PROFILE_ATTRS.items():
            if fields.get(key):
                setattr(user, attr, fields[key])

    def _apply_profiles(self) -> None:
        for user_uid, fields in self.query("SELECT user, fields FROM user_profiles"):
            self._apply_profile(str(user_uid), json.loads(fields))

    def reload_directory(self) -> None:
        """Rebuild the directory from the seed the database holds (after another process
        reset it), with the profile changes the database remembers."""
        self.seed_name = self.stored_seed()
        self.directory = Directory(seed_module.WORLDS[self.seed_name])
        self._apply_profiles()


_SAFE_NAME = re.compile(r"[A-Za-z0-9]{1,64}")
# PUT /api/me properties that the directory also knows
_PROFILE_ATTRS = {
    "firstName": "first_name",
    "surname": "surname",
    "email": "email",
    "phoneNumber": "phone_number",
    "jobTitle": "job_title",
}


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
