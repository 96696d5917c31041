"""Log every ccxt call as one line of keywarden's recommended audit schema.

    import ccxt, keywarden_audit

    exchange = keywarden_audit.wrap(ccxt.binance({"apiKey": ..., "secret": ...}),
                                    "api_audit.log")
    order = exchange.create_order("BTC/USDT", "limit", "buy", 0.001, 50000)

Each unified call that reached the exchange (create_order, fetch_balance,
cancel_order, ...) writes one JSON object to the log: ts, level, event (the
method name), exchange, method, endpoint (the path of the call's last
request, never its query), status, code, msg, duration_ms, and for order
methods order_id, client_order_id and symbol from ccxt's unified order dict.
A failed call takes code and msg from the exchange's JSON that ccxt puts in
the exception's message, and names ccxt's exception class in "error".

Arguments, request headers, request and response bodies and the exchange's
config are never read into a line: they are where keys and signatures are.
As a last guard every credential the exchange object holds (apiKey, secret,
password, ...) is replaced by [REDACTED] should it turn up in a message.

ccxt.async_support exchanges work the same way (await the wrapped methods).
The module needs only the standard library; ccxt itself is not imported.
keywarden reads the log with `keywarden log` and matches the exchange's order
history against it (`keywarden activity`): docs/auditlog.md in keywarden.
"""

import contextvars
import functools
import inspect
import json
import logging
import logging.handlers
import os
import re
import threading
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

__all__ = ["wrap", "AuditLog"]

# The credential attributes of a ccxt exchange (its requiredCredentials).
CREDENTIALS = ("apiKey", "secret", "password", "uid", "login", "privateKey",
               "walletAddress", "token", "twofa")

# Order methods whose answer is one unified order dict, by name with case and
# underscores removed: create_order, create_limit_buy_order, createOrder,
# cancel_order, fetch_order, edit_order.
_ORDER_NAME = re.compile(r"^(create\w*order|cancelorder|fetchorder|editorder)$")

# A URL's query (where signatures and, on some exchanges, the key travel).
_QUERY = re.compile(r"(\bhttps?://[^\s?#\"']*)[?#][^\s\"']*")

# Error code and message keys of the exchanges' JSON error bodies.
_CODE_KEYS = ("code", "retCode", "error_code", "errorCode", "err_code")
_MSG_KEYS = ("msg", "retMsg", "message", "error_description", "errorMessage", "error")

# The request of the call in progress in this thread or asyncio task.
_current = contextvars.ContextVar("keywarden_audit_request", default=None)


class _Request:
    """What the call's last HTTP request was: method, path and status."""

    __slots__ = ("method", "endpoint", "status")

    def __init__(self):
        self.method = self.endpoint = None
        self.status = None


class AuditLog:
    """A JSON-lines audit log: a file (reopened after logrotate moves it,
    created 0600) or an open text stream."""

    def __init__(self, path=None, stream=None):
        if (path is None) == (stream is None):
            raise ValueError("keywarden_audit: give a path or a stream")
        self._lock = threading.Lock()
        self._stream = stream
        self._handler = None
        if path is not None:
            # Created private before logging opens it: the log names orders.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
            self._handler = logging.handlers.WatchedFileHandler(path, encoding="utf-8")
            self._handler.setFormatter(logging.Formatter("%(message)s"))

    def write(self, entry):
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            if self._handler is not None:
                self._handler.emit(logging.makeLogRecord({"msg": line, "levelno": logging.INFO}))
            else:
                self._stream.write(line + "\n")
                self._stream.flush()

    def close(self):
        if self._handler is not None:
            self._handler.close()


def wrap(exchange, path=None, stream=None):
    """Return exchange with every public method logged to path (or stream).

    Attributes are read from and set on the exchange itself; only calls go
    through the wrapper."""
    log = path if isinstance(path, AuditLog) else AuditLog(path, stream)
    _hook(exchange)
    return _Audited(exchange, log)


def _hook(exchange):
    """Have the exchange report each response's status, method and URL.

    ccxt's fetch calls handle_errors(code, reason, url, method, ...) on every
    answer, before it raises for an error: the one place that sees the HTTP
    status of both. Only those three are kept."""
    original = exchange.handle_errors
    if getattr(original, "_keywarden_audit", False):
        return

    def handle_errors(code, reason, url, method, *args, **kwargs):
        req = _current.get()
        if req is not None:
            req.status, req.method, req.endpoint = code, method, _path(url)
        return original(code, reason, url, method, *args, **kwargs)

    handle_errors._keywarden_audit = True
    exchange.handle_errors = handle_errors


