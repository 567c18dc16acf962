"""Notifications: log file always, JSON webhook when configured, never a crash, never a secret in a log."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    DagsterInstance,
    Definitions,
    asset,
    asset_check,
    build_run_status_sensor_context,
    define_asset_job,
    in_process_executor,
)

from orchestration.sensors import notify_on_run_failure
from tests.homes import settings
from wijkbeeld.notify import NOTIFIED_TAG, PUBLICATION_BLOCKED, RUN_FAILURE, build, notify, redact_url

TOKEN = "s3cr3t-T0KEN-4711"


class _Hook:
    """A webhook receiver on 127.0.0.1 that records bodies and answers with ``status``."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.status = 200
        self.hang = threading.Event()
        self.release = threading.Event()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.bodies.append({"path": self.path, "type": self.headers["Content-Type"], **json.loads(body)})
                if hook.hang.is_set():
                    hook.release.wait(5)  # answer only after the client gave up
                self.send_response(hook.status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = f"/hooks/{TOKEN}?token={TOKEN}") -> str:
        host, port = self.server.server_address
        return f"http://user:{TOKEN}@{host}:{port}{path}"


@pytest.fixture
def hook() -> Iterator[_Hook]:
    receiver = _Hook()
    yield receiver
    receiver.release.set()
    receiver.server.shutdown()
    receiver.server.server_close()


def _log(home: Path) -> list[dict]:
    return [json.loads(line) for line in (home / "logs" / "notifications.log").read_text().splitlines()]


