"""What watching the inbox costs, and how fast it notices a new message.

The emulator runs in its own process with an inbox of 2,000 conversations for ``admin``.

* **Idle poll.** The request ``client.messaging.watch`` makes when nothing is new is taken
  from the wire (a recording transport around httpx's own, while a watch polls once from a
  stored cursor), then replayed with raw httpx next to the naive alternative, "list page 1"
  (``list_conversations()``: dhis2w's list selector, 50 rows, newest first), interleaved
  round by round. Reported side by side: the bytes of each answer and the time of each
  round trip on loopback (the server's time, as the client sees it).
* **Delay.** A sync ``Client`` watches with a 1 s interval in a thread while another user
  sends messages at unrelated moments; the delay is the time from a send's return to the
  watcher's event for it (the same machine's monotonic clock on both sides). With a 1 s
  interval it should average about half the interval, and stay under the interval plus a
  poll.

Run: ``python -m benchmarks.watch`` (``--quick`` for a tiny smoke run).
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import httpx

from ._common import ADMIN_USER, EmulatorProcess, Report, compare, parse_args

PATH = "/api/messageConversations"


class RecordingTransport(httpx.BaseTransport):
    """Keeps every request the client sends (method, URL) before httpx's transport runs it."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def _profile(url: str, user: tuple[str, str] = ADMIN_USER) -> Any:
    from dhis2w import Profile

    return Profile(base_url=url, username=user[0], password=user[1])


def idle_poll_request(url: str) -> httpx.URL:
    """The exact URL of an idle poll, as the library sends it."""
    from dhis2w import Client

    with Client(_profile(url)) as client:
        start = client.messaging.watch(once=True)
        assert list(start) == []
        cursor = start.cursor
    recorder = RecordingTransport()
    with Client(_profile(url), transport=recorder) as client:
        events = list(client.messaging.watch(once=True, cursor=cursor))
    assert events == [], "nothing was sent: the poll must be idle"
    assert len(recorder.requests) == 1, [str(r.url) for r in recorder.requests]
    return recorder.requests[0].url


def naive_request(url: str) -> httpx.URL:
    from dhis2w import _wire

    params = _wire.conversation_list_params()
    return httpx.URL(url + PATH, params=params)


def measure_polls(report: Report, url: str, rounds: int, calls: int) -> None:
    idle = idle_poll_request(url)
    naive = naive_request(url)
    sizes: dict[str, int] = {}
    with httpx.Client(auth=ADMIN_USER) as http:

        def poll(target: httpx.URL, name: str) -> Any:
            def run() -> None:
                for _ in range(calls):
                    response = http.get(target)
                    response.raise_for_status()
                    sizes[name] = len(response.content)

            return run

        times = compare(
            {
                "idle watch poll (narrow fields, lastMessage filter)": poll(idle, "idle"),
                "naive poll: list page 1 (list fields, 50 rows)": poll(naive, "naive"),
            },
            rounds,
        )
    per_call = {name: [t / calls for t in values] for name, values in times.items()}
    report.add_times(per_call)
    report.add_value("answer bytes: idle watch poll", sizes["idle"], "B")
    report.add_value("answer bytes: naive poll (list page 1)", sizes["naive"], "B")
    report.params["idle poll"] = idle.query.decode()
    report.ratio(
        "naive page-1 poll / idle watch poll (bytes)",
        "answer bytes: naive poll (list page 1)",
        "answer bytes: idle watch poll",
        10.0,
        ">=",
    )
    report.ratio(
        "naive page-1 poll / idle watch poll (server time)",
        "naive poll: list page 1 (list fields, 50 rows)",
        "idle watch poll (narrow fields, lastMessage filter)",
        None,
    )


def measure_delay(report: Report, url: str, sends: int, interval: float) -> None:
    from dhis2w import Client

    seen: dict[str, float] = {}
    done = threading.Event()
    with Client(_profile(url)) as admin:
        start = admin.messaging.watch(once=True)
        list(start)
        cursor = start.cursor

        def watcher() -> None:
            with Client(_profile(url)) as client:
                for event in client.messaging.watch(interval=interval, cursor=cursor):
                    seen[event.conversation.subject or ""] = time.monotonic()
                    if len(seen) >= sends:
                        break
            done.set()

        thread = threading.Thread(target=watcher, daemon=True)
        thread.start()
        sent: dict[str, float] = {}
        admin_uid = admin.me().id
        rng = random.Random(11)
        with Client(_profile(url, ("fatmata", "Fatmata#2024"))) as fatmata:
            for n in range(sends):
                time.sleep(rng.uniform(0.2, 1.3))  # unrelated to the poll's rhythm
                subject = f"watch delay {n}"
                fatmata.messaging.send(subject=subject, text="ping", users=admin_uid)
                sent[subject] = time.monotonic()
        done.wait(timeout=30 + sends * (interval + 2))
    delays = sorted(seen[s] - sent[s] for s in sent if s in seen)
    report.fact("events seen / messages sent", f"{len(delays)} / {sends}", len(delays) == sends)
    if delays:
        mid = delays[len(delays) // 2]
        report.fact(f"send -> event delay, median (interval {interval:g} s)", f"{mid:.2f} s")
        report.fact(
            "send -> event delay, max (target <= interval + 0.5 s)",
            f"{delays[-1]:.2f} s",
            delays[-1] <= interval * 1.1 + 0.5,
        )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv, rounds=7)
    inbox = 200 if args.quick else 2_000
    calls = 3 if args.quick else 20
    sends = 2 if args.quick else 10
    report = Report("watch: idle poll cost and send-to-event delay")
    report.params.update(inbox=inbox, calls_per_round=calls, sends=sends)
    with EmulatorProcess(conversations=inbox, sender="fatmata", recipients=["admin"]) as emu:
        measure_polls(report, emu.url, args.rounds, calls)
        measure_delay(report, emu.url, sends, interval=1.0)
    report.print(as_json=args.json)


if __name__ == "__main__":
    main()