class _Audited:
    def __init__(self, exchange, log):
        object.__setattr__(self, "_exchange", exchange)
        object.__setattr__(self, "_log", log)

    def __getattr__(self, name):
        attr = getattr(self._exchange, name)
        if name.startswith("_") or not callable(attr) or inspect.isclass(attr):
            return attr
        if inspect.iscoroutinefunction(attr):
            @functools.wraps(attr)
            async def call_async(*args, **kwargs):
                req, start = _Request(), time.monotonic()
                token = _current.set(req)
                try:
                    result = await attr(*args, **kwargs)
                except Exception as e:
                    self._record(name, req, start, error=e)
                    raise
                finally:
                    _current.reset(token)
                self._record(name, req, start, result=result)
                return result
            return call_async

        @functools.wraps(attr)
        def call(*args, **kwargs):
            req, start = _Request(), time.monotonic()
            token = _current.set(req)
            try:
                result = attr(*args, **kwargs)
            except Exception as e:
                self._record(name, req, start, error=e)
                raise
            finally:
                _current.reset(token)
            self._record(name, req, start, result=result)
            return result
        return call

    def __setattr__(self, name, value):
        setattr(self._exchange, name, value)

    def _record(self, name, req, start, result=None, error=None):
        # A call that asked the exchange nothing (a precision helper, a
        # cached market) is not an exchange request: nothing to log.
        if req.endpoint is None and error is None:
            return
        ms = round((time.monotonic() - start) * 1000)
        entry = {
            "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": "error" if error is not None else "info",
            "event": name,
            "exchange": getattr(self._exchange, "id", None),
            "method": req.method,
            "endpoint": req.endpoint,
        }
        if req.status is not None:
            entry["status"] = req.status
        if error is not None:
            code, msg = _exchange_error(error, entry["exchange"])
            if code is not None:
                entry["code"] = code
            entry["msg"] = msg
            entry["error"] = type(error).__name__
        else:
            entry["msg"] = "ok"
        entry["duration_ms"] = ms
        if error is None and isinstance(result, dict) and _ORDER_NAME.match(name.replace("_", "").lower()):
            for key, field in (("id", "order_id"), ("clientOrderId", "client_order_id"), ("symbol", "symbol")):
                if result.get(key) not in (None, ""):
                    entry[field] = str(result[key])
        self._log.write(self._scrub(entry))

    def _scrub(self, entry):
        secrets = [v for v in (getattr(self._exchange, k, None) for k in CREDENTIALS)
                   if isinstance(v, str) and len(v) >= 4]
        for k, v in entry.items():
            if isinstance(v, str):
                for s in secrets:
                    v = v.replace(s, "[REDACTED]")
                entry[k] = v
        return entry


def _path(url):
    try:
        return urlsplit(url).path or "/"
    except (TypeError, ValueError):
        return None


def _exchange_error(error, exchange_id):
    """The exchange's own code and message from a ccxt exception.

    ccxt raises e.g. AuthenticationError('binance {"code":-2015,"msg":...}'):
    the exchange id, then the body. Without a JSON body the message itself is
    kept, its URLs cut at the query."""
    text = str(error)
    if exchange_id and text.startswith(exchange_id + " "):
        text = text[len(exchange_id) + 1:]
    text = _QUERY.sub(r"\1", text)
    body = _json_in(text)
    if isinstance(body, dict):
        code = next((body[k] for k in _CODE_KEYS if body.get(k) not in (None, "")), None)
        msg = next((body[k] for k in _MSG_KEYS if body.get(k) not in (None, "", [])), None)
        if isinstance(msg, list):  # Kraken: {"error": ["EAPI:Invalid key"]}
            msg = ", ".join(str(m) for m in msg)
            code = code if code is not None else msg
        if code is not None or msg is not None:
            return (str(code) if code is not None else None), (str(msg) if msg is not None else text)
    return None, text.strip() or type(error).__name__


def _json_in(text):
    """The first JSON object in text, or None."""
    i = text.find("{")
    while i >= 0:
        try:
            value, _ = json.JSONDecoder().raw_decode(text[i:])
            return value
        except ValueError:
            i = text.find("{", i + 1)
    return None
