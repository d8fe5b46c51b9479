from __future__ import annotations

from django import forms


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
