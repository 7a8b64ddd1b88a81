"""One WSGI app on one port: the control API, Storage Gateway, and moto for everything else.

Routing: ``/_emulator/…`` → the control API; ``X-Amz-Target: StorageGateway_20130630.*`` → our
model; an EC2 request → our EC2 layer (``ec2``), then moto; any other request → moto's own
server app. Fault injection and the request log wrap every AWS path alike.

Real behaviour reproduced: a request runs in the account and region it is signed for — the
region of the SigV4 credential scope, the account by moto's own rule (``MOTO_ACCOUNT_ID``, then
the ``x-moto-account-id`` header, then the IAM access key's account, else moto's default
account), so that Storage Gateway and moto's EC2 always agree on where a snapshot lives.
Client mistakes are answered in the service's own error shape, never as a 500; only our bugs
and moto's are (as ``InternalServerError``/``InternalError``), with the traceback logged.

Importing this module changes nothing in ``os.environ``: moto's
``MOTO_EC2_LOAD_DEFAULT_AMIS=false`` is set by whoever starts the serving process (``Emulator``
in the child's environment, the CLI in its own).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlencode
from xml.sax.saxutils import escape

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iam.models import get_account_id_from
from moto.moto_server.werkzeug_app import (
    UNSIGNED_ACTIONS,
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import Client

from . import validation
from .control import PREFIX, EmulatorState, handle_control
from .ec2 import Ec2Request
from .exceptions import ControlError, Ec2Error, InjectedError, InternalServerError
from .faults import Call, Fault
from .responses import TARGET_PREFIX, Answer, StorageGatewayResponse, error_answer
from .throttling import THROTTLED_CODE, THROTTLED_MESSAGE, THROTTLED_STATUS, throttled

logger = logging.getLogger(__name__)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_CREDENTIAL_SCOPE = re.compile(
    r"Credential=(?P<key>[^/,\s]+)/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/"
)
#: moto's default account: where requests signed with an access key IAM does not know land.
MOTO_DEFAULT_ACCOUNT_ID: str = DEFAULT_ACCOUNT_ID
#: How often the serving thread checks for stop(): the longest stop() waits.
SHUTDOWN_POLL_SECONDS = 0.1


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:  # a status fault injection made up
        return f"{status} Unknown"


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, read once and put back so moto can read it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body: bytes = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body) if body else {}
    except ValueError as error:
        raise ControlError(f"the body is not JSON: {error}") from error
    if not isinstance(payload, dict):
        raise ControlError("the body must be a JSON object")
    return payload


class AwsRequest:
    """What the emulator needs to know of an AWS request before it runs it."""

    def __init__(self, environ: dict[str, Any], body: bytes) -> None:
        self.environ = environ
        self.body = body
        scope = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        self.access_key = scope["key"] if scope else ""
        self.region = scope["region"] if scope else "us-east-1"
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(TARGET_PREFIX):
            self.service, self.operation = "storagegateway", target[len(TARGET_PREFIX) :]
            return
        self.service = scope["service"] if scope else self._unsigned_service()
        self.operation = (
            target.rpartition(".")[2]
            or self._query_action()
            or (f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '/')}")
        )

    @property
    def is_storage_gateway(self) -> bool:
        return self.service == "storagegateway"

    def _unsigned_service(self) -> str:
        """moto's rule for a request without a signature: the service of the few actions AWS
        serves unsigned (STS's AssumeRoleWithWebIdentity, AssumeRoleWithSAML), else EC2."""
        action = self._query_action()
        return UNSIGNED_ACTIONS[action][0] if action in UNSIGNED_ACTIONS else "ec2"

    def _query_action(self) -> str | None:
        """The ``Action`` of a query-protocol request (EC2): in the form body or the URL."""
        for source in (self.body.decode("utf-8", "replace"), self.environ.get("QUERY_STRING", "")):
            actions = parse_qs(source).get("Action")
            if actions:
                return str(actions[0])
        return None

    @property
    def account_id(self) -> str:
        """The account moto serves this request in (``BaseResponse.get_current_account``)."""
        explicit = os.environ.get("MOTO_ACCOUNT_ID") or self.environ.get("HTTP_X_MOTO_ACCOUNT_ID")
        if explicit:
            return explicit
        return str(get_account_id_from(self.access_key))


def ec2_error_answer(code: str, message: str, status: int) -> Answer:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Errors><Error><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error></Errors>"
        f"<RequestID>{uuid.uuid4()}</RequestID></Response>"
    )
    return Answer(status, [("Content-Type", "text/xml")], body.encode())


def _ec2_params(request: AwsRequest) -> dict[str, str]:
    return Ec2Request(request.body, request.environ.get("QUERY_STRING", ""), "", "").params


def fault_answer(request: AwsRequest, fault: Fault) -> Answer:
    if request.is_storage_gateway:
        return error_answer(InjectedError(fault.code, fault.error_message, fault.status))
    return ec2_error_answer(fault.code, fault.error_message, fault.status)


