"""A local stand-in for the data hub's REST API, for tests: a real HTTP server on 127.0.0.1
(threaded ``http.server``) that speaks the documented messages.

* ``POST /token``: OAuth2 client credentials (form), gives bearer tokens.
* ``POST /api/v2/data-distribution/search``: the entries of ``resourceType`` created in
  ``[periodStart, periodEnd)``, ``size`` per page, Spring-style (``content``, ``number``,
  ``totalPages``, ``last``); refuses windows longer than the hub allows.
* ``POST /api/v2/agreement`` and ``/agreement/cancel``; ``POST /api/v2/connection-state/
  initiate`` and ``/message``.
* Numbers are written exactly: a ``Decimal`` in published content is written with its own
  digits (``1.0000000000000001`` stays that), as a hub that is not written in Python would.
* ``faults``: answers given before the normal one (e.g. ``(429, {"Retry-After": "2"}, {...})``
  or ``(503, {}, {...})``), one per request, in order.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CLIENT_ID = "vool-test"
CLIENT_SECRET = "s3cret"
MAX_WINDOW = {"METERING_DATA": dt.timedelta(hours=1)}


def dumps(body: Any) -> str:
    """JSON of ``body`` with each Decimal written as its digits (not through a float)."""
    numbers: list[str] = []

    def number(value: Any) -> str:
        if not isinstance(value, Decimal):
            raise TypeError(f"{value!r} is not JSON")
        numbers.append(str(value))
        return f"\x00{len(numbers) - 1}\x00"

    text = json.dumps(body, default=number)
    return re.sub(r'"\\u0000(\d+)\\u0000"', lambda m: numbers[int(m.group(1))], text)


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class HubState:
    entries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    faults: list[tuple[int, dict[str, str], Any]] = field(default_factory=list)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    agreements: dict[str, dict[str, Any]] = field(default_factory=dict)
    connection_requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    delay_s: float = 0.0  # each search answer waits this long (to stop a sync mid-way)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, resource_type: str, created: dt.datetime, content: Any, **extra: Any) -> str:
        """Make an entry available to the supplier (as the hub does when data changes)."""
        entry_id = extra.pop("entry_id", None) or f"{resource_type.lower()}-{next(self.ids)}"
        self.entries.setdefault(resource_type, []).append(
            {
                "id": entry_id,
                "createdTime": created.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
                "resourceType": resource_type,
                "reason": extra.get("reason", "CREATED"),
                "content": content,
            }
        )
        return entry_id

    def searches(self) -> list[Any]:
        return [body for _, path, body in self.requests if path.endswith("/search")]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, message: str) -> None:
        self._answer(
            status,
            {"id": "e-1", "message": message, "code": code, "args": [], "traceId": "t-1"},
        )

    def do_POST(self) -> None:
        state = self.server.state
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with state.lock:
            if self.path == "/token":
                self._token(urllib.parse.parse_qs(raw.decode()))
                return
            body = json.loads(raw or b"{}")
            state.requests.append(("POST", self.path, body))
            if state.faults:
                status, headers, fault_body = state.faults.pop(0)
                self._answer(status, fault_body, headers)
                return
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in state.tokens:
                self._error(401, "UNAUTHORIZED", "invalid or expired token")
                return
            route = self.path.removeprefix("/api/v2/")
            handler = {
                "data-distribution/search": self._search,
                "agreement": self._agreement,
                "agreement/cancel": self._cancel_agreement,
                "connection-state/initiate": self._initiate,
                "connection-state/message": self._message,
            }.get(route)
            if handler is None:
                self._error(404, "NOT_FOUND", f"no such service {self.path}")
                return
            handler(body)

    def _token(self, form: dict[str, list[str]]) -> None:
        if (
            form.get("grant_type") != ["client_credentials"]
            or form.get("client_id") != [CLIENT_ID]
            or form.get("client_secret") != [CLIENT_SECRET]
        ):
            self._answer(401, {"error": "invalid_client", "error_description": "bad credentials"})
            return
        token = f"token-{next(self.server.state.ids)}"
        self.server.state.tokens.add(token)
        self._answer(200, {"access_token": token, "token_type": "Bearer", "expires_in": 300})

    def _search(self, body: dict[str, Any]) -> None:
        if self.server.state.delay_s:
            time.sleep(self.server.state.delay_s)
        kind = body.get("resourceType", "")
        start, end = _instant(body["periodStart"]), _instant(body["periodEnd"])
        if end - start > MAX_WINDOW.get(kind, dt.timedelta(days=1)) or end <= start:
            self._error(400, "INVALID_PERIOD", "the query period is longer than allowed")
            return
        found = [
            e
            for e in self.server.state.entries.get(kind, [])
            if start <= _instant(e["createdTime"]) < end
        ]
        size, number = int(body.get("size", 100)), int(body.get("page", 0))
        total_pages = max(1, -(-len(found) // size))
        self._answer(
            200,
            {
                "content": found[number * size : (number + 1) * size],
                "number": number,
                "size": size,
                "totalElements": len(found),
                "totalPages": total_pages,
                "last": number + 1 >= total_pages,
            },
        )

    def _agreement(self, body: dict[str, Any]) -> None:
        if not body.get("meterEic") or not body.get("validFrom"):
            self._error(400, "VALIDATION", "meterEic and validFrom are mandatory")
            return
        agreement_id = f"agr-{next(self.server.state.ids)}"
        self.server.state.agreements[agreement_id] = dict(body, state="ACTIVE")
        self._answer(201, {"agreementId": agreement_id})

    def _cancel_agreement(self, body: dict[str, Any]) -> None:
        agreement = self.server.state.agreements.get(body.get("agreementId", ""))
        if agreement is None:
            self._error(404, "AGREEMENT_NOT_FOUND", "no such agreement")
            return
        agreement["state"] = "CANCELLED"
        self._answer(200, {"agreementId": body["agreementId"], "state": "CANCELLED"})

    def _initiate(self, body: dict[str, Any]) -> None:
        if body.get("state") not in ("CONNECT", "DISCONNECT"):
            self._error(400, "VALIDATION", "state must be CONNECT or DISCONNECT")
            return
        request_id = f"cs-{next(self.server.state.ids)}"
        self.server.state.connection_requests[request_id] = dict(body)
        self._answer(201, {"requestId": request_id, "state": body["state"]})

    def _message(self, body: dict[str, Any]) -> None:
        request = self.server.state.connection_requests.get(body.get("requestId", ""))
        if request is None:
            self._error(404, "NOT_FOUND", "no such request")
            return
        request["state"] = body.get("state")
        self._answer(200, {"requestId": body["requestId"], "state": body.get("state")})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: HubState


class LocalHub:
    """Start with ``with LocalHub() as hub:``; ``hub.url`` is the base URL, ``hub.state`` the
    data it serves."""

    def __init__(self) -> None:
        self.state = HubState()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = self.state
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> LocalHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
