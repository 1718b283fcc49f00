"""The e-mail that invites someone without an account to manage a unit.

The invitee has no account, so no language of their own: the message says it in Chinese, then
in English. It is sent at once (after the invitation is committed) through gongjian.mail; when
SMTP is not configured, or the send fails, the console shows the admin the link instead.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr

from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from ..accounts.models import ManagerInvitation, User
from ..mail import send_now
from ..templating import local_datetime


def _lines(invitation: ManagerInvitation, link: str, inviter: User) -> tuple[str, list[str]]:
    subject = _("Invitation to manage “%(unit)s” on Gongjian", unit=invitation.unit.name)
    lines = [
        _("%(inviter)s, district admin, invites you to manage the venues of “%(unit)s” on "
          "Gongjian (共建), the district’s venue sharing platform.",
          inviter=inviter.name, unit=invitation.unit.name),
        _("Open this link to choose your name and password: %(link)s", link=link),
        _("The link works once and is valid until %(when)s.",
          when=local_datetime(invitation.expires_at)),
    ]
    return subject, lines


def build_invitation(*, invitation: ManagerInvitation, link: str, inviter: User) -> EmailMessage:
    parts = []
    for locale in ("zh", "en"):
        with force_locale(locale):
            parts.append(_lines(invitation, link, inviter))
    message = EmailMessage()
    message["Subject"] = f"{parts[0][0]} / {parts[1][0]}"
    message["To"] = formataddr(("", invitation.email))
    message.set_content("\n\n".join("\n".join(lines) for _subject, lines in parts) + "\n")
    html = "<hr>".join("".join(f"<p>{escape(line)}</p>" for line in lines)
                       for _subject, lines in parts)
    message.add_alternative(f"<!doctype html><html><body>{html}</body></html>", subtype="html")
    return message


def send_invitation(*, invitation: ManagerInvitation, link: str, inviter: User) -> bool:
    """E-mail the invitation; False when it could not be sent (the admin then passes it on)."""
    return send_now(build_invitation(invitation=invitation, link=link, inviter=inviter))
