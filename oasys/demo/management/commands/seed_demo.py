"""`oasys seed-demo`: create the demo practices (idempotent; refused in production).
`--payments` also seeds the Stripe side on the running Stripe stand-in, `--eras` a few claims
answered by the running clearinghouse simulator with posted ERAs (`oasys demo` does both)."""

import logging

import httpx
from django.core.management.base import BaseCommand, CommandError

from oasys.demo.eras import seed_demo_eras
from oasys.demo.seed import (
    DEMO_PASSWORD,
    GROUP_EMAIL,
    SOLO_EMAIL,
    PaymentsSeedResult,
    SeedRefused,
    seed_demo,
    seed_demo_payments,
)
from oasys.payments.port import PaymentsError


class Command(BaseCommand):
    help = "Create the demo practices Serenity Counseling and Harbor Group Therapy."

    def add_arguments(self, parser):
        parser.add_argument("--payments", action="store_true",
                            help="also seed Serenity's Stripe account and cards on the running "
                                 "Stripe stand-in (STRIPE_API_BASE)")
        parser.add_argument("--eras", action="store_true",
                            help="also bill a few of Serenity's claims to the running "
                                 "clearinghouse simulator and post its ERAs "
                                 "(CLEARINGHOUSE_BASE_URL)")

    def handle(self, *args, **options):
        if options["payments"]:
            # the SDK logs each request at INFO; the summary below says what was made
            logging.getLogger("stripe").setLevel(logging.WARNING)
        try:
            result = seed_demo()
            paid = _payments_seed() if options["payments"] else None
            eras = seed_demo_eras() if options["eras"] else None
        except SeedRefused as exc:
            raise CommandError(str(exc)) from exc
        verb = "Created" if result.created else "Already present:"
        self.stdout.write(
            f"{verb} {result.practices} demo practices, {result.clients} clients, "
            f"{result.appointments} sessions."
        )
        if paid is not None:
            payments_report(self, paid)
        if eras is not None and eras.warning:
            self.stderr.write(self.style.WARNING(f"Warning: {eras.warning}"))
        elif eras is not None:
            self.stdout.write(f"Serenity's ERAs: {eras.remittances} posted, ${eras.client_share} "
                              "of client shares (auto-billing invoices what is not invoiced "
                              "yet).")
        self.stdout.write(f"Logins: {SOLO_EMAIL} and {GROUP_EMAIL}, password {DEMO_PASSWORD}")


def _payments_seed() -> PaymentsSeedResult:
    """The Stripe side; a stand-in that fails midway leaves a warning, not a dead demo (the
    practices are seeded, and running it again finishes the job)."""
    try:
        return seed_demo_payments()
    except (PaymentsError, httpx.HTTPError) as exc:
        return PaymentsSeedResult(warning=f"seeding the Stripe side stopped ({exc}); run "
                                          "`oasys seed-demo --payments` again to finish it")


def payments_report(command: BaseCommand, paid: PaymentsSeedResult) -> None:
    """What the Stripe side of the demo holds, or a warning saying why it was not seeded."""
    if paid.account_id:
        again = " (the stand-in had lost it: made again)" if paid.reseeded else ""
        command.stdout.write(f"Serenity's Stripe account {paid.account_id} is {paid.status}"
                             f"{again}; Harbor is not connected.")
        for name, brand, last4, note in paid.cards:
            card = f"{brand} •••• {last4}" if last4 else "no card"
            command.stdout.write(f"  card on file: {name}: {card} ({note})")
    if paid.invoices:
        counts = ", ".join(f"{n} {status}" for status, n in paid.invoices.items() if n)
        command.stdout.write(f"Serenity's invoices: {counts}.")
    if paid.warning:
        command.stderr.write(command.style.WARNING(f"Warning: {paid.warning}"))
