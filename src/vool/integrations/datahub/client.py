"""A client for the data hub's (Estfeed Datahub) REST API. No Django: configured by a
:class:`HubConfig` the caller builds from settings.

* Authentication: OAuth2 client credentials (``grant_type=client_credentials`` posted to the
  hub's token URL); the access token is reused until shortly before it expires, and fetched
  again once when the hub answers 401.
* Retries: a connection error, a timeout or a 5xx answer is retried with exponential back-off
  (``backoff_s * 2**attempt``, at most ``max_backoff_s``) up to ``max_retries`` times; a 429
  (rate limit) waits what its ``Retry-After`` says (seconds or an HTTP date; the back-off when
  absent) and does not count against the retries up to ``max_rate_limited`` waits.
* Other 4xx answers are not retried: :class:`HubRefused` carries the hub's error code and
  message (the hub's error body ``{id, message, code, args, traceId}``).
* Numbers never pass through ``float``: a search answer is given as the hub's bytes
  (:func:`vool.integrations.datahub.resources.parse_page` reads them exactly and keeps each
  entry's content text), the other answers are read with every fraction a ``Decimal``.

The endpoints follow the hub's documentation (``eng/30-data-distribution.md``,
``eng/21-connection-to-and-disconnecting-from-the-grid.md``, ``eng/06.4-open-supplier-change-
process.md``); the request bodies are written from their prose, the field names of the
documented examples (``meterEic``, ``agreementType``, ``validFrom``...).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Protocol

import httpx

__all__ = [
    "HttpHub",
    "HubApi",
    "HubConfig",
    "HubRefused",
    "HubUnavailable",
    "format_instant",
]

RESOURCE_TYPES: Final = (
    "METERING_POINT",
    "METERING_DATA",
    "NETWORK_BILL",
    "CUSTOMER",
    "AGREEMENT",
    "PERMISSION",
    "CONNECTION_STATE",
)


@dataclass(frozen=True)
class HubConfig:
    base_url: str
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    api_version: str = "v1"
    timeout_s: float = 30.0
    max_retries: int = 4
    backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    max_rate_limited: int = 20
    page_size: int = 100


class HubUnavailable(Exception):
    """The hub could not be reached or kept failing after the retries; try again later."""


class HubRefused(Exception):
    """The hub refused the request (a 4xx other than 429): ``status``, the hub's ``code`` and
    ``message``."""

    def __init__(self, *, status: int, code: str, message: str, path: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.path = path
        super().__init__(f"{path}: the hub answered {status} {code}: {message}")


class HubApi(Protocol):
    """What the use cases need from the hub."""

    def search(
        self, *, resource_type: str, start: dt.datetime, end: dt.datetime, page: int
    ) -> bytes:
        """The page as the hub sent it (read it with ``resources.parse_page``)."""
        ...

    def submit_agreement(self, agreement: dict[str, Any]) -> dict[str, Any]: ...

    def cancel_agreement(self, agreement_id: str) -> dict[str, Any]: ...

    def initiate_connection_state(self, request: dict[str, Any]) -> dict[str, Any]: ...

    def cancel_connection_state(self, request_id: str) -> dict[str, Any]: ...


def format_instant(value: dt.datetime) -> str:
    """An aware instant as the hub writes it: UTC with milliseconds and ``Z``."""
    if value.tzinfo is None:
        raise ValueError(f"{value} has no time zone")
    utc = value.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def retry_after_s(header: str | None, *, now: dt.datetime, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not header:
        return default
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def _exact(content: bytes) -> Any:
    """A JSON answer with every fraction a Decimal, never a float."""
    return json.loads(content, parse_float=Decimal)


def _error_of(response: httpx.Response) -> tuple[str, str]:
    try:
        body = _exact(response.content)
    except ValueError:
        return "", response.text[:200]
    if isinstance(body, dict):
        return str(body.get("code") or body.get("error") or ""), str(
            body.get("message") or body.get("error_description") or ""
        )[:500]
    return "", str(body)[:200]


class HttpHub:
    """:class:`HubApi` over HTTPS with httpx. ``sleep`` and ``clock`` are injectable so tests
    can count waits instead of waiting."""

    def __init__(
        self,
        config: HubConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.config = config
        self._http = httpx.Client(timeout=config.timeout_s, transport=transport)
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._token: str | None = None
        self._token_expires = 0.0
        self.waits: list[float] = []  # every back-off and rate-limit wait, in seconds

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HttpHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the API -----------------------------------------------------------------------
    def search(
        self, *, resource_type: str, start: dt.datetime, end: dt.datetime, page: int
    ) -> bytes:
        body = {
            "resourceType": resource_type,
            "periodStart": format_instant(start),
            "periodEnd": format_instant(end),
            "page": page,
            "size": self.config.page_size,
        }
        return self._answer("POST", "data-distribution/search", body).content

    def submit_agreement(self, agreement: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "agreement", agreement)

    def cancel_agreement(self, agreement_id: str) -> dict[str, Any]:
        return self._call("POST", "agreement/cancel", {"agreementId": agreement_id})

    def initiate_connection_state(self, request: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "connection-state/initiate", request)

    def cancel_connection_state(self, request_id: str) -> dict[str, Any]:
        return self._call(
            "POST", "connection-state/message", {"requestId": request_id, "state": "CANCELLED"}
        )

    # --- transport -----------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.config.base_url.rstrip('/')}/api/{self.config.api_version}/{path}"

    def _access_token(self, *, renew: bool = False) -> str:
        if self._token and not renew and self._clock() < self._token_expires:
            return self._token
        response = self._send(
            "POST",
            self.config.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.config.client_id,
                "client_secret": self.config.client_secret,
            },
        )
        if response.status_code != 200:
            code, message = _error_of(response)
            raise HubRefused(
                status=response.status_code, code=code or "TOKEN", message=message, path="token"
            )
        body = _exact(response.content)
        self._token = str(body["access_token"])
        # renew a little before the hub would refuse it
        self._token_expires = self._clock() + max(0.0, float(body.get("expires_in", 60)) - 30)
        return self._token

    def _call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._answer(method, path, body)
        if not response.content:
            return {}
        result = _exact(response.content)
        return result if isinstance(result, dict) else {"content": result}

    def _answer(self, method: str, path: str, body: dict[str, Any]) -> httpx.Response:
        """The hub's successful answer; the token renewed once on a 401."""
        renewed = False
        while True:
            headers = {"Authorization": f"Bearer {self._access_token()}"}
            response = self._send(method, self._url(path), json=body, headers=headers)
            if response.status_code == 401 and not renewed:
                self._access_token(renew=True)
                renewed = True
                continue
            if response.status_code >= 400:
                code, message = _error_of(response)
                raise HubRefused(status=response.status_code, code=code, message=message, path=path)
            return response

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request, retried on connection errors, timeouts and 5xx with back-off, and
        waiting out 429 answers as their ``Retry-After`` says."""
        failures = 0
        rate_limited = 0
        while True:
            try:
                response = self._http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                failures += 1
                if failures > self.config.max_retries:
                    raise HubUnavailable(f"{url}: {exc!r} after {failures} attempts") from exc
                self._wait(self._backoff(failures))
                continue
            if response.status_code == 429:
                rate_limited += 1
                if rate_limited > self.config.max_rate_limited:
                    raise HubUnavailable(f"{url}: still rate-limited after {rate_limited} waits")
                self._wait(
                    min(
                        retry_after_s(
                            response.headers.get("Retry-After"),
                            now=self._wall_clock(),
                            default=self._backoff(rate_limited),
                        ),
                        self.config.max_backoff_s,
                    )
                )
                continue
            if response.status_code >= 500:
                failures += 1
                if failures > self.config.max_retries:
                    code, message = _error_of(response)
                    raise HubUnavailable(
                        f"{url}: {response.status_code} {code} {message} after {failures} attempts"
                    )
                self._wait(self._backoff(failures))
                continue
            return response

    def _backoff(self, attempt: int) -> float:
        return float(min(self.config.backoff_s * 2 ** (attempt - 1), self.config.max_backoff_s))

    def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self._sleep(seconds)
