"""``client.messaging``: DHIS2's internal messaging (``/api/messageConversations``).

Each method sends exactly the wire shape of dhis2-api.md §1 and hides DHIS2's quirks (BUGS.md):
the new UID comes from ``Location``; attachments travel as ``{"id": uid}``; replies are
``text/plain``; delete is the caller's soft delete; the 200-with-a-message "not found" body
becomes :class:`NotFoundError`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Unpack

from .. import _reconcile, _wire, models
from .._filters import ConversationFilters, check_filters, takes_filters
from .._synchronization import async_sleep
from .._transfer import DownloadDest, Progress
from ..enums import MessageType, Priority, Status
from ..errors import (
    AuthenticationError,
    ConflictError,
    Dhis2Error,
    PermissionDeniedError,
    ReadBackError,
    SendOutcomeUnknownError,
)
from .paging import iterate_pages
from .watching import AsyncInboxWatch

if TYPE_CHECKING:
    from .client import AsyncClient

__all__ = ["AsyncMessaging"]

logger = logging.getLogger("dhis2w")

Uids = str | Iterable[str]


class AsyncMessaging:
    """Conversations: list, read, send, reply, read state, tickets, delete, attachments."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    # --- reading -----------------------------------------------------------------------------
    @takes_filters
    async def list_conversations(
        self,
        *,
        order: str | None = "lastMessage:desc",
        page: int = 1,
        page_size: int = 50,
        **filters: Unpack[ConversationFilters],
    ) -> models.ConversationPage:
        """One page of the caller's conversations (newest activity first by default).

        Filters (:class:`~dhis2w.ConversationFilters`, all ANDed): ``filter`` (raw DHIS2
        ``prop:op:value``, one or a list), ``query``, ``message_type``, ``status``,
        ``priority``, ``unread``, ``follow_up``, ``assignee`` (a user UID).
        """
        check_filters("list_conversations", filters)
        params = _wire.conversation_list_params(
            **filters, order=order, page=page, page_size=page_size
        )
        return await self._page(params)

    async def _page(self, params: _wire.QueryParams) -> models.ConversationPage:
        return await self._client.get_decoded(
            _wire.CONVERSATIONS, models.conversation_page_decoder, params=params
        )

    @takes_filters
    def iter_conversations(
        self,
        *,
        order: str | None = "lastMessage:desc",
        page_size: int = 200,
        limit: int | None = None,
        on_pager: Callable[[models.Pager | None], object] | None = None,
        **filters: Unpack[ConversationFilters],
    ) -> AsyncIterator[models.MessageConversation]:
        """Every matching conversation, page by page, the next page fetched in the background.

        Takes the filters of :meth:`list_conversations`. Stops after ``limit``
        conversations. Each conversation is yielded once even if new activity moves it
        between pages while iterating. ``on_pager`` is called once with the first page's
        pager (its ``total`` is what a progress line counts towards).
        """
        check_filters("iter_conversations", filters)
        size = min(page_size, limit) if limit is not None and limit > 0 else page_size

        def params_for(page: int) -> _wire.QueryParams:
            return _wire.conversation_list_params(**filters, order=order, page=page, page_size=size)

        params_for(1)  # bad arguments fail here, before any request

        async def fetch(
            page: int,
        ) -> tuple[Sequence[models.MessageConversation], models.Pager | None]:
            result = await self._page(params_for(page))
            return result.conversations, result.pager

        return iterate_pages(
            self._client.runner, fetch, key=_conversation_id, limit=limit, on_pager=on_pager
        )

    async def unread_count(self, message_type: MessageType | str | None = None) -> int:
        """How many of the caller's conversations are unread.

        Without ``message_type`` this is DHIS2's own unread badge (``/api/me/dashboard``, one
        count query on the server); with one, the pager total of a one-row filtered list.
        Both count the caller's conversations whose ``read`` is false.
        """
        if message_type is None:
            path = _wire.ME_DASHBOARD
            response = await self._client.request_json("GET", path)
            dashboard = _wire.decode(
                models.me_dashboard_decoder,
                response.content,
                method="GET",
                path=path,
                status_code=response.status_code,
            )
            return dashboard.unread_message_conversations
        params = _wire.conversation_list_params(
            message_type=message_type, unread=True, order=None, page_size=1, fields="id"
        )
        page = await self._page(params)
        if page.pager is None:
            return len(page.conversations)
        return page.pager.total

    async def get_conversation(self, uid: str) -> models.MessageConversation:
        """The whole thread: messages (text, sender, attachments), participants, assignee."""
        _wire.check_uid(uid, "conversation")
        path = _wire.conversation_path(uid)
        response = await self._client.request_json(
            "GET", path, params=[("fields", _wire.CONVERSATION_FIELDS)]
        )
        _wire.raise_for_not_found_body(
            method="GET", path=path, status_code=response.status_code, body=response.content
        )
        return _wire.decode(
            models.conversation_decoder,
            response.content,
            method="GET",
            path=path,
            status_code=response.status_code,
        )

    @takes_filters
    def watch(
        self,
        *,
        interval: float = 30.0,
        cursor: str | None = None,
        once: bool = False,
        **filters: Unpack[ConversationFilters],
    ) -> AsyncInboxWatch:
        """New messages as they arrive: one :class:`~dhis2w.models.InboxEvent` per
        conversation that is new or has new messages, carrying only the new messages.

        Polls every ``interval`` seconds (with +-10 % jitter) for conversations whose
        ``lastMessage`` moved, with a narrow selector: an idle poll is one small request.
        Without ``cursor`` it starts after what is already in the inbox; pass the ``cursor``
        of the last event handled (or the watch's ``.cursor``) to resume after a restart,
        missing nothing and repeating nothing. ``once=True`` stops after one poll (for cron
        jobs; errors are then raised, not retried). Read errors (network, 5xx, 429) are
        logged and retried with backoff; authentication and other refusals are raised.
        Takes the filters of :meth:`list_conversations`.
        """
        check_filters("watch", filters)
        return AsyncInboxWatch(self, interval=interval, cursor=cursor, once=once, filters=filters)

    # --- writing -----------------------------------------------------------------------------
    async def send(
        self,
        *,
        subject: str,
        text: str,
        users: Uids = (),
        user_groups: Uids = (),
        organisation_units: Uids = (),
        attachments: Uids = (),
    ) -> models.MessageConversation:
        """Start a PRIVATE conversation; returns it as stored (one extra GET)."""
        body = _wire.send_body(
            subject=subject,
            text=text,
            users=users,
            user_groups=user_groups,
            organisation_units=organisation_units,
            attachments=attachments,
        )
        started = time.monotonic()
        try:
            response = await self._client.request_json(
                "POST",
                _wire.CONVERSATIONS,
                content=body,
                content_type=_wire.JSON,
                outcome_unknown_on_loss=True,
            )
        except ConflictError as exc:
            await self._explain_conflict(exc)
            raise
        except SendOutcomeUnknownError as lost:
            sent = _reconcile.Sent(
                "send",
                text=text,
                subject=subject,
                users=tuple(_wire.uid_list(users, "user")),
                attachments=tuple(_wire.uid_list(attachments, "attachment")),
            )
            return await self._recover(lost, sent, started)
        uid = _wire.uid_from_location(
            response.headers.get("location"),
            method="POST",
            path=_wire.CONVERSATIONS,
            status_code=response.status_code,
        )
        return await self._read_back(uid, "the message was sent")

    async def reply(
        self,
        uid: str,
        *,
        text: str,
        internal: bool = False,
        attachments: Uids = (),
    ) -> models.MessageConversation:
        """Add a message to a thread; the text is sent verbatim as ``text/plain``."""
        _wire.check_uid(uid, "conversation")
        _wire.check_text(text, "text")
        params = _wire.reply_params(internal=internal, attachments=attachments)
        started = time.monotonic()
        try:
            await self._client.request_json(
                "POST",
                _wire.conversation_path(uid),
                params=params,
                content=text.encode("utf-8"),
                content_type=_wire.TEXT_PLAIN,
                outcome_unknown_on_loss=True,
            )
        except ConflictError as exc:
            await self._explain_conflict(exc)
            raise
        except SendOutcomeUnknownError as lost:
            sent = _reconcile.Sent(
                "reply",
                text=text,
                conversation=uid,
                internal=internal,
                attachments=tuple(_wire.uid_list(attachments, "attachment")),
            )
            return await self._recover(lost, sent, started)
        return await self._read_back(uid, "the reply was sent")

    async def _explain_conflict(self, exc: ConflictError) -> None:
        """Raise, instead of ``exc``, a 409 that says why DHIS2 refused an attachment.

        DHIS2 gives one message for two causes (another domain, already attached); the file
        resource's metadata tells which. Returns (and ``exc`` is raised as is) otherwise.
        """
        uid = _wire.refused_attachment(exc)
        if uid is None:
            return
        try:
            resource: models.FileResource | None = await self._client.files.get_file_resource(uid)
        except Dhis2Error:
            resource = None
        explained = _wire.explain_refused_attachment(exc, uid, resource)
        if explained is not exc:
            raise explained from exc

    async def _read_back(self, uid: str, done: str) -> models.MessageConversation:
        """The conversation after a write DHIS2 accepted.

        Failing to read it back is not failing to send: the error says so (and names the
        conversation), so nobody sends the message a second time.
        """
        try:
            return await self.get_conversation(uid)
        except Dhis2Error as exc:
            raise ReadBackError(_wire.read_back_message(done, uid, exc), uid=uid) from exc

    async def _recover(
        self, lost: SendOutcomeUnknownError, sent: _reconcile.Sent, started_clock: float
    ) -> models.MessageConversation:
        """After a lost answer: look for what was sent (never send it again).

        Checks at once, then again while the server settles, for up to the client's
        ``reconcile_timeout`` seconds. Found once: the stored conversation, as if the answer
        had arrived. Otherwise :class:`SendOutcomeUnknownError` saying what was checked.
        """
        timeout = self._client.reconcile_timeout
        if timeout <= 0:
            raise lost
        begun = time.monotonic()
        checked = False
        started = None
        found: list[str] = []
        for delay in [0.0, *_reconcile.check_delays(timeout)]:
            if delay:
                await async_sleep(delay)
            try:
                if started is None:
                    started = await self._call_started(started_clock)
                found = await self._find_sent(sent, started)
            except (AuthenticationError, PermissionDeniedError):
                break  # asking again will not be allowed either
            except Dhis2Error:
                continue  # the server is still unwell: try again within the timeout
            checked = True
            if len(found) == 1:
                uid = sent.conversation if sent.conversation is not None else found[0]
                logger.info("%s: the answer was lost; found it stored (%s)", sent.kind, found[0])
                return await self._read_back(uid, "the message was found stored")
            if found:
                break
        raise _reconcile.outcome_unknown(
            lost,
            sent,
            checked=checked,
            waited=time.monotonic() - begun,
            found=found,
            started=started,
        ) from lost

    async def _call_started(self, started_clock: float) -> datetime:
        """The server's time when the call began (see :mod:`dhis2w._reconcile`)."""
        path = _wire.API + "/system/info"
        info = await self._client.get_decoded(
            path, models.system_info_decoder, params=[("fields", _reconcile.SERVER_TIME_FIELDS)]
        )
        if info.server_date is None:
            raise _wire.api_error("the server did not say its time", method="GET", path=path)
        return _reconcile.call_started(info.server_date, time.monotonic() - started_clock)

    async def _find_sent(self, sent: _reconcile.Sent, started: datetime) -> list[str]:
        me = await self._client.me()
        if sent.kind == "reply" and sent.conversation is not None:
            thread = await self.get_conversation(sent.conversation)
            return _reconcile.matching_messages(sent, me.id, started, thread)
        page = await self._page(_reconcile.candidate_params(sent, started))
        return _reconcile.matching_conversations(sent, me.id, started, page.conversations)

    async def send_feedback(self, *, subject: str, text: str) -> models.MessageConversation:
        """Send feedback to the system's feedback recipients: a new TICKET conversation."""
        _wire.check_subject(subject)
        _wire.check_text(text, "text")
        path = _wire.CONVERSATIONS + "/feedback"
        started = time.monotonic()
        try:
            response = await self._client.request_json(
                "POST",
                path,
                params=[("subject", subject)],
                content=text.encode("utf-8"),
                content_type=_wire.TEXT_PLAIN,
                outcome_unknown_on_loss=True,
            )
        except SendOutcomeUnknownError as lost:
            sent = _reconcile.Sent("feedback", text=text, subject=subject)
            return await self._recover(lost, sent, started)
        location = response.headers.get("location")
        if location:
            return await self._read_back(
                _wire.uid_from_location(
                    location, method="POST", path=path, status_code=response.status_code
                ),
                "the feedback was sent",
            )
        # DHIS2 2.40 sends no Location for feedback: find the newest matching ticket.
        page = await self._page(
            _wire.conversation_list_params(
                filter=[f"subject:eq:{subject}"],
                message_type=MessageType.TICKET,
                order="lastMessage:desc",
                page_size=1,
                fields="id",
            )
        )
        if not page.conversations:
            raise _wire.api_error(
                "feedback was accepted but the new ticket could not be found",
                method="POST",
                path=path,
                status_code=response.status_code,
            )
        return await self.get_conversation(page.conversations[0].id)

    async def add_recipients(
        self,
        uid: str,
        *,
        users: Uids = (),
        user_groups: Uids = (),
        organisation_units: Uids = (),
    ) -> None:
        """Add users, user groups' members or org units' users to a thread (204)."""
        _wire.check_uid(uid, "conversation")
        body = _wire.recipients_body(
            users=users, user_groups=user_groups, organisation_units=organisation_units
        )
        await self._client.request_json(
            "POST",
            _wire.conversation_path(uid, "recipients"),
            content=models.json_encoder.encode(body),
            content_type=_wire.JSON,
        )

    # --- per-user state (bulk) ----------------------------------------------------------------
    async def _bulk(self, uids: Uids, endpoint: str, key: str) -> list[str]:
        checked = _wire.uid_list(uids, "conversation")
        path = f"{_wire.CONVERSATIONS}/{endpoint}"
        changed: list[str] = []
        for chunk in _wire.chunked(checked):
            response = await self._client.request_json(
                "POST", path, content=_wire.uids_json(chunk), content_type=_wire.JSON
            )
            changed.extend(
                _wire.uid_list_from(
                    response.content,
                    key,
                    method="POST",
                    path=path,
                    status_code=response.status_code,
                )
            )
        return changed

    async def mark_read(self, uids: Uids) -> list[str]:
        """Mark read for the caller; returns the UIDs that changed (already-read are left out)."""
        return await self._bulk(uids, "read", "markedRead")

    async def mark_unread(self, uids: Uids) -> list[str]:
        """Mark unread for the caller; returns the UIDs that changed."""
        return await self._bulk(uids, "unread", "markedUnread")

    async def follow_up(self, uids: Uids) -> list[str]:
        """Flag for follow-up; returns every UID found."""
        return await self._bulk(uids, "followup", "markedFollowup")

    async def unfollow_up(self, uids: Uids) -> list[str]:
        """Clear the follow-up flag; returns every UID found."""
        return await self._bulk(uids, "unfollowup", "unmarkedFollowup")

    async def delete_conversation(self, uids: Uids) -> list[str]:
        """Remove conversations from the caller's inbox (soft delete); returns removed UIDs.

        Never the hard ``DELETE /{uid}``, which destroys the thread for every participant.
        """
        checked = _wire.uid_list(uids, "conversation")
        if not checked:
            return []
        me = await self._client.me()
        if len(checked) == 1:
            path = _wire.conversation_path(checked[0], me.id)
            response = await self._client.request_json("DELETE", path)
            return _wire.uid_list_from(
                response.content,
                "removed",
                method="DELETE",
                path=path,
                status_code=response.status_code,
            )
        removed: list[str] = []
        for chunk in _wire.chunked(checked):
            params: _wire.QueryParams = [("mc", uid) for uid in chunk]
            params.append(("user", me.id))
            response = await self._client.request_json("DELETE", _wire.CONVERSATIONS, params=params)
            removed.extend(
                _wire.uid_list_from(
                    response.content,
                    "removed",
                    method="DELETE",
                    path=_wire.CONVERSATIONS,
                    status_code=response.status_code,
                )
            )
        return removed

    # --- ticket workflow -----------------------------------------------------------------------
    async def set_priority(self, uid: str, priority: Priority | str) -> None:
        """Set a conversation's priority (NONE, LOW, MEDIUM, HIGH)."""
        _wire.check_uid(uid, "conversation")
        value = _wire.enum_value(Priority, priority, "priority")
        await self._client.request_json(
            "POST",
            _wire.conversation_path(uid, "priority"),
            params=[("messageConversationPriority", value)],
        )

    async def set_status(self, uid: str, status: Status | str) -> None:
        """Set a ticket's status (NONE, OPEN, PENDING, INVALID, SOLVED)."""
        _wire.check_uid(uid, "conversation")
        value = _wire.enum_value(Status, status, "status")
        await self._client.request_json(
            "POST",
            _wire.conversation_path(uid, "status"),
            params=[("messageConversationStatus", value)],
        )

    async def assign(self, uid: str, user: str) -> None:
        """Assign a conversation to a user (a UID; resolve names with ``client.directory``)."""
        _wire.check_uid(uid, "conversation")
        _wire.check_uid(user, "user")
        await self._client.request_json(
            "POST", _wire.conversation_path(uid, "assign"), params=[("userId", user)]
        )

    async def unassign(self, uid: str) -> None:
        """Remove the assignee."""
        _wire.check_uid(uid, "conversation")
        await self._client.request_json("DELETE", _wire.conversation_path(uid, "assign"))

    # --- attachments ---------------------------------------------------------------------------
    async def download_attachment(
        self,
        conversation: str,
        message: str,
        file: str,
        dest: DownloadDest = None,
        progress: Progress | None = None,
    ) -> bytes | Path | int:
        """Stream an attachment: its bytes, or the path written (``dest`` may be a folder).

        ``dest`` may also be a binary file object (``sys.stdout.buffer``): the attachment is
        streamed into it and the number of bytes written is returned.
        """
        _wire.check_uid(conversation, "conversation")
        _wire.check_uid(message, "message")
        _wire.check_uid(file, "file")
        path = _wire.conversation_path(conversation, message, "attachments", file)
        return await self._client.files.download(
            path, dest, fallback_name=file, progress=progress, resource_uid=file
        )


def _conversation_id(conversation: models.MessageConversation) -> str:
    return conversation.id
