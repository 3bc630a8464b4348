"""``/api/me``, ``/api/system/info``, ``/api/configuration`` and the directory lists.

The directory endpoints (users, userGroups, organisationUnits) exist so that clients can
turn names, usernames and codes into UIDs with the same ``filter``/``query`` calls they would
make against DHIS2.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from typing import Any

from dhis2w.emulator.common import Call, get_object, list_objects, read_json
from dhis2w.emulator.exchange import Response, WebMessageError, json_response
from dhis2w.emulator.fields import STAR, FieldNode, compile_plan, render
from dhis2w.emulator.messaging import not_found_or_method
from dhis2w.emulator.schema import SCHEMAS, Context
from dhis2w.emulator.store import Directory, DirUser, now_iso

__all__ = ["VERSION", "route_configuration", "route_directory", "route_me", "route_system"]

# the newest 2.42 release: tag 2.42.5.2 of dhis2/dhis2-core (commit 91f1f41, 2026-08-10)
VERSION = "2.42.5.2"
REVISION = "91f1f41"
BUILD_TIME = "2026-08-10T13:56:52.000"
SYSTEM_ID = "6f1c2b8e-4d2a-4c7e-9a55-0d2f3e7a9b10"

NO_STORE = ("Cache-Control", "no-store")

_ME_REFS = {
    "organisationUnits": "OrganisationUnit",
    "dataViewOrganisationUnits": "OrganisationUnit",
    "teiSearchOrganisationUnits": "OrganisationUnit",
    "userGroups": "UserGroup",
    "userRoles": "UserRole",
}


# the String properties PUT /api/me merges (MeController.merge); empty values keep the old
PROFILE_FIELDS = (
    "firstName",
    "surname",
    "email",
    "phoneNumber",
    "jobTitle",
    "introduction",
    "gender",
    "skype",
    "facebookMessenger",
    "telegram",
    "whatsApp",
    "twitter",
    "nationality",
    "employer",
    "education",
    "interests",
    "languages",
)
_CONTACT_FIELDS = (
    "nationality",
    "education",
    "interests",
    "whatsApp",
    "facebookMessenger",
    "skype",
    "telegram",
    "twitter",
)


def _me_full(user: DirUser, ctx: Context) -> dict[str, Any]:
    d = ctx.directory
    ous = [d.org_units[o] for o in user.org_units if o in d.org_units]
    avatar, profile = ctx.store.profile(user.uid)
    first = profile.get("firstName", user.first_name)
    surname = profile.get("surname", user.surname)
    out: dict[str, Any] = {
        "id": user.uid,
        "username": user.username,
        "surname": surname,
        "firstName": first,
        "employer": profile.get("employer"),
        "languages": profile.get("languages"),
        "gender": profile.get("gender"),
        "jobTitle": profile.get("jobTitle", user.job_title),
        "avatar": None if avatar is None else {"id": avatar},
        "name": f"{first} {surname}",
        "displayName": f"{first} {surname}",
        "email": profile.get("email", user.email),
        "emailVerified": False,
        "phoneNumber": profile.get("phoneNumber", user.phone_number),
        "introduction": profile.get("introduction"),
        **{k: profile.get(k) for k in _CONTACT_FIELDS},
        "created": user.created,
        "lastUpdated": user.created,
        "organisationUnits": ous,
        "dataViewOrganisationUnits": ous,
        "teiSearchOrganisationUnits": [],
        "userGroups": [d.groups[g] for g in user.groups],
        "userRoles": [{"uid": user.role_uid, "name": user.role_name}],
        "authorities": sorted(set(user.authorities) | {"M_dhis-web-messaging"}),
        "settings": {
            "keyUiLocale": "en",
            "keyDbLocale": "en",
            "keyMessageEmailNotification": False,
            "keyMessageSmsNotification": False,
            "keyStyle": "light_blue/light_blue.css",
            "keyAnalysisDisplayProperty": "name",
        },
        "programs": [],
        "dataSets": [],
        "patTokens": [],
        "favorites": [],
        "translations": [],
        "access": {"manage": True, "externalize": True, "write": True, "read": True,
                   "update": True, "delete": True},
        "twoFactorType": "NOT_ENABLED",
        "attributeValues": [],
    }  # fmt: skip
    return out


def me(call: Call) -> Response:
    """MeDto; ``fields`` selects top-level keys and nests into the id lists."""
    ctx = call.context()
    full = _me_full(call.user, ctx)
    nodes = call.fields((FieldNode("*"),))
    chosen: dict[str, FieldNode | None] = {}
    excluded: set[str] = set()
    for node in nodes:
        if node.name in ("*", ":all", ":owner"):
            for key in full:
                chosen.setdefault(key, None)
        elif node.name.startswith("!"):
            excluded.add(node.name[1:])
        elif node.name in full:
            chosen[node.name] = node
    out: dict[str, Any] = {}
    for key, sel in chosen.items():
        value = full[key]
        if key in excluded or value is None:
            continue
        if key == "settings" and sel is not None and sel.children:
            # ``settings[keyStyle,...]``: only those keys (MeController.getCurrentUser)
            wanted = {c.name for c in sel.children}
            value = {k: v for k, v in value.items() if k in wanted}
        elif key in _ME_REFS:
            if sel is not None and sel.children:
                plan = compile_plan(SCHEMAS, _ME_REFS[key], sel.children)
                value = [render(plan, v, ctx) for v in value]
            else:
                value = [{"id": v["uid"] if isinstance(v, dict) else v.uid} for v in value]
        out[key] = value
    return json_response(200, out)


def system_info(call: Call) -> Response:
    """SystemInfo (2.42) in its declaration order, every property a real server fills; a
    caller who is not a superuser gets ``withoutSensitiveInfo()`` (those properties null,
    and null properties are left out)."""
    origin = call.req.origin
    sqlite_version = __import__("sqlite3").sqlite_version
    info: dict[str, Any] = {
        "contextPath": origin,
        "userAgent": call.req.header("user-agent") or "",
        "calendar": "iso8601",
        "dateFormat": "yyyy-mm-dd",
        "serverDate": now_iso(),
        "serverTimeZoneId": "Etc/UTC",
        "serverTimeZoneDisplayName": "Coordinated Universal Time",
        "lastAnalyticsTableSuccess": "2026-08-20T02:00:00.000",
        "intervalSinceLastAnalyticsTableSuccess": "0 h, 0 m, 0 s",
        "lastAnalyticsTableRuntime": "1 m, 12 s",
        "lastSystemMonitoringSuccess": "2026-08-20T03:00:00.000",
        "lastAnalyticsTablePartitionSuccess": "2026-08-20T02:30:00.000",
        "intervalSinceLastAnalyticsTablePartitionSuccess": "0 h, 0 m, 0 s",
        "lastAnalyticsTablePartitionRuntime": "9 s",
        "databaseInfo": {
            "name": "dhis2",
            "user": "dhis",
            "url": "jdbc:sqlite:dhis2w-emulator",
            "databaseVersion": f"SQLite {sqlite_version}",
            "spatialSupport": True,
            "time": now_iso(),
        },
        "version": VERSION,
        "revision": REVISION,
        "buildTime": BUILD_TIME,
        "jasperReportsVersion": "6.20.1",
        "environmentVariable": "DHIS2_HOME",
        "fileStoreProvider": "filesystem",
        "readOnlyMode": "off",
        "nodeId": "dhis2w-emulator",
        "javaVersion": "17.0.13",
        "javaVendor": "Eclipse Adoptium",
        "javaOpts": "-Xms512m -Xmx2g",
        "osName": platform.system(),
        "osArchitecture": platform.machine(),
        "osVersion": platform.release(),
        "externalDirectory": "/opt/dhis2",
        "readReplicaCount": 0,
        "memoryInfo": "Mem Total in JVM: 2048 Mb",
        "cpuCores": os.cpu_count() or 1,
        "encryption": False,
        "emailConfigured": False,
        "redisEnabled": False,
        "redisHostname": None,  # only with Redis on
        "systemId": SYSTEM_ID,
        "systemName": "DHIS 2 (dhis2w emulator)",
        "systemMetadataVersion": "Version_1",
        "instanceBaseUrl": origin,
        "systemMonitoringUrl": "http://127.0.0.1:9090/monitoring",
        "clusterHostname": "",
        "isMetadataVersionEnabled": True,
        "lastMetadataVersionSyncAttempt": "2026-08-20T01:00:00.000",
        "isMetadataSyncEnabled": False,
    }
    if not call.user.is_superuser:
        for key in _SENSITIVE:
            info[key] = None
        info["encryption"] = False
        info["redisEnabled"] = False
        info["databaseInfo"] = {
            k: v
            for k, v in info["databaseInfo"].items()
            if k not in ("name", "user", "url", "databaseVersion")
        }
    body = {k: v for k, v in info.items() if v is not None}
    return json_response(200, body, [NO_STORE])


# SystemInfo.withoutSensitiveInfo()
_SENSITIVE = (
    "jasperReportsVersion",
    "environmentVariable",
    "fileStoreProvider",
    "readOnlyMode",
    "nodeId",
    "javaVersion",
    "javaVendor",
    "javaOpts",
    "osName",
    "osArchitecture",
    "osVersion",
    "externalDirectory",
    "readReplicaCount",
    "memoryInfo",
    "cpuCores",
    "systemMonitoringUrl",
    "redisHostname",
    "clusterHostname",
)


def update_me(call: Call) -> Response:
    """``PUT /api/me`` (MeController.updateCurrentUser): merge the non-empty profile
    strings and the ``avatar``, which must be a file resource the caller created."""
    body = read_json(call, consumes=True)
    if not isinstance(body, dict):
        raise WebMessageError.wm(400, "JSON parse error: expected an object")
    fields = {k: v for k in PROFILE_FIELDS if isinstance(v := body.get(k), str) and v}
    avatar: str | None = None
    ref = body.get("avatar")
    if isinstance(ref, dict) and ref.get("id") is not None:
        file = call.store.get_file(str(ref["id"]))
        if file is None:
            raise WebMessageError.wm(409, "File does not exist", "E1004")
        if file["created_by"] != call.user.uid:
            raise WebMessageError.wm(409, "Not the owner of the file", "E1004")
        avatar = str(file["uid"])
    call.store.update_profile(call.user.uid, fields, avatar)
    ctx = call.context()
    return json_response(200, render(compile_plan(SCHEMAS, "User", STAR), call.user, ctx))


def remove_avatar(call: Call) -> Response:
    """``DELETE /api/me/avatar``: 204 whether or not there was one; the file resource stays,
    unassigned (MeController.removeAvatar, 2.42.5)."""
    call.store.remove_avatar(call.user.uid)
    return Response(204, [("Content-Length", "0")])


def dashboard(call: Call) -> Response:
    """``GET /api/me/dashboard``: what DHIS2's header bar polls. ``unreadMessageConversations``
    counts the caller's unread conversations of every type; the emulator has no
    interpretations, so ``unreadInterpretations`` is 0."""
    body = {
        "unreadMessageConversations": call.store.unread_count(call.user.uid),
        "unreadInterpretations": 0,
    }
    return json_response(200, body, [NO_STORE])


def route_me(call: Call, method: str, parts: list[str]) -> Response:
    if method == "GET" and not parts:
        return me(call)
    if method == "PUT" and not parts:
        return update_me(call)
    if method == "DELETE" and parts == ["avatar"]:
        return remove_avatar(call)
    if method == "GET" and parts == ["dashboard"]:
        return dashboard(call)
    if method == "GET" and len(parts) == 1 and parts[0] in ("authorities", "authorization"):
        return json_response(
            200, sorted(set(call.user.authorities)), [("Cache-Control", "no-store")]
        )
    if method == "GET" and len(parts) == 2 and parts[0] in ("authorities", "authorization"):
        # User.isAuthorized: a superuser (ALL) has every authority
        granted = call.user.is_superuser or parts[1] in call.user.authorities
        return json_response(200, granted, [NO_STORE])
    raise not_found_or_method(call, method)


def route_system(call: Call, method: str, parts: list[str]) -> Response:
    if method == "GET" and parts == ["info"]:
        return system_info(call)
    if method == "GET" and parts == ["ping"]:
        return Response(200, [("Content-Type", "text/plain;charset=UTF-8")], b"pong")
    raise not_found_or_method(call, method)


def _query_filter(type_name: str, query: str) -> Any:
    q = query.lower()

    def run(items: list[Any], ctx: Context) -> list[Any]:
        out = []
        for o in items:
            if o.uid == query or getattr(o, "code", None) == query:
                out.append(o)
                continue
            texts = [o.name if hasattr(o, "name") else o.display_name]
            if type_name == "User":
                texts = [o.username, o.first_name, o.surname, o.display_name, o.email]
            if any(q in (t or "").lower() for t in texts):
                out.append(o)
        return out

    return run


def _users(d: Directory) -> list[Any]:
    return list(d.users.values())


def _groups(d: Directory) -> list[Any]:
    return list(d.groups.values())


def _org_units(d: Directory) -> list[Any]:
    return list(d.org_units.values())


DIRECTORY: dict[str, tuple[str, Callable[[Directory], list[Any]]]] = {
    "users": ("User", _users),
    "userGroups": ("UserGroup", _groups),
    "organisationUnits": ("OrganisationUnit", _org_units),
}


def route_directory(call: Call, method: str, resource: str, parts: list[str]) -> Response:
    type_name, getter = DIRECTORY[resource]
    if method != "GET":
        raise not_found_or_method(call, method)
    d = call.store.directory
    items = getter(d)
    if not parts:
        query = call.req.param("query")
        return list_objects(
            call,
            type_name,
            resource,
            items,
            default_order=("name", "id") if type_name != "User" else ("surname", "firstName"),
            prefilter=_query_filter(type_name, query) if query else None,
        )
    if len(parts) == 1:
        found = next((o for o in items if o.uid == parts[0]), None)
        if found is None:
            raise WebMessageError.wm(
                404, f"{type_name} with id {parts[0]} could not be found.", "E1005"
            )
        return get_object(call, type_name, found)
    raise not_found_or_method(call, method)


def route_configuration(call: Call, method: str, parts: list[str]) -> Response:
    if method != "GET":
        raise not_found_or_method(call, method)
    d = call.store.directory
    group = d.groups.get(d.feedback_group or "")
    group_json = (
        None
        if group is None
        else {"id": group.uid, "name": group.name, "displayName": group.name, "code": group.code}
    )
    if not parts:
        body: dict[str, Any] = {
            "systemId": SYSTEM_ID,
            "feedbackRecipients": group_json,
            "offlineOrganisationUnitLevel": {"id": "tTUf91fCytl", "name": "Chiefdom", "level": 3},
            "corsWhitelist": [],
            "systemUpdateNotificationRecipients": None,
        }
        return json_response(200, {k: v for k, v in body.items() if v is not None})
    if parts == ["feedbackRecipients"]:
        if group_json is None:
            return Response(204, [("Content-Length", "0")])
        return json_response(200, group_json)
    raise not_found_or_method(call, method)
