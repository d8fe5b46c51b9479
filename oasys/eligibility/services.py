"""Eligibility checks: build a 270, send it in real time, store the 270 and the 271, read
the 271 into a benefit summary, and record the $0.15 usage fee when the payer answered.

The call to the clearinghouse happens outside any database transaction: the pending check
(with its 270) is committed first, so nothing is lost if the process dies mid-call, and no
row lock is held while a payer takes its time.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from oasys.clearinghouse.connection import clearinghouse_port
from oasys.clearinghouse.port import ClearinghousePort, FinalError, RetryableError
from oasys.clients.errors import refuse
from oasys.clients.models import InsurancePolicy
from oasys.core.audit import AuditContext, audit_record
from oasys.core.models import AuditAction, AuditOutcome, User
from oasys.core.money import money
from oasys.core.sequences import sequence_next
from oasys.core.timezones import practice_today
from oasys.practice.selectors import provider_profile_get
from x12.errors import X12Error
from x12.validate_270 import validate_270

from .benefits import empty_summary, parse_271_text, summarize
from .inquiry import build_270_for, inquiry_problems
from .models import CheckOutcome, CheckSource, EligibilityCheck, FeeKind, UsageFee

log = logging.getLogger(__name__)  # ids and outcomes only: never names, member ids or X12


def eligibility_check_fee() -> Decimal:
    return money(str(getattr(settings, "ELIGIBILITY_CHECK_FEE", "0.15")))


def _audit(
    ctx: AuditContext, check: EligibilityCheck, action: str, *, outcome: str = "success",
    detail: dict[str, Any] | None = None,
) -> None:
    audit_record(
        ctx=ctx,
        action=action,
        category="eligibility",
        outcome=outcome,
        client_id=check.client_id,
        object_type="EligibilityCheck",
        object_id=check.pk,
        detail=detail,
    )


def eligibility_check_run(
    *,
    policy: InsurancePolicy,
    ctx: AuditContext,
    actor: User | None = None,
    source: str = CheckSource.MANUAL,
) -> EligibilityCheck:
    """Check `policy` with its payer now and return the finished check.

    Refuses (ValidationError {field: message}, nothing stored, nothing charged) when the
    policy or the provider information lacks what a payer needs. Otherwise always returns a
    check: active, inactive, unknown, rejected (with what to do), no response (retry) or
    error. Only a check the payer answered is charged.
    """
    client = policy.client
    practice = client.practice
    profile = provider_profile_get(practice=practice)
    problems = inquiry_problems(client=client, policy=policy, profile=profile)
    if problems:
        audit_record(
            ctx=ctx, action=AuditAction.CREATE, category="eligibility",
            outcome=AuditOutcome.FAILURE, client_id=client.pk, object_type="EligibilityCheck",
            detail={"fields": sorted(problems)},
        )
        refuse(problems)
    assert profile is not None

    now = timezone.now()
    with transaction.atomic():
        check = EligibilityCheck.objects.create(
            practice=practice, client=client, policy=policy, payer=policy.payer,
            requested_by=actor, source=source,
        )
        control = sequence_next(name=f"isa:{practice.pk}")
        trace = f"OASYS-E{check.pk}"
        try:
            built = build_270_for(
                practice=practice, client=client, policy=policy, profile=profile,
                control_number=control, trace_number=trace, today=practice_today(practice),
                created=timezone.localtime(now).replace(tzinfo=None, microsecond=0),
            )
            invalid = validate_270(built.x12)
        except X12Error as exc:
            built, invalid = None, [exc]
        check.trace_number = trace
        check.interchange_control_number = control
        if built is None or invalid:
            # Our own input would not make a valid 270: say so instead of sending it.
            check.x12_270 = built.x12 if built else ""
            check.outcome = CheckOutcome.ERROR
            check.message = (
                "The eligibility request could not be built from these details; check the "
                "names and IDs for unusual characters and try again."
            )
            check.summary = empty_summary()
            check.completed_at = now
            check.save()
            _audit(ctx, check, AuditAction.CREATE, outcome=AuditOutcome.FAILURE,
                   detail={"outcome": check.outcome, "stage": "build"})
            return check
        check.x12_270 = built.x12
        check.save()
        _audit(ctx, check, AuditAction.CREATE, detail={"source": source, "stage": "sent"})

    # a person waits on this answer: the short real-time timeout
    return _send(check=check, ctx=ctx, port=clearinghouse_port(realtime=True))


def _send(
    *, check: EligibilityCheck, ctx: AuditContext, port: ClearinghousePort
) -> EligibilityCheck:
    try:
        result = port.check_eligibility(x12=check.x12_270)
    except RetryableError:
        return _finish(
            check, ctx, outcome=CheckOutcome.NO_RESPONSE, reached=False,
            message="The payer did not answer in time. Nothing was charged; try again in a "
                    "few minutes.",
        )
    except FinalError as exc:
        return _finish(
            check, ctx, outcome=CheckOutcome.ERROR, reached=False,
            message=f"The clearinghouse refused the request ({exc.status or 'error'}). "
                    "Nothing was charged. Check the payer and the member ID, then try again.",
        )
    check.transaction_id = (result.transaction_id or "")[:100]
    check.x12_271 = result.x12 or ""
    try:
        response = parse_271_text(result.x12 or "")
    except X12Error:
        response = None
    if response is None:
        return _finish(
            check, ctx, outcome=CheckOutcome.ERROR, reached=False,
            message="The answer from the clearinghouse could not be read. Nothing was "
                    "charged; try again.",
        )
    summary = summarize(response)
    return _finish(check, ctx, summary=summary, **_outcome(summary))


def _outcome(summary: dict[str, Any]) -> dict[str, Any]:
    """(outcome, reached payer, message in words) of a benefit summary."""
    rejections = summary["rejections"]
    if not summary["payer_answered"]:
        return {"outcome": CheckOutcome.NO_RESPONSE, "reached": False,
                "message": "The payer did not answer (its system is busy or down). Nothing "
                           "was charged; try again later."}
    if summary["coverage"] is None and rejections:
        first = rejections[0]
        return {"outcome": CheckOutcome.REJECTED, "reached": True,
                "message": f"The payer could not find this coverage: {first['meaning']}. "
                           f"{first['advice']}"}
    if summary["coverage"] == "inactive":
        return {"outcome": CheckOutcome.INACTIVE, "reached": True,
                "message": "The payer says this coverage is not active. Check the dates on "
                           "the card and ask the client for current insurance; until then "
                           "sessions are self-pay."}
    if summary["coverage"] == "active":
        message = "Coverage is active."
        carve = summary["mental_health"]["carve_out"]
        if carve:
            who = carve.get("name") or "another payer"
            pid = f" (payer ID {carve['payer_id']})" if carve.get("payer_id") else ""
            message += (f" Mental health benefits are handled by {who}{pid}: add that "
                        "payer as the client's insurance for therapy and check it.")
        return {"outcome": CheckOutcome.ACTIVE, "reached": True, "message": message}
    return {"outcome": CheckOutcome.UNKNOWN, "reached": True,
            "message": "The payer answered without saying whether coverage is active."}


def _finish(
    check: EligibilityCheck, ctx: AuditContext, *, outcome: str, reached: bool, message: str,
    summary: dict[str, Any] | None = None,
) -> EligibilityCheck:
    with transaction.atomic():
        check.outcome = outcome
        check.reached_payer = reached
        check.message = message
        check.summary = summary or empty_summary()
        check.completed_at = timezone.now()
        check.save()
        if reached:
            UsageFee.objects.get_or_create(
                eligibility_check=check,
                defaults={"practice_id": check.practice_id, "kind": FeeKind.ELIGIBILITY_CHECK,
                          "amount": eligibility_check_fee()},
            )
        _audit(ctx, check, AuditAction.UPDATE,
               outcome=AuditOutcome.SUCCESS if reached else AuditOutcome.FAILURE,
               detail={"outcome": outcome, "charged": reached})
    log.info("eligibility check %s finished: %s", check.pk, outcome)
    return check
