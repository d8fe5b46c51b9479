from __future__ import annotations

from urllib.parse import urlencode

from django import forms

from oasys.clients.models import InsurancePolicy
from oasys.core.models import Practice
from oasys.practice.models import Clinician, Payer

from .reasons import MESSAGES
from .selectors import QueueFilters


class QueueFilterForm(forms.Form):
    clinician = forms.ModelChoiceField(queryset=Clinician.objects.none(), required=False,
                                       empty_label="All clinicians")
    client = forms.IntegerField(required=False, widget=forms.HiddenInput)
    payer = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=[])
    date_from = forms.DateField(required=False, label="From",
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To",
                              widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.ChoiceField(required=False, choices=[("", "All reasons")] + [
        (code, message) for code, (message, _) in MESSAGES.items()])

    def __init__(self, *args, practice: Practice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = Clinician.objects.filter(practice=practice)
        accepted = Payer.objects.filter(
            pk__in=practice_payer_ids(practice)
        ).order_by("name")
        self.fields["payer"].choices = [("", "All payers"), (0, "Self-pay")] + [
            (p.pk, p.name) for p in accepted
        ]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def query_string(self) -> str:
        """The valid filters as a query string, to come back to the same list."""
        if not self.is_valid():
            return ""
        keep = {k: self.data.get(k) for k in ("clinician", "client", "payer", "date_from",
                                               "date_to") if self.data.get(k)}
        return urlencode(keep)

    def filters(self) -> QueueFilters:
        if not self.is_valid():
            return QueueFilters()
        d = self.cleaned_data
        return QueueFilters(
            clinician_id=d["clinician"].pk if d.get("clinician") else None,
            client_id=d.get("client"),
            payer_id=d.get("payer"),
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
            reason=d.get("reason") or "",
        )


def practice_payer_ids(practice: Practice) -> list[int]:
    return list(
        InsurancePolicy.objects.filter(practice=practice, payer__isnull=False)
        .values_list("payer_id", flat=True).distinct()
    )
