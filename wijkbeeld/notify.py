"""Notifications for whoever runs the platform: a failed run or a blocked publication.

Every notification is appended as one JSON line to ``<data home>/logs/notifications.log`` (mode 0600).
When ``WIJKBEELD_WEBHOOK_URL`` is set it is also POSTed there as JSON (stdlib ``http.client``, a total deadline
of ``WIJKBEELD_WEBHOOK_TIMEOUT`` seconds, default 5; redirects are never followed). The payload has a ``text``
field, so Slack/Mattermost/Teams style incoming webhooks show it as is. A webhook that fails or times out is
logged in the same file and never raises: a notification must not turn a finished run into a crashed one. The
URL is never logged (webhook URLs carry their token in the path or query), nor an error text that might quote
it; log lines name only its scheme and host.

Both the Dagster run-failure sensor (runs launched by the daemon or the UI) and ``wijkbeeld refresh``
(in-process, no daemon) call :func:`notify`; the refresh tags its runs with :data:`NOTIFIED_TAG` so the
sensor does not notify a second time.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import os
import re
import socket
import threading
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from wijkbeeld.settings import PRIVATE_FILE_MODE, Settings

LOG = logging.getLogger("wijkbeeld.notify")
LOG_NAME = "notifications.log"
NOTIFIED_TAG = "wijkbeeld/notified_by"  # set on runs whose outcome is already notified in-process

RUN_FAILURE = "run_failure"
PUBLICATION_BLOCKED = "publication_blocked"


@dataclass
class Notification:
    """One notification as written to the log and POSTed to the webhook."""

    event: str
    text: str
    run_id: str | None = None
    job: str | None = None
    failed_checks: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    data_home: str = ""
    at: str = ""

    def payload(self) -> dict:
        return {
            "source": "wijkbeeld",
            "event": self.event,
            "text": self.text,
            "run_id": self.run_id,
            "job": self.job,
            "failed_checks": self.failed_checks,
            "failed_steps": self.failed_steps,
            "errors": self.errors,
            "data_home": self.data_home,
            "at": self.at,
        }


def build(
    *,
    failed_checks: list[str],
    failed_steps: list[str],
    errors: list[str] | None = None,
    run_id: str | None = None,
    job: str | None = None,
) -> Notification:
    """Classify a run that did not publish: failed blocking checks make it a blocked publication."""
    errors = [_short(e) for e in (errors or [])]
    if failed_checks:
        event = PUBLICATION_BLOCKED
        text = (
            f"wijkbeeld: publication blocked by the quality gate ({len(failed_checks)} failed check(s): "
            f"{'; '.join(failed_checks)}). Nothing new was published; BI users keep the current release."
        )
    else:
        event = RUN_FAILURE
        steps = ", ".join(failed_steps) or "unknown step"
        text = f"wijkbeeld: run failed in {steps}. Nothing new was published; BI users keep the current release."
        if errors:
            text += f" Error: {errors[0]}"
    return Notification(
        event=event,
        text=text,
        run_id=run_id,
        job=job,
        failed_checks=failed_checks,
        failed_steps=failed_steps,
        errors=errors,
    )


def notify(notification: Notification, s: Settings) -> Notification:
    """Log the notification and, when configured, POST it to the webhook. Never raises."""
    notification.data_home = str(s.home)
    notification.at = datetime.now(UTC).isoformat(timespec="seconds")
    _append(s, {"kind": "notification", **notification.payload()})
    LOG.warning(notification.text)
    if s.webhook_url:
        _post(s, notification)
    return notification


def redact_url(url: str) -> str:
    """Scheme and host (and port) only: no credentials, path or query, which may hold a token."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid webhook URL>"
    return f"{parts.scheme or '?'}://{host}{port}/..."


class WebhookError(Exception):
    """A webhook call that did not succeed; the message is safe to log (no URL, no token)."""


def _post(s: Settings, notification: Notification) -> None:
    url = s.webhook_url or ""
    target = redact_url(url)
    body = json.dumps(notification.payload()).encode("utf-8")
    try:
        status = _send(url, body, s.webhook_timeout)
        _append(s, {"kind": "webhook", "event": notification.event, "target": target, "status": status})
    except Exception as exc:  # whatever goes wrong, the run outcome must not change
        _append(
            s,
            {"kind": "webhook_failed", "event": notification.event, "target": target, "error": _failure_text(exc)},
        )
        LOG.warning("Webhook %s failed (%s); the notification is in %s", target, type(exc).__name__, _log_path(s))


