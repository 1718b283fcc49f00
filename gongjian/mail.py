"""E-mail for notices: sent by a job after the transaction that wrote them has committed.

A notice is e-mailed when GONGJIAN_SMTP_HOST is set: multipart text and HTML, in its
recipient's language. A failed send leaves `emailed_at` empty, so the next run retries it; a
booking never waits on, nor rolls back for, the mail server.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from markupsafe import escape

from .accounts.models import Notification, User
from .bookings.notifications import NOTICES_DOMAIN, render_notice
from .extensions import db

log = logging.getLogger(__name__)
# Notices older than this are not e-mailed (e.g. the backlog when SMTP is first configured).
MAX_AGE = timedelta(days=2)
BATCH = 200


def mail_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def build_message(notification: Notification, user: User) -> EmailMessage:
    """The notice as a multipart text/HTML message in the user's language."""
    _ = NOTICES_DOMAIN.gettext
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject, lines = render_notice(notification.kind, notification.data or {})
        base_url = current_app.config.get("BASE_URL")
        footer = [_("This message was sent by Gongjian (共建).")]
        if base_url:
            footer.insert(0, _("Open Gongjian: {url}").format(url=base_url))
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = formataddr((user.name, user.email))
    message["Message-ID"] = make_msgid(domain="gongjian")
    message.set_content("\n".join([*lines, "", *footer]) + "\n")
    html = "".join(f"<p>{escape(line)}</p>" for line in lines)
    html += "".join(f'<p style="color:#888">{escape(line)}</p>' for line in footer)
    message.add_alternative(
        f"<!doctype html><html><body><h3>{escape(subject)}</h3>{html}</body></html>",
        subtype="html",
    )
    return message


def _connect() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=10)
    if config.get("SMTP_USER"):
        smtp.starttls()
        smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
    return smtp


def send_pending_emails(*, now: datetime) -> int:
    """E-mail every recent notice not yet e-mailed; commits after each one it sends."""
    if not mail_configured():
        return 0
    rows = db.session.execute(
        sa.select(Notification, User).join(User, User.id == Notification.user_id).where(
            Notification.emailed_at.is_(None),
            Notification.created_at >= now - MAX_AGE,
            Notification.created_at <= now,
        ).order_by(Notification.id).limit(BATCH)
    ).all()
    if not rows:
        return 0
    try:
        smtp = _connect()
    except (OSError, smtplib.SMTPException):
        log.warning("SMTP server unreachable; %d notices wait for the next run", len(rows),
                    exc_info=True)
        return 0
    sent = 0
    try:
        for notification, user in rows:
            if not user.email:
                continue
            try:
                smtp.send_message(build_message(notification, user))
            except smtplib.SMTPRecipientsRefused:
                log.warning("recipient %s refused; notice %s not e-mailed", user.email,
                            notification.id)
                notification.emailed_at = now  # retrying would never succeed
            except (OSError, smtplib.SMTPException):
                log.warning("sending notice %s failed; retried later", notification.id,
                            exc_info=True)
                db.session.rollback()
                break
            else:
                notification.emailed_at = now
                sent += 1
            # Each send is recorded at once: a crash later must not send it again.
            db.session.commit()
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()
    return sent


def send_now(message: EmailMessage) -> bool:
    """Send one message at once, outside any transaction (e.g. an invitation, which has no
    notice to retry from): True when the server took it, False when SMTP is not configured or
    the send failed (logged), so the caller can fall back."""
    if not mail_configured():
        return False
    if not message["From"]:
        message["From"] = current_app.config["MAIL_FROM"]
    if not message["Message-ID"]:
        message["Message-ID"] = make_msgid(domain="gongjian")
    try:
        smtp = _connect()
    except (OSError, smtplib.SMTPException):
        log.warning("SMTP server unreachable; message %r not sent", message["Subject"],
                    exc_info=True)
        return False
    try:
        smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        log.warning("sending %r failed", message["Subject"], exc_info=True)
        return False
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()
    return True
