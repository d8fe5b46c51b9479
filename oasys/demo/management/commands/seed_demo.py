"""`oasys seed-demo`: create the demo practices (idempotent; refused in production)."""

from django.core.management.base import BaseCommand, CommandError

from oasys.demo.seed import DEMO_PASSWORD, GROUP_EMAIL, SOLO_EMAIL, SeedRefused, seed_demo


class Command(BaseCommand):
    help = "Create the demo practices Serenity Counseling and Harbor Group Therapy."

    def handle(self, *args, **options):
        try:
            result = seed_demo()
        except SeedRefused as exc:
            raise CommandError(str(exc)) from exc
        verb = "Created" if result.created else "Already present:"
        self.stdout.write(
            f"{verb} {result.practices} demo practices, {result.clients} clients, "
            f"{result.appointments} sessions."
        )
        self.stdout.write(f"Logins: {SOLO_EMAIL} and {GROUP_EMAIL}, password {DEMO_PASSWORD}")