def test_blocked_publication_is_logged_and_posted(home: Path, hook: _Hook, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIJKBEELD_WEBHOOK_URL", hook.url())
    sent = notify(
        build(failed_checks=["fct_indicator_waarde: quality_gate"], failed_steps=["fct_indicator_waarde"], run_id="r1"),
        settings(),
    )

    assert sent.event == PUBLICATION_BLOCKED
    (body,) = hook.bodies
    assert body["event"] == PUBLICATION_BLOCKED and body["run_id"] == "r1"
    assert body["type"] == "application/json"
    assert "fct_indicator_waarde: quality_gate" in body["text"] and "keep the current release" in body["text"]
    assert body["failed_checks"] == ["fct_indicator_waarde: quality_gate"]
    notification, delivery = _log(home)
    assert notification["kind"] == "notification" and notification["event"] == PUBLICATION_BLOCKED
    assert delivery["kind"] == "webhook" and delivery["status"] == 200
    log_text = (home / "logs" / "notifications.log").read_text()
    assert TOKEN not in log_text and "user:" not in log_text
    assert (home / "logs" / "notifications.log").stat().st_mode & 0o077 == 0


def test_without_webhook_only_the_log_is_written(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WIJKBEELD_WEBHOOK_URL", raising=False)
    notify(
        build(failed_checks=[], failed_steps=["publicatie"], errors=["publicatie: disk full\ntraceback..."]), settings()
    )

    (line,) = _log(home)
    assert line["event"] == RUN_FAILURE
    assert "publicatie" in line["text"] and "disk full" in line["text"] and "traceback" not in line["text"]


@pytest.mark.parametrize("failure", ["status_500", "refused", "timeout", "bad_scheme"])
def test_a_failing_webhook_is_logged_and_never_raises(
    home: Path, hook: _Hook, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    url = hook.url()
    if failure == "status_500":
        hook.status = 500
    elif failure == "refused":
        hook.server.server_close()  # nothing listens on that port any more
        hook.server.shutdown()
    elif failure == "timeout":
        hook.hang.set()
        monkeypatch.setenv("WIJKBEELD_WEBHOOK_TIMEOUT", "1")
    else:
        url = f"file:///etc/passwd?token={TOKEN}"
    monkeypatch.setenv("WIJKBEELD_WEBHOOK_URL", url)

    notify(build(failed_checks=[], failed_steps=["raw_politie__misdrijven"]), settings())

    notification, failed = _log(home)
    assert notification["kind"] == "notification"
    assert failed["kind"] == "webhook_failed" and failed["error"]
    assert TOKEN not in (home / "logs" / "notifications.log").read_text()


def test_a_redirect_is_not_followed_with_the_credentials(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 302 sent the basic-auth header to another host, dropped the body, and the log said status 200."""
    other = _Hook()
    try:
        host, port = other.server.server_address

        class Redirect(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.send_response(302)
                self.send_header("Location", f"http://{host}:{port}/elsewhere")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        redirector = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
        threading.Thread(target=redirector.serve_forever, daemon=True).start()
        monkeypatch.setenv("WIJKBEELD_WEBHOOK_URL", f"http://user:{TOKEN}@127.0.0.1:{redirector.server_address[1]}/h")

        notify(build(failed_checks=[], failed_steps=["x"]), settings())

        redirector.shutdown()
        redirector.server_close()
    finally:
        other.server.shutdown()
        other.server.server_close()
    assert other.bodies == []
    failed = _log(home)[-1]
    assert failed["kind"] == "webhook_failed" and "302" in failed["error"] and "not followed" in failed["error"]


def test_a_trickling_server_cannot_hold_the_notification_past_its_deadline(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One byte every 0.3 s kept every socket read under the per-read timeout; the deadline is for the call."""
    import socket
    import time

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":  # done after ~12 s
                if stop.is_set():
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.3)

    server = threading.Thread(target=trickle, daemon=True)
    server.start()
    monkeypatch.setenv("WIJKBEELD_WEBHOOK_TIMEOUT", "1")
    monkeypatch.setenv("WIJKBEELD_WEBHOOK_URL", f"http://127.0.0.1:{listener.getsockname()[1]}/hook")

    notify(build(failed_checks=[], failed_steps=["x"]), settings())

    stop.set()
    server.join(5)
    listener.close()
    failed = _log(home)[-1]
    assert failed["kind"] == "webhook_failed" and failed["error"] == "no complete answer within 1 s"


@pytest.mark.parametrize("url", [f"http://127.0.0.1:9/hooks/{TOKEN} x", f"http://127.0.0.1:99999/{TOKEN}"])
def test_an_invalid_url_never_writes_its_token(home: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("WIJKBEELD_WEBHOOK_URL", url)

    notify(build(failed_checks=[], failed_steps=["x"]), settings())

    assert _log(home)[-1]["kind"] == "webhook_failed"
    assert TOKEN not in (home / "logs" / "notifications.log").read_text()


def test_redact_url_keeps_only_scheme_and_host() -> None:
    assert redact_url(f"https://u:{TOKEN}@hooks.example.org:8443/services/{TOKEN}?k={TOKEN}") == (
        "https://hooks.example.org:8443/..."
    )


# ----------------------------------------------------------------------------------- the Dagster sensor


@asset
def broken_asset() -> None:
    raise RuntimeError("source file unreadable")


@asset
def mart_like() -> None:
    return None


@asset_check(asset=mart_like, blocking=True)
def gate() -> AssetCheckResult:
    return AssetCheckResult(passed=False, severity=AssetCheckSeverity.ERROR, description="too many rows")


def _failed_run_context(instance: DagsterInstance, selection: list[str], tags: dict | None = None):
    defs = Definitions(
        assets=[broken_asset, mart_like],
        asset_checks=[gate],
        jobs=[define_asset_job("probe", selection=selection, executor_def=in_process_executor)],
    )
    result = defs.resolve_job_def("probe").execute_in_process(instance=instance, raise_on_error=False, tags=tags)
    assert not result.success
    return build_run_status_sensor_context(
        sensor_name="notify_on_run_failure",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure()


def test_run_failure_sensor_notifies_failures_and_blocked_gates(home: Path, hook: _Hook, monkeypatch) -> None:
    monkeypatch.setenv("WIJKBEELD_WEBHOOK_URL", hook.url("/hook"))
    with DagsterInstance.ephemeral() as instance:
        notify_on_run_failure(_failed_run_context(instance, ["broken_asset"]))
        notify_on_run_failure(_failed_run_context(instance, ["mart_like"]))
        # a run of `wijkbeeld refresh` already notified in-process: the sensor stays quiet
        notify_on_run_failure(_failed_run_context(instance, ["broken_asset"], tags={NOTIFIED_TAG: "test"}))

    failure, blocked = hook.bodies
    assert failure["event"] == RUN_FAILURE and failure["job"] == "probe"
    assert failure["failed_steps"] == ["broken_asset"] and "source file unreadable" in failure["text"]
    assert blocked["event"] == PUBLICATION_BLOCKED and blocked["failed_checks"] == ["mart_like: gate"]
    assert [e["event"] for e in _log(home) if e["kind"] == "notification"] == [RUN_FAILURE, PUBLICATION_BLOCKED]


def test_refresh_that_cannot_start_notifies(home: Path, hook: _Hook, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.refresh import run_refresh
    from wijkbeeld.housekeeping import RefreshError

    monkeypatch.setenv("WIJKBEELD_WEBHOOK_URL", hook.url("/hook"))
    monkeypatch.setenv("WIJKBEELD_MIN_FREE_MB", str(10**9))  # more than any disk: the preflight refuses

    with pytest.raises(RefreshError, match="not enough free disk space"):
        run_refresh()

    (body,) = hook.bodies
    assert body["event"] == RUN_FAILURE and "not enough free disk space" in body["text"]
    assert settings().home == home


# ------------------------------------------------------------------ what the Dagster UI offers an operator


def test_operations_in_the_definitions() -> None:

    from orchestration.definitions import defs

    repo = defs.get_repository_def()
    assert {s.name for s in repo.sensor_defs} >= {"landing_sensor", "notify_on_run_failure"}
    politie = defs.resolve_job_def("refresh_politie")
    keys = {k.to_user_string() for k in politie.asset_layer.executable_asset_keys}
    assert {"raw_politie__misdrijven", "raw_politie__incidenten", "publicatie", "dbt_docs"} <= keys
    assert not any(k.startswith(("raw_gemeente__", "raw_cbs__")) for k in keys)  # other partners stay as loaded
    full = defs.resolve_job_def("nightly_refresh")
    assert keys < {k.to_user_string() for k in full.asset_layer.executable_asset_keys}


def test_error_text_names_the_root_cause_an_operator_can_act_on() -> None:
    from dagster._utils.error import SerializableErrorInfo

    from wijkbeeld.notify import error_text

    def info(cls: str, message: str, cause=None, context=None) -> SerializableErrorInfo:
        return SerializableErrorInfo(f"{cls}: {message}\n", [], cls, cause, context)

    full = info("IOException", 'Could not write file "wh.duckdb.wal": No space left on device')
    masked = info("TransactionException", "cannot rollback - no transaction is active", context=full)
    wrapped = info("DagsterExecutionStepExecutionError", 'Error occurred while executing op "x"', cause=masked)
    assert error_text(wrapped) == 'IOException: Could not write file "wh.duckdb.wal": No space left on device'
    plain = info("DagsterExecutionStepExecutionError", "op failed", cause=info("PublishError", "Missing mart.x"))
    assert error_text(plain) == "PublishError: Missing mart.x"
