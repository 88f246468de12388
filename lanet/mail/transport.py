"""Where a built email goes: an SMTP server (MAIL_SERVER set) or the mail folder (default).

Both transports deliver in steps: `begin()` (envelope and content), `end()` (the final dot,
sent without waiting for the answer, so the outbox can build the next message meanwhile) and
`finish()` (the server's answer to the dot, from which the server owns the message); the
outbox records a message as accepted only after `finish()` returned: see
`lanet.mail.service.deliver_due`.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.utils import parseaddr
from typing import Protocol

from lanet.mail import compose, folder

# Connection-level trouble: the server may be back in a minute.
_NETWORK_ERRORS = (OSError, smtplib.SMTPServerDisconnected, socket.timeout)


class DeliveryError(Exception):
    """A failed delivery, with the server's answer; `temporary` ones are retried."""

    def __init__(
        self, answer: str, *, temporary: bool, connection: bool = False, ambiguous: bool = False
    ) -> None:
        super().__init__(answer)
        self.answer = answer
        self.temporary = temporary
        # The server cannot be reached at all: every message of the batch would fail alike.
        self.connection = connection
        # The connection broke after the final dot: the server may or may not hold the message.
        self.ambiguous = ambiguous


class Transport(Protocol):
    def begin(self, message: compose.Outgoing) -> None: ...

    def end(self) -> None: ...

    def finish(self) -> None: ...

    def abort(self) -> None: ...

    def drop(self) -> None: ...

    def close(self) -> None: ...


def _smtp_error(code: int, text: bytes | str, what: str) -> DeliveryError:
    answer = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    # RFC 5321: 4yz is transient, 5yz permanent.
    return DeliveryError(f"{what}: {code} {answer}", temporary=not 500 <= code < 600)


class _TwoStepSMTP(smtplib.SMTP):
    """smtplib's DATA split in two: the content first, the terminating dot later."""

    def data_without_end(self, content: bytes) -> None:
        code, text = self.docmd("DATA")
        if code != 354:
            raise smtplib.SMTPDataError(code, text)
        quoted = smtplib._quote_periods(content)
        if not quoted.endswith(b"\r\n"):
            quoted += b"\r\n"
        self.send(quoted)

    def end_data(self) -> tuple[int, bytes]:
        self.send(b".\r\n")
        return self.getreply()


class _TwoStepSMTP_SSL(smtplib.SMTP_SSL, _TwoStepSMTP):
    pass


class SmtpTransport:
    """One SMTP connection reused for a whole batch.

    smtplib directly rather than Flask-Mail: Flask-Mail opens and closes a connection per
    `send()` unless wrapped in `connect()`, hides the reply codes that tell a temporary
    failure from a permanent one, and sends DATA and its final dot in one call, which would
    leave no moment to commit "sent" before the server accepts the message.
    """

    def __init__(self, config: Mapping, timeout: float = 30.0) -> None:
        self.config = config
        self.timeout = timeout
        self.sender = parseaddr(config["MAIL_DEFAULT_SENDER"])[1]
        self._smtp: _TwoStepSMTP | None = None
        self._ended = False

    def _connect(self) -> _TwoStepSMTP:
        host, port = self.config["MAIL_SERVER"], int(self.config["MAIL_PORT"])
        try:
            if self.config.get("MAIL_USE_SSL"):
                smtp: _TwoStepSMTP = _TwoStepSMTP_SSL(
                    host, port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = _TwoStepSMTP(host, port, timeout=self.timeout)
            # The final dot goes in its own small write: without NODELAY, Nagle's algorithm
            # holds it until the server's delayed ACK (~40 ms per message).
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo()
            if self.config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.config.get("MAIL_USERNAME"):
                smtp.login(self.config["MAIL_USERNAME"], self.config.get("MAIL_PASSWORD") or "")
        except smtplib.SMTPResponseException as error:
            failure = _smtp_error(error.smtp_code, error.smtp_error, "connect")
            failure.connection = True
            raise failure from error
        except (*_NETWORK_ERRORS, smtplib.SMTPException) as error:
            raise DeliveryError(
                f"cannot reach {host}:{port}: {error}", temporary=True, connection=True
            ) from error
        return smtp

    def begin(self, message: compose.Outgoing) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        recipient, content = message.recipient, message.content
        try:
            code, text = self._smtp.mail(self.sender)
            if code != 250:
                raise _smtp_error(code, text, "MAIL FROM")
            code, text = self._smtp.rcpt(recipient)
            if code not in (250, 251):
                raise _smtp_error(code, text, f"RCPT TO <{recipient}>")
            self._smtp.data_without_end(content)
        except smtplib.SMTPResponseException as error:
            self.abort()
            raise _smtp_error(error.smtp_code, error.smtp_error, "DATA") from error
        except DeliveryError:
            self.abort()
            raise
        except _NETWORK_ERRORS as error:
            self._drop()
            raise DeliveryError(f"connection lost: {error}", temporary=True) from error

    def end(self) -> None:
        """Sends the final dot without waiting for the answer, which `finish` reads: the
        delivery loop builds the next message meanwhile."""
        assert self._smtp is not None
        try:
            self._smtp.send(b".\r\n")
        except _NETWORK_ERRORS as error:
            self._drop()
            raise DeliveryError(
                f"no answer to the end of data: {error}", temporary=True, ambiguous=True
            ) from error
        self._ended = True

    def finish(self) -> None:
        """Reads the server's answer to the final dot (sending the dot first unless `end` did):
        from a 250 the server owns the message."""
        assert self._smtp is not None
        ended, self._ended = self._ended, False
        try:
            code, text = self._smtp.getreply() if ended else self._smtp.end_data()
        except _NETWORK_ERRORS as error:
            self._drop()
            raise DeliveryError(
                f"no answer to the end of data: {error}", temporary=True, ambiguous=True
            ) from error
        if code != 250:
            raise _smtp_error(code, text, "end of data")

    def abort(self) -> None:
        """Forgets the current transaction; the connection stays usable for the next one."""
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (*_NETWORK_ERRORS, smtplib.SMTPException):
            self._drop()

    def drop(self) -> None:
        """Closes the connection without a word: after a surprise mid-transaction, the
        server's state is unknown, and the next message starts on a new connection."""
        self._drop()

    def _drop(self) -> None:
        self._ended = False
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (*_NETWORK_ERRORS, smtplib.SMTPException):
            pass
        finally:
            self._drop()


class FolderTransport:
    """The embedded default: each message becomes an .eml file, listed at /dev/mail/."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._pending: compose.Outgoing | None = None

    def begin(self, message: compose.Outgoing) -> None:
        self._pending = message

    def end(self) -> None:
        """Nothing to send ahead: `finish` writes the file."""

    def finish(self) -> None:
        assert self._pending is not None
        message, self._pending = self._pending, None
        try:
            folder.write_raw(self.path, message.content, message.recipient.split("@")[0])
        except OSError as error:
            raise DeliveryError(
                f"cannot write to {self.path}: {error}", temporary=True, connection=True
            ) from error

    def abort(self) -> None:
        self._pending = None

    def drop(self) -> None:
        self._pending = None

    def close(self) -> None:
        self._pending = None


def for_config(config: Mapping) -> Transport:
    if config.get("MAIL_SERVER"):
        return SmtpTransport(config)
    return FolderTransport(config["MAIL_FOLDER"])
