"""Forms of the insurance wizard's screens. They only parse and render: every rule is in
wizard.step_clean (shared with the API), whose messages are attached to these fields."""

from __future__ import annotations

from typing import Any

from django import forms

from oasys.clients.forms import DATE, GENDER_CHOICES
from oasys.clients.models import Relationship
from oasys.core.addresses import state_choices
from oasys.practice.models import Payer

IMAGE = forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/heic"})


def _char(label: str, **kw: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, **kw)


class InsuranceStepForm(forms.Form):
    payer = forms.ChoiceField(label="Insurance company", required=False)
    member_id = _char("Member ID", max_length=40, help_text="Exactly as on the card.")
    group_number = _char("Group number", max_length=40)
    relationship = forms.ChoiceField(label="Client's relationship to the subscriber",
                                     choices=Relationship.choices, required=False,
                                     help_text="“Self” when the client holds the policy.")
    card_front = forms.FileField(label="Card photo, front", required=False, widget=IMAGE,
                                 help_text="Optional. JPEG, PNG or WebP, up to 5 MB.")
    card_back = forms.FileField(label="Card photo, back", required=False, widget=IMAGE)
    has_secondary = forms.BooleanField(label="The client also has secondary insurance",
                                       required=False)
    secondary_payer = forms.ChoiceField(label="Secondary insurance company", required=False)
    secondary_member_id = _char("Secondary member ID", max_length=40)
    secondary_group_number = _char("Secondary group number", max_length=40)
    secondary_relationship = forms.ChoiceField(
        label="Client's relationship to the secondary subscriber",
        choices=Relationship.choices, required=False)

    PRIMARY = ("member_id", "group_number", "relationship")
    CARDS = ("card_front", "card_back")
    SECONDARY = ("secondary_payer", "secondary_member_id", "secondary_group_number",
                 "secondary_relationship")

    def __init__(self, *args: Any, payers: list[Payer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Choose one of your accepted payers…")] + [
            (str(p.pk), str(p)) for p in payers]
        self.fields["payer"].choices = choices
        self.fields["secondary_payer"].choices = choices

    def section(self, names: tuple[str, ...]) -> list[forms.BoundField]:
        return [self[n] for n in names]

    def primary_fields(self) -> list[forms.BoundField]:
        return self.section(self.PRIMARY)

    def card_fields(self) -> list[forms.BoundField]:
        return self.section(self.CARDS)

    def secondary_fields(self) -> list[forms.BoundField]:
        return self.section(self.SECONDARY)


class ClientStepForm(forms.Form):
    first_name = _char("First name", max_length=60, help_text="Exactly as on the insurance card.")
    last_name = _char("Last name", max_length=60, help_text="Exactly as on the insurance card.")
    gender = forms.ChoiceField(label="Gender", choices=GENDER_CHOICES, required=False,
                               help_text="As on the card: required to verify coverage.")
    date_of_birth = _char("Date of birth", widget=DATE)


def _person_fields(prefix: str, title: str) -> dict[str, forms.Field]:
    return {
        f"{prefix}first_name": _char(f"{title} first name", max_length=60),
        f"{prefix}last_name": _char(f"{title} last name", max_length=60),
        f"{prefix}date_of_birth": _char(f"{title} date of birth", widget=DATE),
        f"{prefix}gender": forms.ChoiceField(label=f"{title} gender", choices=GENDER_CHOICES,
                                             required=False),
        f"{prefix}address1": _char("Street address", max_length=55,
                                   help_text="A street address: payers refuse PO boxes."),
        f"{prefix}address2": _char("Apartment, suite", max_length=55),
        f"{prefix}city": _char("City", max_length=30),
        f"{prefix}state": forms.ChoiceField(label="State", choices=state_choices,
                                            required=False),
        f"{prefix}zip_code": _char("ZIP code", max_length=10),
    }


class SubscriberStepForm(forms.Form):
    def __init__(self, *args: Any, primary: bool, secondary: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.blocks: list[tuple[str, list[str]]] = []
        for needed, prefix, title in ((primary, "subscriber_", "Subscriber"),
                                      (secondary, "secondary_subscriber_",
                                       "Secondary subscriber")):
            if needed:
                fields = _person_fields(prefix, title)
                self.fields.update(fields)
                self.blocks.append((title, list(fields)))

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[n] for n in names]) for title, names in self.blocks]


class AddressStepForm(forms.Form):
    address1 = _char("Street address", max_length=55,
                     help_text="As on the insurance records. No PO boxes.")
    address2 = _char("Apartment, suite", max_length=55)
    city = _char("City", max_length=30)
    state = forms.ChoiceField(label="State", choices=state_choices, required=False)
    zip_code = _char("ZIP code", max_length=10)
    referring_provider_npi = _char("Referring provider NPI", max_length=10,
                                   help_text="Optional. The 10-digit NPI; its check digit is "
                                             "verified.")
