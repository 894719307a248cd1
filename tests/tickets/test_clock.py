"""The first-response clock: what stops it, priority changes, closure days and the sweep."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from contracts.models import Contract
from portal.refusals import Refusal
from tests.clock import pt
from tickets import services
from tickets.channels.authenticity import reply_address_for
from tickets.models import ClosureDay, SlaAlert, Ticket, TicketEvent

pytestmark = pytest.mark.django_db
TUESDAY = pt(2026, 12, 1, 8, 0)


@pytest.fixture
def ticket(enterprise):
    organization, customer = enterprise
    return services.ticket_open(
        organization=organization,
        requester=customer,
        subject="Orders stuck",
        description="d",
        kind="incident",
        priority="normal",
        now=TUESDAY,
    )


def test_internal_note_customer_message_and_receipt_do_not_stop_the_clock(ticket, enterprise, support_engineer):
    _, customer = enterprise
    assert ticket.comments.get().is_automatic  # the acknowledgement
    services.comment_add(
        ticket=ticket,
        author=support_engineer,
        body="Looking at logs",
        public=False,
        now=TUESDAY + dt.timedelta(hours=1),
    )
    services.comment_add(ticket=ticket, author=customer, body="Any news?", now=TUESDAY + dt.timedelta(hours=2))
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert ticket.sla_state(now=TUESDAY + dt.timedelta(hours=3)) == "running"


def test_first_public_staff_reply_stops_the_clock_and_meets(ticket, support_engineer):
    replied = TUESDAY + dt.timedelta(hours=5)
    services.comment_add(ticket=ticket, author=support_engineer, body="Fixed", now=replied)
    services.comment_add(ticket=ticket, author=support_engineer, body="More", now=replied + dt.timedelta(hours=9))
    ticket.refresh_from_db()
    assert ticket.first_response_at == replied
    assert ticket.sla_state(now=replied + dt.timedelta(days=5)) == "met"
    assert ticket.status == "open"
    assert ticket.events.filter(kind=TicketEvent.Kind.FIRST_RESPONSE).count() == 1


def test_a_late_first_reply_records_the_breach_once(ticket, support_engineer):
    late = pt(2026, 12, 2, 9, 0)  # due Wed 08:00
    services.comment_add(ticket=ticket, author=support_engineer, body="Sorry", now=late)
    ticket.refresh_from_db()
    assert ticket.breached_at == pt(2026, 12, 2, 8, 0)
    assert ticket.sla_state(now=late) == "breached"
    assert SlaAlert.objects.filter(ticket=ticket, kind="breached").count() == 1


def test_raising_priority_never_extends_and_never_breaches_on_the_spot(ticket, support_engineer):
    # Normal, due Wed 08:00. Raised to urgent (4 business hours) on Tuesday 16:00: Tue 16:00 + 4 h = Wed 08:00.
    changed = pt(2026, 12, 1, 16, 0)
    services.ticket_change_priority(
        ticket=ticket, actor=support_engineer, priority="urgent", reason="Orders are blocked", now=changed
    )
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == pt(2026, 12, 2, 8, 0)
    # Raised at 09:00 instead, it would have been the earlier 13:00: check with a second ticket.
    second = services.ticket_open(
        organization=ticket.organization,
        requester=ticket.requester,
        subject="s",
        description="d",
        kind="incident",
        priority="low",
        now=TUESDAY,
    )
    services.ticket_change_priority(
        ticket=second, actor=support_engineer, priority="urgent", reason="Worse than thought", now=pt(2026, 12, 1, 9, 0)
    )
    second.refresh_from_db()
    assert second.first_response_due_at == pt(2026, 12, 1, 13, 0)
    assert second.sla_state(now=pt(2026, 12, 1, 9, 0)) == "running"
    event = second.events.get(kind=TicketEvent.Kind.PRIORITY_CHANGED)
    assert event.public and "Worse than thought" in event.message and event.actor == support_engineer
    assert second.events.filter(kind=TicketEvent.Kind.DEADLINE_RECOMPUTED).exists()


def test_raising_late_keeps_the_old_deadline_rather_than_breaching(ticket, support_engineer):
    # Raised at Wed 07:59, one minute before the old deadline: now + 4 h is later, so Wed 08:00 stays.
    services.ticket_change_priority(
        ticket=ticket, actor=support_engineer, priority="urgent", reason="Escalating", now=pt(2026, 12, 2, 7, 59)
    )
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == pt(2026, 12, 2, 8, 0)
    assert ticket.sla_state(now=pt(2026, 12, 2, 7, 59)) == "at_risk"


def test_lowering_recounts_from_receipt(enterprise, support_engineer):
    organization, customer = enterprise
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="incident",
        priority="urgent",
        now=TUESDAY,
    )
    assert ticket.first_response_due_at == pt(2026, 12, 1, 12, 0)
    services.ticket_change_priority(
        ticket=ticket, actor=support_engineer, priority="low", reason="A workaround exists", now=pt(2026, 12, 1, 11, 0)
    )
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == pt(2026, 12, 3, 8, 0)  # Tuesday 08:00 + 24 business hours


def test_a_recorded_breach_stays_after_lowering(enterprise, support_engineer):
    organization, customer = enterprise
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="incident",
        priority="urgent",
        now=TUESDAY,
    )
    services.sla_sweep(now=pt(2026, 12, 1, 13, 0))
    services.ticket_change_priority(
        ticket=ticket, actor=support_engineer, priority="low", reason="Minor", now=pt(2026, 12, 1, 13, 30)
    )
    ticket.refresh_from_db()
    assert ticket.breached_at == pt(2026, 12, 1, 12, 0)
    assert ticket.sla_state(now=pt(2026, 12, 1, 14, 0)) == "breached"


def test_priority_change_needs_a_reason_and_staff(ticket, support_engineer, enterprise):
    with pytest.raises(ValidationError, match="Say why"):
        services.ticket_change_priority(ticket=ticket, actor=support_engineer, priority="high", reason=" ")
    with pytest.raises(PermissionDenied):
        services.ticket_change_priority(ticket=ticket, actor=enterprise[1], priority="urgent", reason="please")
    ticket.refresh_from_db()
    assert ticket.priority == "normal"


def test_adding_a_closure_day_recomputes_open_tickets_it_spans(enterprise, admin_user):
    organization, customer = enterprise
    # Wednesday 16:00 before Thanksgiving, normal (12 h): 2 h Wed + 10 h Fri = Fri 16:00.
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="incident",
        priority="normal",
        now=pt(2026, 11, 25, 16, 0),
    )
    untouched = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="incident",
        priority="urgent",
        now=pt(2026, 11, 24, 8, 0),
    )
    assert ticket.first_response_due_at == pt(2026, 11, 27, 16, 0)
    closure, moved = services.closure_day_save(
        actor=admin_user,
        date=dt.date(2026, 11, 27),
        action="close",
        reason="Day after Thanksgiving",
        now=pt(2026, 11, 25, 17, 0),
    )
    assert moved == 1
    ticket.refresh_from_db()
    # Friday is closed now: 2 h Wed + 10 h Mon = Mon 30 Nov 16:00.
    assert ticket.first_response_due_at == pt(2026, 11, 30, 16, 0)
    event = ticket.events.get(kind=TicketEvent.Kind.DEADLINE_RECOMPUTED)
    assert "closed 2026-11-27 (Day after Thanksgiving)" in event.message
    untouched.refresh_from_db()
    assert untouched.first_response_due_at == pt(2026, 11, 24, 12, 0)
    # Withdrawing it moves the deadline back.
    assert services.closure_day_delete(actor=admin_user, closure=closure) == 1
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == pt(2026, 11, 27, 16, 0)


def test_removing_a_holiday_opens_it(enterprise, admin_user):
    organization, customer = enterprise
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="incident",
        priority="normal",
        now=pt(2026, 11, 25, 16, 0),
    )
    services.closure_day_save(actor=admin_user, date=dt.date(2026, 11, 26), action="open", reason="We work")
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == pt(2026, 11, 26, 16, 0)


def test_only_admins_change_the_calendar(support_engineer):
    with pytest.raises(PermissionDenied):
        services.closure_day_save(actor=support_engineer, date=dt.date(2026, 12, 24), action="close", reason="x")
    assert not ClosureDay.objects.exists()


def test_sweep_marks_and_notifies_once_even_when_run_twice(
    enterprise, support_engineer, account_manager, django_capture_on_commit_callbacks
):
    organization, customer = enterprise
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="Orders",
        description="d",
        kind="incident",
        priority="urgent",
        now=TUESDAY,
    )
    services.ticket_assign(ticket=ticket, actor=support_engineer, assignee=support_engineer, now=TUESDAY)
    mail.outbox.clear()
    at_risk_time = pt(2026, 12, 1, 11, 0)  # 3 of 4 hours
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_sweep(now=at_risk_time) == {"at_risk": 1, "breached": 0}
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_sweep(now=at_risk_time) == {"at_risk": 0, "breached": 0}
    at_risk_mail = [m for m in mail.outbox if m.subject.startswith(f"[#{ticket.reference}] At risk")]
    assert [m.to for m in at_risk_mail] == [[support_engineer.email]]
    breach_time = pt(2026, 12, 1, 12, 0)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_sweep(now=breach_time) == {"at_risk": 0, "breached": 1}
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_sweep(now=breach_time + dt.timedelta(minutes=1)) == {"at_risk": 0, "breached": 0}
    breach_mail = [m for m in mail.outbox if "Breached" in m.subject]
    assert sorted(m.to[0] for m in breach_mail) == sorted(["support-team@demo.test", account_manager.email])
    ticket.refresh_from_db()
    assert ticket.at_risk_at == pt(2026, 12, 1, 11, 0) and ticket.breached_at == pt(2026, 12, 1, 12, 0)
    assert ticket.events.filter(kind="at_risk").count() == 1 and ticket.events.filter(kind="breached").count() == 1


def test_notification_task_retried_sends_nothing_new(ticket, django_capture_on_commit_callbacks):
    from portal import tasks
    from portal.models import OutboxMessage

    with django_capture_on_commit_callbacks(execute=True):
        services.sla_sweep(now=pt(2026, 12, 2, 9, 0))
    sent_before = len(mail.outbox)
    # at risk (the team) and breached (the team and the account manager, one message each), once each
    assert len(mail.outbox) == 3
    for kind in ("at_risk", "breached"):
        message = OutboxMessage.objects.get(key=f"ticket:{ticket.pk}:{kind}")
        assert tasks.outbox_deliver(message.pk) == "sent"  # a retried delivery finds it sent
    assert len(mail.outbox) == sent_before


def test_kinds_without_target_never_breach(standard):
    organization, customer = standard
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="Idea",
        description="d",
        kind="feature_request",
        priority="urgent",
        now=TUESDAY,
    )
    assert services.sla_sweep(now=TUESDAY + dt.timedelta(days=60)) == {"at_risk": 0, "breached": 0}
    ticket.refresh_from_db()
    assert ticket.sla_state(now=TUESDAY + dt.timedelta(days=60)) == "none"
    assert ticket.breached_at is None


def test_solved_tickets_are_not_swept(ticket, support_engineer):
    services.ticket_change_status(ticket=ticket, actor=support_engineer, status="solved", now=TUESDAY)
    assert services.sla_sweep(now=pt(2026, 12, 9, 9, 0)) == {"at_risk": 0, "breached": 0}


def test_receipt_and_team_mails(enterprise, django_capture_on_commit_callbacks):
    organization, customer = enterprise
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_open(
            organization=organization,
            requester=customer,
            subject="Sync stopped",
            description="d",
            kind="incident",
            priority="high",
            now=TUESDAY,
        )
    receipt = next(m for m in mail.outbox if m.to == [customer.email])
    assert receipt.subject == f"[#{ticket.reference}] We received your request: Sync stopped"
    assert "We answer within 8 business hours: by Tue 01 Dec 2026, 16:00 PST." in receipt.body
    assert receipt.extra_headers["Auto-Submitted"] == "auto-generated"
    # The customer's own signed reply address; the team address (no person) gets the ticket's plain one.
    assert receipt.reply_to == [reply_address_for(ticket_id=ticket.pk, user_id=customer.pk)]
    team = next(m for m in mail.outbox if m.to == ["support-team@demo.test"])
    assert team.reply_to == [f"support+{ticket.reference}@demo.test"]
    assert f"/tickets/{ticket.pk}/" in receipt.body
    assert any(m.to == ["support-team@demo.test"] for m in mail.outbox)


def test_staff_reply_mails_requester_and_ccs(
    enterprise, make_user, support_engineer, django_capture_on_commit_callbacks
):
    organization, customer = enterprise
    colleague = make_user("colleague@enterprise.test", organization=organization)
    ticket = services.ticket_open(
        organization=organization, requester=customer, subject="s", description="d", ccs=[colleague], now=TUESDAY
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(ticket=ticket, author=support_engineer, body="Here is the fix", now=TUESDAY)
        services.comment_add(ticket=ticket, author=support_engineer, body="secret", public=False, now=TUESDAY)
    # One message per person (each carries that person's own reply address).
    assert sorted(m.to[0] for m in mail.outbox) == sorted([customer.email, colleague.email])
    for message in mail.outbox:
        assert message.cc == []
        assert "Here is the fix" in message.body and "secret" not in message.body


def test_no_active_contract_is_accepted_without_target_and_flagged(
    make_user, account_manager, django_capture_on_commit_callbacks
):
    from portal.models import Organization

    organization = Organization.objects.create(name="Lapsed Inc", account_manager=account_manager)
    customer = make_user("x@lapsed.test", organization=organization)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_open(
            organization=organization,
            requester=customer,
            subject="Help",
            description="d",
            priority="urgent",
            now=TUESDAY,
        )
    assert ticket.first_response_due_at is None and ticket.needs_account_review
    assert any(account_manager.email in m.to and "without an active contract" in m.subject for m in mail.outbox)


def test_status_transitions_are_checked(ticket, support_engineer):
    services.ticket_change_status(ticket=ticket, actor=support_engineer, status="closed")
    with pytest.raises(ValidationError, match="cannot become open"):
        services.ticket_change_status(ticket=ticket, actor=support_engineer, status="open")


def test_customer_cannot_reply_to_closed_ticket(ticket, enterprise, support_engineer):
    services.ticket_change_status(ticket=ticket, actor=support_engineer, status="closed")
    with pytest.raises(Refusal, match="closed"):
        services.comment_add(ticket=ticket, author=enterprise[1], body="hello?")


def test_escalation_is_for_premium_only(enterprise, enterprise_premium, django_capture_on_commit_callbacks):
    organization, customer = enterprise_premium
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        urgent = services.ticket_open(
            organization=organization,
            requester=customer,
            subject="Down",
            description="d",
            priority="urgent",
            kind="incident",
            now=TUESDAY,
        )
    paged = [m for m in mail.outbox if m.to == ["oncall@demo.test"]]
    assert len(paged) == 1 and "PAGE" in paged[0].subject  # paged on receipt
    with django_capture_on_commit_callbacks(execute=True):
        assert services.ticket_escalate(ticket=urgent, actor=customer) is True
        assert services.ticket_escalate(ticket=urgent, actor=customer) is False
    assert len([m for m in mail.outbox if m.to == ["oncall@demo.test"]]) == 2
    assert urgent.events.filter(kind="escalated").count() == 1
    other_org, other_customer = enterprise
    plain = services.ticket_open(
        organization=other_org,
        requester=other_customer,
        subject="Down",
        description="d",
        priority="urgent",
        kind="incident",
        now=TUESDAY,
    )
    with pytest.raises(ValidationError, match="part of Premium support"):
        services.ticket_escalate(ticket=plain, actor=other_customer)
    assert not SlaAlert.objects.filter(ticket=plain, kind__in=["escalated", "paged"]).exists()


def test_escalation_webhook(enterprise_premium, settings, monkeypatch, django_capture_on_commit_callbacks):
    from portal import outbox

    calls = []
    monkeypatch.setattr(outbox.Webhook, "send", lambda hook: calls.append((hook.url, hook.payload)) or [hook.url])
    settings.ONCALL_WEBHOOK_URL = "http://127.0.0.1:9/hook"
    organization, customer = enterprise_premium
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_open(
            organization=organization,
            requester=customer,
            subject="Down",
            description="d",
            priority="urgent",
            kind="incident",
            now=TUESDAY,
        )
    assert calls and calls[0][1]["ticket"] == ticket.pk and calls[0][1]["priority"] == "urgent"


def test_customer_of_another_org_cannot_open_or_reply(enterprise, standard):
    organization, _ = enterprise
    _, outsider = standard
    with pytest.raises(PermissionDenied):
        services.ticket_open(organization=organization, requester=outsider, subject="s", description="d")
    assert not Ticket.objects.exists()


# Found in review: deadline moves that must hold after later changes -----------------------------


def test_a_closure_day_after_a_kept_raise_does_not_pull_the_deadline_in(enterprise, support_engineer, admin_user):
    organization, customer = enterprise
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="incident",
        priority="normal",
        now=pt(2026, 12, 1, 8, 0),
    )
    services.ticket_change_priority(
        ticket=ticket, actor=support_engineer, priority="high", reason="worse", now=pt(2026, 12, 1, 16, 0)
    )
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == pt(2026, 12, 2, 8, 0)
    services.closure_day_save(
        actor=admin_user, date=dt.date(2026, 12, 3), action="close", reason="Offsite", now=pt(2026, 12, 1, 17, 0)
    )
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == pt(2026, 12, 2, 8, 0)
    assert ticket.sla_state(now=pt(2026, 12, 1, 17, 0)) == "at_risk"  # 75% of Normal's 12 h, not breached


def test_priority_change_after_the_contract_ended_keeps_working(enterprise, support_engineer):
    organization, customer = enterprise
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="incident",
        priority="high",
        now=pt(2026, 12, 1, 8, 0),
    )
    Contract.objects.filter(organization=organization).update(status=Contract.Status.ENDED)
    services.ticket_change_priority(
        ticket=ticket, actor=support_engineer, priority="low", reason="minor", now=pt(2026, 12, 1, 9, 0)
    )
    ticket.refresh_from_db()
    assert ticket.priority == "low"
    assert ticket.first_response_due_at == pt(2026, 12, 3, 8, 0)  # the ticket keeps its Enterprise policy


def test_lowering_takes_the_at_risk_mark_off_and_warns_again_later(enterprise, support_engineer):
    organization, customer = enterprise
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="incident",
        priority="urgent",
        now=pt(2026, 12, 1, 8, 0),
    )
    assert services.sla_sweep(now=pt(2026, 12, 1, 11, 5))["at_risk"] == 1
    services.ticket_change_priority(
        ticket=ticket, actor=support_engineer, priority="low", reason="workaround", now=pt(2026, 12, 1, 11, 10)
    )
    ticket.refresh_from_db()
    assert ticket.sla_state(now=pt(2026, 12, 1, 11, 10)) == "running"
    assert not SlaAlert.objects.filter(ticket=ticket, kind="at_risk").exists()
    # 75% of 24 business hours from Tue 08:00 is Wed 14:00: the warning comes again, once.
    assert services.sla_sweep(now=pt(2026, 12, 2, 14, 0))["at_risk"] == 1
    assert services.sla_sweep(now=pt(2026, 12, 2, 14, 1))["at_risk"] == 0