def _send(url: str, body: bytes, deadline: float) -> int:
    """POST ``body`` and return the HTTP status; :class:`WebhookError` unless it is 2xx.

    ``deadline`` bounds the whole call, not each socket read (a server trickling a byte every few seconds
    held the old per-read timeout for minutes): the exchange runs in a thread, and when the deadline passes
    its socket is shut down. Redirects are never followed (http.client does not): a 3xx is a failure, so the
    basic-auth header and the body never go to another host.
    """
    address, headers = _address_and_auth(url)
    parts = urlsplit(address)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname or "", parts.port, timeout=deadline)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    outcome: dict[str, Any] = {}

    def exchange() -> None:
        try:
            connection.request("POST", path, body=body, headers=headers)
            outcome["status"] = connection.getresponse().status
        except BaseException as exc:  # handed to the caller
            outcome["error"] = exc

    worker = threading.Thread(target=exchange, name="wijkbeeld-webhook", daemon=True)
    worker.start()
    worker.join(deadline)
    if worker.is_alive():
        with suppress(OSError):
            if connection.sock is not None:
                connection.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked read in the worker
        connection.close()
        worker.join(1)
        raise WebhookError(f"no complete answer within {deadline:g} s")
    connection.close()
    if "error" in outcome:
        raise outcome["error"]
    status = int(outcome["status"])
    if 300 <= status < 400:
        raise WebhookError(f"HTTP {status}: redirects are not followed")
    if status >= 400:
        raise WebhookError(f"HTTP {status}")
    return status


def _failure_text(exc: BaseException) -> str:
    """Why a webhook call failed, without the URL: only our own messages and the operating system's text are
    kept (http.client's InvalidURL, for one, quotes the path with its token)."""
    if isinstance(exc, WebhookError):
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"[:300]
    return type(exc).__name__


def _address_and_auth(url: str) -> tuple[str, dict[str, str]]:
    """The URL without ``user:password@`` (sent as HTTP basic auth instead, as curl does) and the headers."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number or out of range
    except ValueError as exc:
        raise WebhookError("WIJKBEELD_WEBHOOK_URL is not a valid URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError("WIJKBEELD_WEBHOOK_URL must be an http:// or https:// URL")
    headers = {"Content-Type": "application/json", "User-Agent": "wijkbeeld"}
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
        netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        netloc += f":{parts.port}" if parts.port else ""
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts), headers


def _append(s: Settings, record: dict) -> None:
    """One JSON line, appended with O_APPEND (atomic for short lines) to a file only the owner can read."""
    record = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **record}
    try:
        s.logs.mkdir(parents=True, exist_ok=True)
        fd = os.open(_log_path(s), os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    except OSError as exc:  # e.g. a full disk: say so on the console, do not crash the caller
        LOG.error("Cannot write %s: %s; notification: %s", _log_path(s), exc, record.get("text", record))


def _log_path(s: Settings) -> Path:
    return s.logs / LOG_NAME


_ACTIONABLE = re.compile(r"No space left|Disk quota|Permission denied|Read-only file system", re.I)


def error_text(error) -> str:
    """The message of a Dagster step failure's own exception, below Dagster's wrapper errors.

    When anything in the chain (causes and exceptions being handled) is a full disk or a permission problem,
    that is what the operator needs to read, so it wins over a follow-up error that masked it.
    """
    chain, todo = [], [error]
    while todo:
        current = todo.pop(0)
        if current is None or current in chain:
            continue
        chain.append(current)
        todo += [getattr(current, "cause", None), getattr(current, "context", None)]
    own = [e for e in chain if not (e.cls_name or "").startswith("Dagster")] or chain
    chosen = next((e for e in chain if _ACTIONABLE.search(e.message or "")), own[0])
    message = (chosen.message or "").strip()
    return f"{chosen.cls_name}: {message.split(': ', 1)[-1]}" if chosen.cls_name else message


def _short(text: str) -> str:
    """First line of an error, bounded: notifications are read on a phone at night."""
    first = next((line.strip() for line in str(text).splitlines() if line.strip()), "")
    return first[:300]
