"""The operator's practice tools.

    oasys practice create --name "Calm Waters Therapy" --owner-email ana@example.com
        [--owner-name "Ana Ruiz"] [--time-zone America/Chicago]
    oasys practice link --email ana@example.com
    oasys practice list
    oasys practice suspend SLUG | reactivate SLUG
    oasys practice export SLUG [--out FILE.zip]
    oasys practice invite-signup --email ana@example.com

`create` makes the practice and its owner (no password yet) and prints a one-time link for
the owner to choose a password (valid a week); `link` prints a fresh one, e.g. when the first
expired. Send the link to the owner yourself: it is a key to the account. `list`, `suspend`,
`reactivate` and `export` do what the operator console (/operator/) does, audited the same
way; deleting a practice is done from the console (it asks for the slug and waits out the
grace period). `invite-signup` prints a sign-up link for one address (OASYS_SIGNUP=invite or
open; a week): the person names their practice and chooses a password themselves, then
confirms the address."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.utils import timezone

from oasys.accounts.links import MAX_AGE_SECONDS, set_password_url
from oasys.accounts.services import DEFAULT_TIME_ZONE, practice_onboard
from oasys.accounts.signup import INVITE_DAYS, signup_invite_url
from oasys.core.audit import AuditContext
from oasys.core.errors import DomainError, InvalidInput
from oasys.core.feedback import error_text
from oasys.core.models import Practice, User
from oasys.operator.selectors import practices_overview
from oasys.operator.services import practice_export, practice_reactivate, practice_suspend

CLI = AuditContext.system(practice_id=None, source="cli")


class Command(BaseCommand):
    help = ("Operator tools: create a practice with its owner, print a set-password link, "
            "list, suspend, reactivate or export practices.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a new practice and its owner")
        create.add_argument("--name", required=True, help="the practice's name")
        create.add_argument("--owner-email", required=True)
        create.add_argument("--owner-name", default="", help='"First Last"')
        create.add_argument("--time-zone", default=DEFAULT_TIME_ZONE,
                            help=f"IANA zone of the practice (default {DEFAULT_TIME_ZONE})")
        link = sub.add_parser("link", help="a fresh set-password link for a user")
        link.add_argument("--email", required=True)
        sub.add_parser("list", help="every practice: users, last activity, storage, status")
        for name, text in (("suspend", "its users can no longer log in or use the API"),
                           ("reactivate", "undo a suspension")):
            sub.add_parser(name, help=text).add_argument("slug")
        export = sub.add_parser("export", help="a zip of the practice's tables and EDI files")
        export.add_argument("slug")
        export.add_argument("--out", help="where to write it (default oasys-SLUG-DATE.zip)")
        invite = sub.add_parser("invite-signup", help="a sign-up link for one address")
        invite.add_argument("--email", required=True)

    def handle(self, *args, **opts) -> None:
        action = opts["action"]
        if action in ("create", "link"):
            return self._onboard(opts)
        if action == "list":
            return self._list()
        if action == "invite-signup":
            return self._invite_signup(opts["email"])
        practice = Practice.objects.filter(slug=opts["slug"]).first()
        if practice is None:
            raise CommandError(f"No practice with slug {opts['slug']!r}.")
        try:
            if action == "suspend":
                practice_suspend(practice=practice, ctx=CLI)
                self.stdout.write(f"Suspended {practice.slug}: its users cannot log in.")
            elif action == "reactivate":
                practice_reactivate(practice=practice, ctx=CLI)
                self.stdout.write(f"Reactivated {practice.slug}.")
            else:
                path = Path(opts["out"] or
                            f"oasys-{practice.slug}-{timezone.localdate():%Y%m%d}.zip")
                with path.open("wb") as out:
                    counts = practice_export(practice=practice, out=out, ctx=CLI)
                self.stdout.write(f"Wrote {path}: {sum(counts.values())} rows in "
                                  f"{len(counts)} tables. It holds client data: keep it safe.")
        except DomainError as exc:
            raise CommandError(error_text(exc)) from None
        return None

    def _list(self) -> None:
        self.stdout.write(f"{'slug':<24} {'status':<19} {'users':>5} {'storage':>10}  "
                          "last activity")
        for row in practices_overview():
            seen = row.last_activity
            self.stdout.write(
                f"{row.practice.slug:<24} {row.status:<19} {row.active_users:>5} "
                f"{row.storage_bytes:>10}  {seen.isoformat(timespec='minutes') if seen else '-'}")

    def _onboard(self, opts: dict) -> None:
        days = MAX_AGE_SECONDS // 86400
        if opts["action"] == "create":
            first, _, last = opts["owner_name"].strip().partition(" ")
            try:
                practice, owner = practice_onboard(
                    name=opts["name"], owner_email=opts["owner_email"],
                    owner_first_name=first, owner_last_name=last,
                    time_zone=opts["time_zone"], ctx=CLI)
            except InvalidInput as exc:
                raise CommandError(" ".join(exc.errors.values())) from None
            self.stdout.write(f"Created practice {practice.name!r} (slug {practice.slug}, "
                              f"time zone {practice.timezone}) with owner {owner.email}.")
        else:
            owner = User.objects.filter(email__iexact=opts["email"].strip(),
                                        is_active=True).first()
            if owner is None:
                raise CommandError(f"No active user with email {opts['email']!r}.")
        self.stdout.write(f"Link for {owner.email} to choose a password (works once, for "
                          f"{days} days):")
        self.stdout.write(set_password_url(user=owner))

    def _invite_signup(self, raw: str) -> None:
        email = raw.strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"Not an email address: {raw!r}.") from None
        if settings.OASYS_SIGNUP == "closed":
            raise CommandError("Sign-up is closed (OASYS_SIGNUP=closed): set OASYS_SIGNUP=invite "
                               "first, or use `oasys practice create`.")
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"{email} has an Oasys account already.")
        self.stdout.write(f"Sign-up link for {email} (works for {INVITE_DAYS} days; send it "
                          "to them yourself):")
        self.stdout.write(signup_invite_url(email=email))
