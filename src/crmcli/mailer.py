"""Delivery of the reminder digest (:mod:`crmcli.digest`): the email, plain text with an HTML
alternative, handed to an SMTP server or a sendmail command; and the ``[remind]`` and
``[smtp]`` settings, checked with errors that name the key.

Passwords come only from an environment variable or a command, never from the file or the
command line. Every refusal (server unreachable, login or recipient refused) is a
DeliveryError with one clear line. smtplib, ssl and email are imported where used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crmcli.config import check_command
from crmcli.digest import Digest, html_body, subject, text_body
from crmcli.errors import ConfigError, CrmError

if TYPE_CHECKING:
    from email.message import EmailMessage

    from crmcli.config import Config

REMIND_KEYS = ("to", "from", "days_ahead", "sendmail", "message_id_domain")
SMTP_KEYS = ("host", "port", "security", "user", "password_env", "password_cmd", "timeout")
SECURITIES = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_SENDMAIL = "/usr/sbin/sendmail -t -oi"


class DeliveryError(CrmError):
    """The message could not be handed over: server unreachable, login or recipient refused."""


# ---------------------------------------------------------------------------------- settings


@dataclass
class RemindSettings:
    to: list[str]
    sender: str | None
    days_ahead: int = 3
    sendmail: str = DEFAULT_SENDMAIL
    message_id_domain: str | None = None  # None: the domain of the From address


@dataclass
class SmtpSettings:
    host: str
    port: int
    security: str = "starttls"
    user: str | None = None
    password_env: str | None = None
    password_cmd: str | None = None
    timeout: float = 30.0


def _section(config: Config, name: str, known: tuple[str, ...]) -> dict:
    section = config.table(name)
    if name == "smtp" and "password" in section:
        raise ConfigError(f"{config.path}: [smtp] password: passwords are not read from the "
                          "config file; use password_env or password_cmd")
    for key in section:
        if key not in known:
            raise ConfigError(f"{config.path}: [{name}] {key}: unknown setting "
                              f"(known: {', '.join(known)})")
    return section


def _text(config: Config, section: str, values: dict, key: str) -> str | None:
    value = values.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigError(f"{config.path}: [{section}] {key} must be a non-empty string")
    return value.strip() if value else None


def _addresses(config: Config, value: object, where: str) -> list[str]:
    """One address, a comma-separated list, or a TOML list of addresses."""
    items = value if isinstance(value, list) else [value] if value else []
    if not all(isinstance(item, str) for item in items):
        raise ConfigError(f"{config.path}: {where} must be an address or a list of addresses")
    found = [part.strip() for item in items for part in item.split(",") if part.strip()]
    for address in found:
        _check_address(address, f"{config.path}: {where}", ConfigError)
    return found


def _check_address(address: str, where: str, error: type[CrmError]) -> None:
    from email.utils import parseaddr

    if "@" not in parseaddr(address)[1] or any(c in address for c in "\r\n"):
        raise error(f"{where}: {address!r} is not an email address")


def remind_settings(config: Config, to: list[str] | None = None, sender: str | None = None
                    ) -> RemindSettings:
    """The ``[remind]`` settings, with ``--to`` and ``--from`` winning over them."""
    values = _section(config, "remind", REMIND_KEYS)
    days = values.get("days_ahead", 3)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 366:
        raise ConfigError(f"{config.path}: [remind] days_ahead must be a whole number of days "
                          f"from 0 to 366, not {days!r}")
    for address in to or []:
        _check_address(address, "--to", CrmError)
    if sender:
        _check_address(sender, "--from", CrmError)
    sendmail = _text(config, "remind", values, "sendmail") or DEFAULT_SENDMAIL
    check_command(config.path, "[remind] sendmail", sendmail)
    return RemindSettings(
        to=[a.strip() for a in to] if to else _addresses(config, values.get("to"),
                                                         "[remind] to"),
        sender=sender or (_addresses(config, values.get("from"), "[remind] from") or [None])[0],
        days_ahead=days,
        sendmail=sendmail,
        message_id_domain=_domain(config, values.get("message_id_domain")),
    )


def _domain(config: Config, value: object) -> str | None:
    """``[remind] message_id_domain``: a host name such as ``example.com``."""
    import re

    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9.-]{1,253}", value):
        raise ConfigError(f"{config.path}: [remind] message_id_domain must be a domain name "
                          f"such as \"example.com\", not {value!r}")
    return value


def smtp_settings(config: Config) -> SmtpSettings | None:
    """The ``[smtp]`` settings, or None when no host is configured."""
    values = _section(config, "smtp", SMTP_KEYS)
    host = _text(config, "smtp", values, "host")
    if host is None:
        return None
    security = values.get("security", "starttls")
    if security not in SECURITIES:
        raise ConfigError(f"{config.path}: [smtp] security must be \"starttls\", \"ssl\" or "
                          f"\"none\", not {security!r}")
    port = values.get("port", SECURITIES[security])
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ConfigError(f"{config.path}: [smtp] port must be a number from 1 to 65535, "
                          f"not {port!r}")
    timeout = values.get("timeout", 30)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ConfigError(f"{config.path}: [smtp] timeout must be a number of seconds")
    settings = SmtpSettings(host, port, security, _text(config, "smtp", values, "user"),
                            _text(config, "smtp", values, "password_env"),
                            _text(config, "smtp", values, "password_cmd"), float(timeout))
    if settings.user and not (settings.password_env or settings.password_cmd):
        raise ConfigError(f"{config.path}: [smtp] user is set but no password: set "
                          "password_env (an environment variable) or password_cmd")
    return settings


def smtp_password(settings: SmtpSettings, config_path: object) -> str:
    """The password from ``password_env`` or the first line printed by ``password_cmd``."""
    if settings.password_env:
        value = os.environ.get(settings.password_env)
        if not value:
            raise ConfigError(f"{config_path}: [smtp] password_env: the environment variable "
                              f"{settings.password_env} is not set")
        return value
    import subprocess

    try:
        done = subprocess.run(settings.password_cmd, shell=True, capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise ConfigError(f"{config_path}: [smtp] password_cmd took over a minute") from exc
    if done.returncode != 0:  # its output is not shown: it may hold the secret
        raise ConfigError(f"{config_path}: [smtp] password_cmd failed (exit status "
                          f"{done.returncode}); run it by hand to see why")
    password = (done.stdout.splitlines() or [""])[0]
    if not password:
        raise ConfigError(f"{config_path}: [smtp] password_cmd printed no password")
    return password


def sender_address(sender: str | None, to: list[str]) -> str:
    """The From address: the configured one, else the first recipient."""
    return sender or (to[0] if to else "crm@localhost")


def message_id(result: Digest, to: list[str], domain: str) -> str:
    """The same for the same digest (day, recipients, items) to the same people, so that a copy
    sent again after a run was killed between delivery and recording is recognisable."""
    import hashlib

    day = result.agenda.now.date().isoformat()
    what = "\n".join([day, *sorted(a.lower() for a in to), *sorted(result.keys)])
    return f"<crm-remind.{day}.{hashlib.sha256(what.encode()).hexdigest()[:20]}@{domain}>"


def compose(result: Digest, sender: str | None, to: list[str],
            message_id_domain: str | None = None) -> EmailMessage:
    """The email: plain text with an HTML alternative, marked as sent by a program."""
    from email.message import EmailMessage
    from email.utils import format_datetime, parseaddr

    message = EmailMessage()
    message["Subject"] = subject(result)
    message["From"] = sender_address(sender, to)
    if to:
        message["To"] = ", ".join(to)
    message["Date"] = format_datetime(result.agenda.now)
    domain = message_id_domain or parseaddr(message["From"])[1].rpartition("@")[2]
    message["Message-ID"] = message_id(result, to, domain or "localhost")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to it
    message.set_content(text_body(result))
    message.add_alternative(html_body(result), subtype="html")
    return message


# ---------------------------------------------------------------------------------- delivery


def send_smtp(message: EmailMessage, settings: SmtpSettings, to: list[str],
              password: str | None) -> None:
    """Hand the message to an SMTP server; any refusal is a DeliveryError naming it."""
    import smtplib
    import ssl

    where = f"{settings.host}:{settings.port}"
    try:
        with _connect(settings) as server:
            _secure_and_login(server, settings, where, password)
            refused = server.send_message(message, to_addrs=to)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"SMTP server {where} refused the login of {settings.user}: "
                            f"{reply_text(exc.smtp_code, exc.smtp_error)}") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"SMTP server {where} refused the recipient(s): "
                            f"{_refusals(exc.recipients)}") from exc
    except smtplib.SMTPSenderRefused as exc:
        raise DeliveryError(f"SMTP server {where} refused the sender {exc.sender}: "
                            f"{reply_text(exc.smtp_code, exc.smtp_error)}") from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP server {where} said: "
                            f"{reply_text(exc.smtp_code, exc.smtp_error)}") from exc
    except (smtplib.SMTPException, ssl.SSLError) as exc:
        raise DeliveryError(f"SMTP with {where} failed: {exc}") from exc
    except OSError as exc:
        raise DeliveryError(f"cannot reach SMTP server {where}: "
                            f"{exc.strerror or exc or type(exc).__name__}") from exc
    if refused:
        raise DeliveryError(f"SMTP server {where} refused the recipient(s): "
                            f"{_refusals(refused)}")


def smtp_session(settings: SmtpSettings, config: Config):
    """A connected, secured and logged-in SMTP server, for many messages (``quit`` it after);
    a refusal is a DeliveryError naming the server."""
    import smtplib
    import ssl

    password = smtp_password(settings, config.path) if settings.user else None
    where = f"{settings.host}:{settings.port}"
    try:
        server = _connect(settings)
        _secure_and_login(server, settings, where, password)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"SMTP server {where} refused the login of {settings.user}: "
                            f"{reply_text(exc.smtp_code, exc.smtp_error)}") from exc
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise DeliveryError(f"cannot reach SMTP server {where}: {exc}") from exc
    return server


def _connect(settings: SmtpSettings):
    import smtplib
    import ssl

    if settings.security == "ssl":
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                context=ssl.create_default_context())
    return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)


def _secure_and_login(server, settings: SmtpSettings, where: str, password: str | None
                      ) -> None:
    """STARTTLS when asked, then the login when a user is set; a server that lacks either
    is named for what it lacks."""
    import ssl

    server.ehlo()
    if settings.security == "starttls":
        if not server.has_extn("starttls"):
            raise DeliveryError(f"SMTP server {where} does not offer STARTTLS; set [smtp] "
                                "security to \"ssl\" or \"none\"")
        server.starttls(context=ssl.create_default_context())
        server.ehlo()
    if settings.user:
        if not server.has_extn("auth"):
            raise DeliveryError(
                f"SMTP server {where} does not offer a login (no AUTH) for [smtp] user "
                f"{settings.user}" + (" over an unencrypted connection; try security = "
                                      "\"starttls\" or \"ssl\"" if settings.security == "none"
                                      else "; remove [smtp] user if it needs none"))
        server.login(settings.user, password or "")


def reply_text(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}"


def _refusals(refused: dict) -> str:
    return "; ".join(f"{address} ({reply_text(*reply)})" for address, reply in refused.items())


def send_sendmail(message: EmailMessage, command: str) -> None:
    """Pipe the message to a sendmail-compatible command (sendmail, msmtp, ...)."""
    import shlex
    import subprocess

    try:
        done = subprocess.run(shlex.split(command), input=message.as_bytes(),
                              capture_output=True, timeout=300)
    except FileNotFoundError as exc:
        raise DeliveryError(f"sendmail command not found: {command} (set [remind] sendmail)"
                            ) from exc
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DeliveryError(f"sendmail command {command!r} failed: {exc}") from exc
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DeliveryError(f"sendmail command {command!r} failed (exit {done.returncode})"
                            + (f": {reason[0]}" if reason else ""))
