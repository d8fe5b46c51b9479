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
