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

from dhis2w.emulator.common import Call, get_object, list_objects
from dhis2w.emulator.exchange import Response, WebMessageError, json_response
from dhis2w.emulator.fields import FieldNode, compile_plan, render
from dhis2w.emulator.messaging import not_found_or_method
from dhis2w.emulator.schema import SCHEMAS, Context
from dhis2w.emulator.store import Directory, DirUser, now_iso

__all__ = ["VERSION", "route_configuration", "route_directory", "route_me", "route_system"]

VERSION = "2.42.3"
REVISION = "a3c1e5d"
BUILD_TIME = "2025-03-14T10:21:37.000"
SYSTEM_ID = "6f1c2b8e-4d2a-4c7e-9a55-0d2f3e7a9b10"

_ME_REFS = {
    "organisationUnits": "OrganisationUnit",
    "dataViewOrganisationUnits": "OrganisationUnit",
    "teiSearchOrganisationUnits": "OrganisationUnit",
    "userGroups": "UserGroup",
    "userRoles": "UserRole",
}


def _me_full(user: DirUser, ctx: Context) -> dict[str, Any]:
    d = ctx.directory
    ous = [d.org_units[o] for o in user.org_units if o in d.org_units]
    out: dict[str, Any] = {
        "id": user.uid,
        "username": user.username,
        "surname": user.surname,
        "firstName": user.first_name,
        "name": user.display_name,
        "displayName": user.display_name,
        "email": user.email,
        "emailVerified": False,
        "phoneNumber": user.phone_number,
        "jobTitle": user.job_title,
        "languages": None,
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
        if key in _ME_REFS:
            if sel is not None and sel.children:
                plan = compile_plan(SCHEMAS, _ME_REFS[key], sel.children)
                value = [render(plan, v, ctx) for v in value]
            else:
                value = [{"id": v["uid"] if isinstance(v, dict) else v.uid} for v in value]
        out[key] = value
    return json_response(200, out)


def system_info(call: Call) -> Response:
    origin = call.req.origin
    info: dict[str, Any] = {
        "contextPath": origin,
        "userAgent": call.req.header("user-agent") or "",
        "calendar": "iso8601",
        "dateFormat": "yyyy-mm-dd",
        "serverDate": now_iso(),
        "serverTimeZoneId": "Etc/UTC",
        "serverTimeZoneDisplayName": "Coordinated Universal Time",
        "lastAnalyticsTableSuccess": "2025-03-20T02:00:00.000",
        "intervalSinceLastAnalyticsTableSuccess": "0 h, 0 m, 0 s",
        "version": VERSION,
        "revision": REVISION,
        "buildTime": BUILD_TIME,
        "jasperReportsVersion": "6.20.1",
        "environmentVariable": "DHIS2_HOME",
        "readOnlyMode": "off",
        "nodeId": "dhis2w-emulator",
        "systemId": SYSTEM_ID,
        "systemName": "DHIS 2 (dhis2w emulator)",
        "instanceBaseUrl": origin,
        "clusterHostname": "",
        "isMetadataVersionEnabled": True,
        "metadataSyncEnabled": False,
        "emailConfigured": False,
        "redisEnabled": False,
    }
    if call.user.is_superuser:
        info.update(
            {
                "javaVersion": "17.0.13",
                "javaVendor": "Eclipse Adoptium",
                "javaOpts": "-Xms512m -Xmx2g",
                "osName": platform.system(),
                "osArchitecture": platform.machine(),
                "osVersion": platform.release(),
                "externalDirectory": "/opt/dhis2",
                "databaseInfo": {
                    "spatialSupport": True,
                    "databaseVersion": f"SQLite {__import__('sqlite3').sqlite_version}",
                },
                "memoryInfo": "Mem Total in JVM: 2048 Mb",
                "cpuCores": os.cpu_count() or 1,
                "encryption": False,
            }
        )
    return json_response(200, info, [("Cache-Control", "no-store")])


def route_me(call: Call, method: str, parts: list[str]) -> Response:
    if method == "GET" and not parts:
        return me(call)
    if method == "GET" and parts == ["authorities"]:
        return json_response(200, sorted(set(call.user.authorities)))
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
