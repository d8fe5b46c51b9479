"""Forms parse and render input; the rules live in services, whose messages are attached to
these fields (see errors.form_add_errors), so screens and API refuse the same things."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.urls import reverse_lazy

from oasys.core.addresses import state_choices
from oasys.core.models import Practice
from oasys.core.text import parse_id
from oasys.practice.models import Payer
from oasys.practice.selectors import payer_list, payer_search, service_type_list

from .models import BillingType, Gender, InsurancePolicy, PolicyPriority, Relationship

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
GENDER_CHOICES = [("", "—"), *Gender.choices]


def _required(message: str) -> dict[str, str]:
    return {"required": message}


class ClientFilterForm(forms.Form):
    q = forms.CharField(
        label="Search by name or member ID",
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name or member ID"}),
    )
    billing_type = forms.ChoiceField(
        label="Billing type",
        required=False,
        choices=[("", "All billing types"), *BillingType.choices],
    )


class ClientForm(forms.Form):
    first_name = forms.CharField(
        label="Legal first name",
        max_length=60,
        error_messages=_required("Enter the legal first name."),
        help_text="Exactly as on the insurance card.",
    )
    last_name = forms.CharField(
        label="Legal last name",
        max_length=60,
        error_messages=_required("Enter the legal last name."),
    )
    is_draft = forms.BooleanField(
        label="Draft: has not signed up yet (date of birth and address can wait)", required=False
    )
    billing_type = forms.ChoiceField(
        label="Billing type",
        choices=BillingType.choices,
        initial=BillingType.SELF_PAY,
        help_text="“Not billed” keeps this client's sessions out of Bill Sessions.",
    )
    date_of_birth = forms.DateField(label="Date of birth", required=False, widget=DATE)
    gender = forms.ChoiceField(
        label="Gender",
        required=False,
        choices=GENDER_CHOICES,
        help_text="As on the insurance card; needed for eligibility checks.",
    )
    email = forms.CharField(
        label="Email",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label="Phone",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "(555) 555-0100"}),
    )
    address1 = forms.CharField(
        label="Street address",
        required=False,
        max_length=55,
        help_text="A street address: payers refuse PO boxes.",
    )
    address2 = forms.CharField(label="Apartment, suite", required=False, max_length=55)
    city = forms.CharField(label="City", required=False, max_length=30)
    state = forms.ChoiceField(label="State", required=False, choices=state_choices)
    zip_code = forms.CharField(label="ZIP code", required=False, max_length=10)
    referring_provider_npi = forms.CharField(
        label="Referring provider NPI", required=False, max_length=10, help_text="Optional."
    )

    GROUPS = (
        ("Identity", ("first_name", "last_name", "is_draft", "billing_type")),
        ("Personal details", ("date_of_birth", "gender", "email", "phone")),
        ("Address", ("address1", "address2", "city", "state", "zip_code")),
        ("Referral", ("referring_provider_npi",)),
    )

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.GROUPS]


class DiagnosisAddForm(forms.Form):
    code = forms.CharField(
        label="ICD-10-CM code",
        max_length=10,
        error_messages=_required("Enter an ICD-10-CM code, such as F41.1."),
        widget=forms.TextInput(attrs={
            "placeholder": "A code (F41.1) or words (anxiety)", "autocomplete": "off",
            # htmx: matching codes as one types (clients/_diagnosis_options.html); the
            # form's values (CSRF token included) go with the POST.
            "hx-post": reverse_lazy("clients:diagnosis_options"),
            "hx-trigger": "input changed delay:200ms, search",
            "hx-target": "#diagnosis-options", "hx-sync": "this:replace",
            "aria-controls": "diagnosis-options", "data-diagnosis-input": "",
        }),
        help_text="Type a code or words such as \"anxiety\", then choose a code from the list.",
    )


class PolicyForm(forms.Form):
    payer = forms.ModelChoiceField(
        label="Insurance company",
        queryset=Payer.objects.none(),
        error_messages={
            "required": "Choose the insurance company from the payer directory.",
            "invalid_choice": "Choose the insurance company from the payer directory.",
        },
    )
    priority = forms.ChoiceField(label="Coverage", choices=PolicyPriority.choices)
    member_id = forms.CharField(
        label="Member ID",
        max_length=40,
        error_messages=_required("Enter the member ID exactly as on the insurance card."),
    )
    group_number = forms.CharField(label="Group number", required=False, max_length=40)
    relationship = forms.ChoiceField(
        label="Client's relationship to the subscriber",
        choices=Relationship.choices,
        help_text="“Self” when the client holds the policy.",
    )
    subscriber_first_name = forms.CharField(
        label="Subscriber first name", required=False, max_length=60
    )
    subscriber_last_name = forms.CharField(
        label="Subscriber last name", required=False, max_length=60
    )
    subscriber_date_of_birth = forms.DateField(
        label="Subscriber date of birth", required=False, widget=DATE
    )
    subscriber_gender = forms.ChoiceField(
        label="Subscriber gender", required=False, choices=GENDER_CHOICES
    )
    subscriber_address1 = forms.CharField(label="Street address", required=False, max_length=55)
    subscriber_address2 = forms.CharField(label="Apartment, suite", required=False, max_length=55)
    subscriber_city = forms.CharField(label="City", required=False, max_length=30)
    subscriber_state = forms.ChoiceField(label="State", required=False, choices=state_choices)
    subscriber_zip_code = forms.CharField(label="ZIP code", required=False, max_length=10)
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    POLICY = ("priority", "member_id", "group_number", "relationship", "is_active")
    SUBSCRIBER = (
        "subscriber_first_name",
        "subscriber_last_name",
        "subscriber_date_of_birth",
        "subscriber_gender",
        "subscriber_address1",
        "subscriber_address2",
        "subscriber_city",
        "subscriber_state",
        "subscriber_zip_code",
    )

    def __init__(self, *args: Any, payer_query: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["payer"]
        field.queryset = payer_list()
        # The directory holds thousands of payers: render only the chosen one and the
        # current search results, never the whole list.
        chosen = self.data.get("payer") if self.is_bound else self.initial.get("payer")
        chosen_id = str(getattr(chosen, "pk", chosen) or "")
        options = list(payer_list().filter(pk=chosen_id)) if parse_id(chosen_id) else []
        options += [p for p in payer_search(query=payer_query, min_length=2) if p not in options]
        field.widget.choices = [("", "Search, then choose…")] + [(p.pk, str(p)) for p in options]

    def policy_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.POLICY]

    def subscriber_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.SUBSCRIBER]

    @classmethod
    def initial_for(cls, policy: InsurancePolicy) -> dict[str, Any]:
        names = ("payer", *cls.POLICY, *cls.SUBSCRIBER)
        initial = {name: getattr(policy, name) for name in names}
        initial["payer"] = policy.payer_id
        return initial


class PricingRuleForm(forms.Form):
    service_type = forms.ModelChoiceField(
        label="Service type",
        queryset=None,
        error_messages={
            "required": "Choose one of your service types.",
            "invalid_choice": "Choose one of your service types.",
        },
    )
    price = forms.CharField(
        label="Custom price ($)",
        required=False,
        max_length=14,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "e.g. 120.00"}),
        help_text="Blank keeps the service type's rate; 0 means not billed for this service.",
    )
    cpt_code = forms.CharField(
        label="CPT code",
        required=False,
        max_length=5,
        widget=forms.TextInput(attrs={"placeholder": "e.g. 90837"}),
        help_text="Blank keeps the service type's CPT code.",
    )

    def __init__(
        self, *args: Any, practice: Practice, keep_service_type_id: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Active service types, plus the one an existing rule uses even if since retired.
        options = service_type_list(practice=practice, active_only=True)
        if keep_service_type_id:
            options = service_type_list(practice=practice).filter(
                Q(is_active=True) | Q(pk=keep_service_type_id)
            )
        self.fields["service_type"].queryset = options.order_by("name")