class EmulatorApp:
    """The WSGI application of the emulator."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.moto = DomainDispatcherApplication(create_backend_app)

    def warm_up(self) -> None:
        """Serve one EC2 DescribeSnapshots to moto now, unlogged, and load botocore's models:
        building moto's EC2 app, backend and serializer takes ~0.5 s, which would otherwise
        land on the first client request and trip clients with short read timeouts."""
        validation.warm_up()
        scope = f"{MOTO_DEFAULT_ACCOUNT_ID}/20240101/us-east-1/ec2/aws4_request"
        with self.state.lock:
            Client(self.moto).post(
                "/",
                data="Action=DescribeSnapshots&Version=2016-11-15&Owner.1=self",
                headers={
                    "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, Signature=warm-up",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        body = _read_body(environ)
        path = environ.get("PATH_INFO", "")
        if path.startswith(PREFIX):
            answer = self._control(environ, path[len(PREFIX) :], body)
        elif path.startswith("/moto-api"):
            with self.state.lock:
                answer = self._run_moto(environ)
        else:
            answer = self._aws(environ, AwsRequest(environ, body))
        headers = [(k, v) for k, v in answer.headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(answer.body))))
        start_response(_status_line(answer.status), headers)
        return [answer.body]

    def _control(self, environ: dict[str, Any], route: str, body: bytes) -> Answer:
        try:
            payload = _json_object(body)
            with self.state.lock:
                result = handle_control(self.state, environ["REQUEST_METHOD"], route, payload)
            status = 200
        except ControlError as error:
            result, status = {"message": error.message}, error.status
        headers = [("Content-Type", "application/json")]
        return Answer(status, headers, json.dumps(result).encode())

    def _aws(self, environ: dict[str, Any], request: AwsRequest) -> Answer:
        with self.state.lock:
            fault = self.state.faults.take(request.operation)
        if fault is not None and fault.mode == "delay":
            time.sleep(fault.delay_seconds)  # outside the lock: other requests go on
        if fault is not None and fault.mode == "reject":
            answer = fault_answer(request, fault)
        else:
            with self.state.lock:
                refused = self.state.iam.answer_if_refused(
                    request.service,
                    request.operation,
                    request.access_key,
                    (request.account_id, request.region),
                    (request.body, environ.get("QUERY_STRING", "")),
                )
                answer = refused or self._execute(environ, request)
            if fault is not None and fault.mode == "after":
                answer = fault_answer(request, fault)
        dropped = fault is not None and fault.mode == "drop"
        with self.state.lock:
            self.state.calls.append(
                Call(
                    request.service,
                    request.operation,
                    0 if dropped else answer.status,
                    request.account_id,
                    request.region,
                )
            )
        if dropped:
            self._drop_connection(environ)
        return answer

    def _execute(self, environ: dict[str, Any], request: AwsRequest) -> Answer:
        buckets = self.state.throttling if request.service == "ec2" else None
        if buckets is not None and throttled(
            buckets, request.account_id, request.region, _ec2_params(request)
        ):
            return ec2_error_answer(THROTTLED_CODE, THROTTLED_MESSAGE, THROTTLED_STATUS)
        if request.is_storage_gateway:
            response = StorageGatewayResponse(self.state.model, request.account_id, request.region)
            try:
                return response.dispatch(request.operation, request.body)
            except Exception as error:  # a bug of ours: answer it as AWS would, never as HTML
                logger.error(
                    "Storage Gateway %s failed:\n%s", request.operation, traceback.format_exc()
                )
                return error_answer(InternalServerError(f"{type(error).__name__}: {error}"))
        try:
            if request.service == "ec2":
                return self._ec2(environ, request)
            if request.service == "rbin":  # moto has no Recycle Bin: emulator/rbin.py
                return self.state.rbin.answer(
                    environ.get("REQUEST_METHOD", "GET"),
                    environ.get("PATH_INFO", "/"),
                    environ.get("QUERY_STRING", ""),
                    request.body,
                    request.account_id,
                    request.region,
                )
            return self._run_moto(environ)
        except Ec2Error as error:
            return ec2_error_answer(error.code, error.message, error.status)
        except Exception as error:  # a bug (ours or moto's): keep the client on the XML path
            logger.error("EC2 %s failed:\n%s", request.operation, traceback.format_exc())
            return ec2_error_answer("InternalError", f"{type(error).__name__}: {error}", 500)

    def _ec2(self, environ: dict[str, Any], request: AwsRequest) -> Answer:
        ec2_request = Ec2Request(
            request.body,
            environ.get("QUERY_STRING", ""),
            request.account_id,
            request.region,
        )

        def run_moto(params: dict[str, str] | None) -> Answer:
            if params is not None:
                body = urlencode(params).encode()
                environ.update(
                    {
                        "wsgi.input": io.BytesIO(body),
                        "CONTENT_LENGTH": str(len(body)),
                        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
                        "QUERY_STRING": "",
                        "REQUEST_METHOD": "POST",
                    }
                )
            return self._run_moto(environ)

        return self.state.ec2.answer(ec2_request, run_moto)

    def _run_moto(self, environ: dict[str, Any]) -> Answer:
        captured: dict[str, Any] = {}

        def capture(
            status: str, headers: list[tuple[str, str]], *_: Any
        ) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = int(status.split()[0]), headers
            return lambda _data: None

        chunks = self.moto(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return Answer(captured["status"], captured["headers"], body)

    @staticmethod
    def _drop_connection(environ: dict[str, Any]) -> None:
        """Close the client's connection with no answer. Raising a ConnectionError makes
        werkzeug treat it as a connection the client dropped: no traceback, no 500."""
        client = environ.get("werkzeug.socket")
        if client is not None:
            with contextlib.suppress(OSError):  # already gone: that is the point
                client.shutdown(socket.SHUT_RDWR)
        raise ConnectionAbortedError("fault injection dropped the connection")


class QuietRequestHandler(MotoRequestHandler):  # type: ignore[misc]
    """moto's request handler without a log line per request."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class EmulatorServer:
    """The threaded werkzeug server, serving on a background thread."""

    def __init__(self, host: str, port: int, state: EmulatorState) -> None:
        self.state = state
        app = EmulatorApp(state)
        app.warm_up()
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=QuietRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="sg-emulator",
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.server_port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
