"""Notices by e-mail, through a real SMTP server (aiosmtpd) started by the test on a free port."""

from __future__ import annotations

import email
import socket
from datetime import timedelta
from email.policy import default as default_policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from gongjian.accounts.models import Notification
from gongjian.bookings.models import Booking
from gongjian.bookings.series import approve_series, create_series
from gongjian.extensions import db
from gongjian.jobs import run_job

from .factories import local

START, END = local(2026, 12, 5, 14), local(2026, 12, 5, 16)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    port = free_port()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_FROM", "共建 <noreply@gongjian.test>")
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox
    controller.stop()


def texts(message) -> tuple[str, str]:
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return plain, html


def test_notices_are_mailed_in_each_recipients_language(app, make, now, smtp):
    manager = make.user(name="联络员", email="manager@example.cn")
    booker = make.user(name="Alice", email="alice@example.cn", locale="en")
    venue = make.venue(unit=make.unit(managers=(manager,)), requires_approval=True,
                       name="多功能厅")
    result = create_series(venue_id=venue.id, booker=booker, title="Choir", attendees=20,
                           count=3, start_date=START.date(), weekdays=[2], start_time="19:00",
                           end_time="21:00", now=now)
    approve_series(series=result.series, actor=manager, now=now)
    make.commit()

    assert run_job("send-emails", now=now + timedelta(minutes=1)) == 2
    assert run_job("send-emails", now=now + timedelta(minutes=2)) == 0
    by_recipient = {tuple(rcpt): message for rcpt, message in smtp.messages}
    assert set(by_recipient) == {("manager@example.cn",), ("alice@example.cn",)}

    to_manager = by_recipient[("manager@example.cn",)]
    assert to_manager["Subject"] == "新的周期预约申请：Choir（共3次）"
    plain, html = texts(to_manager)
    assert "场地：多功能厅" in plain and "时间：2026-12-09 19:00–21:00" in plain
    assert "最后一次：2026-12-23 19:00" in plain
    assert "<p>场地：多功能厅</p>" in html

    to_booker = by_recipient[("alice@example.cn",)]
    assert to_booker["Subject"] == "Your recurring booking was approved: Choir (3 dates)"
    assert "Venue: 多功能厅" in texts(to_booker)[0]
    assert to_booker["From"] == "共建 <noreply@gongjian.test>"
    assert to_booker.is_multipart()
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.emailed_at.is_(None))) == 0


def test_html_escapes_what_users_typed(app, make, now, smtp):
    manager = make.user(name="联络员", email="m@example.cn")
    venue = make.venue(unit=make.unit(managers=(manager,)))
    make.booking(venue=venue, start=START, end=END, title="<b>聚会</b>")
    make.commit()
    run_job("send-emails", now=now)
    [(_, message)] = smtp.messages
    assert message["Subject"] == "新的预约：<b>聚会</b>"
    assert "&lt;b&gt;聚会&lt;/b&gt;" in texts(message)[1]


def test_a_failed_send_is_retried_and_never_undoes_the_booking(app, make, now, monkeypatch):
    port = free_port()  # nothing listens here yet
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    manager = make.user(name="联络员", email="m@example.cn")
    venue = make.venue(unit=make.unit(managers=(manager,)))
    booking = make.booking(venue=venue, start=START, end=END)
    make.commit()

    assert run_job("send-emails", now=now) == 0
    assert db.session.get(Booking, booking.id) is not None
    notice = db.session.scalars(sa.select(Notification)).one()
    assert notice.emailed_at is None

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert run_job("send-emails", now=now + timedelta(minutes=1)) == 1
    finally:
        controller.stop()
    assert [rcpt for rcpt, _ in inbox.messages] == [["m@example.cn"]]


def test_nothing_is_mailed_without_smtp(app, make, now):
    manager = make.user(name="联络员")
    venue = make.venue(unit=make.unit(managers=(manager,)))
    make.booking(venue=venue, start=START, end=END)
    make.commit()
    assert not app.config.get("SMTP_HOST")
    assert run_job("send-emails", now=now) == 0
    assert db.session.scalars(sa.select(Notification.emailed_at)).all() == [None]
