from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from oasys.appointments.forms import DATE, ClientChoiceField
from oasys.clients.selectors import client_list
from oasys.core.formats import payer_name_text
from oasys.core.models import Practice
from oasys.practice.models import AcceptedPayer, Payer
from oasys.practice.selectors import clinician_list

from .models import Claim
from .status import ClaimStatus


class AppealForm(forms.Form):
    reason = forms.CharField(
        label="Why the denial is wrong",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="This text goes into the appeal letter.",
        min_length=10,
        error_messages={"required": "Say why the denial is wrong.",
                        "min_length": "Say why the denial is wrong (at least a sentence)."},
    )
    filed_on = forms.DateField(label="Filed on", required=False,
                               widget=forms.DateInput(attrs={"type": "date"}),
                               help_text="Leave empty for today.")
    contact = forms.CharField(label="Contact for the payer", required=False, max_length=200,
                              help_text="Name and phone the payer can call about the appeal.")


class WriteOffForm(forms.Form):
    reason = forms.CharField(label="Why write it off", max_length=300,
                             error_messages={"required": "Say why this claim is written off."})


class ReplacementForm(forms.Form):
    """The corrected claim: claim-level fields, one row per service line, and rows for the
    records sent with it. Fields are text: replacement.py checks them (the API sends the
    same), so the screen and the API refuse the same input with the same words."""

    diagnoses = forms.CharField(
        label="Diagnoses (ICD-10-CM, in order)", max_length=200,
        help_text="Separate codes with commas, the primary first: F41.1, F33.1",
        error_messages={"required": "A claim needs at least one diagnosis."})
    service_date = forms.DateField(
        label="Date of service", widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Enter the date of service.",
                        "invalid": "Enter the date of service as a date."})
    prior_authorization = forms.CharField(label="Prior authorization number", required=False,
                                          max_length=50)
    note = forms.CharField(
        label="Note to the payer", required=False, max_length=200,
        widget=forms.TextInput(attrs={"maxlength": 80}),
        help_text="Up to 80 characters, sent in the claim (NTE), e.g. what was corrected.")

    def __init__(self, *args, line_numbers: list[int], attachment_rows: int,
                 attachment_types: dict[str, str], transmissions: dict[str, str],
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.line_numbers = line_numbers
        for n in line_numbers:
            self.fields[f"line_{n}_procedure_code"] = forms.CharField(
                label=f"Line {n} CPT", max_length=12,
                error_messages={"required": "Enter the CPT code."})
            self.fields[f"line_{n}_modifiers"] = forms.CharField(
                label=f"Line {n} modifiers", required=False, max_length=40)
            self.fields[f"line_{n}_units"] = forms.CharField(
                label=f"Line {n} units", max_length=12,
                error_messages={"required": "Enter the units."})
            self.fields[f"line_{n}_charge"] = forms.CharField(
                label=f"Line {n} charge", max_length=16,
                error_messages={"required": "Enter the charge."})
        self.attachment_numbers = list(range(1, attachment_rows + 1))
        for n in self.attachment_numbers:
            self.fields[f"attachment_{n}_report_type"] = forms.ChoiceField(
                label="What it is", required=False,
                choices=[("", "—")] + [(k, f"{v} ({k})") for k, v in attachment_types.items()])
            self.fields[f"attachment_{n}_transmission"] = forms.ChoiceField(
                label="How it is sent", required=False,
                choices=[("", "—")] + list(transmissions.items()))
            self.fields[f"attachment_{n}_control_number"] = forms.CharField(
                label="Attachment control number", required=False, max_length=60)

    def line_rows(self) -> list[dict]:
        return [{"number": n, "cells": [self[f"line_{n}_{k}"] for k in
                                        ("procedure_code", "modifiers", "units", "charge")]}
                for n in self.line_numbers]

    def attachment_rows(self) -> list[dict]:
        return [{"number": n, "cells": [self[f"attachment_{n}_{k}"] for k in
                                        ("report_type", "transmission", "control_number")]}
                for n in self.attachment_numbers]
class PayerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return payer_name_text(obj.name)


def _iso_date_field(label: str) -> forms.DateField:
    """An optional YYYY-MM-DD filter date (the query names the home page links with)."""
    return forms.DateField(label=label, required=False, widget=DATE, input_formats=["%Y-%m-%d"],
                           error_messages={"invalid": "Give a date as YYYY-MM-DD."})


class ClaimFilterForm(forms.Form):
    """The claims list's filters, from GET, under the names other pages link with:
    status (repeatable), payer, clinician, client (ids), dos_from/dos_to and
    submitted_from/submitted_to (YYYY-MM-DD), age_min (days since submitted). A bad value is
    an error on its field, never ignored."""

    FIELDS = ("status", "payer", "clinician", "client", "dos_from", "dos_to", "submitted_from",
              "submitted_to", "age_min")

    status = forms.MultipleChoiceField(
        label="Status", required=False, choices=ClaimStatus.choices,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        error_messages={"invalid_choice": "%(value)s is not a claim status."})
    payer = PayerChoiceField(
        label="Payer", queryset=None, required=False, empty_label="All payers",
        error_messages={"invalid_choice": "No such payer on this practice's claims."})
    clinician = forms.ModelChoiceField(
        label="Clinician", queryset=None, required=False, empty_label="All clinicians",
        error_messages={"invalid_choice": "No such clinician in this practice."})
    client = ClientChoiceField(
        label="Client", queryset=None, required=False, empty_label="All clients",
        error_messages={"invalid_choice": "No such client in this practice."})
    dos_from = _iso_date_field("Service from")
    dos_to = _iso_date_field("Service to")
    submitted_from = _iso_date_field("Submitted from")
    submitted_to = _iso_date_field("Submitted to")
    age_min = forms.IntegerField(
        label="Submitted over (days)", required=False, min_value=0, max_value=3650,
        widget=forms.NumberInput(attrs={"placeholder": "e.g. 30"}),
        error_messages={"invalid": "Give the age as a whole number of days.",
                        "min_value": "The age cannot be negative.",
                        "max_value": "Give an age of at most 3650 days."})

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # payers the practice accepts or has billed: the directory is shared by every practice
        self.fields["payer"].queryset = Payer.objects.filter(
            Q(pk__in=AcceptedPayer.objects.filter(practice=practice).values("payer_id"))
            | Q(pk__in=Claim.objects.filter(practice=practice).values("payer_id"))
        ).order_by("name")
        self.fields["clinician"].queryset = clinician_list(practice=practice).order_by()
        self.fields["client"].queryset = client_list(practice=practice).order_by(
            "last_name", "first_name")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for start, end in (("dos_from", "dos_to"), ("submitted_from", "submitted_to")):
            if data.get(start) and data.get(end) and data[end] < data[start]:
                self.add_error(end, "The end of the range is before its start.")
        return data

    def filters(self) -> dict[str, Any]:
        """The selector's keyword arguments (call after is_valid())."""
        d = self.cleaned_data
        return {
            "statuses": list(d.get("status") or []),
            "payer_id": d["payer"].pk if d.get("payer") else None,
            "clinician_id": d["clinician"].pk if d.get("clinician") else None,
            "client_id": d["client"].pk if d.get("client") else None,
            "dos_from": d.get("dos_from"), "dos_to": d.get("dos_to"),
            "submitted_from": d.get("submitted_from"), "submitted_to": d.get("submitted_to"),
            "age_min": d.get("age_min"),
        }

    def error_dict(self) -> dict[str, str]:
        """{field: message}, the API's 422 body (and the export's refusal)."""
        return {name: " ".join(str(m) for m in msgs) for name, msgs in self.errors.items()}


class SavedFilterForm(forms.Form):
    name = forms.CharField(label="Name this filter", max_length=60,
                           error_messages={"required": "Give the filter a name."})
