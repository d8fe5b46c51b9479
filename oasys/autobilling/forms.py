"""The auto-billing settings form. It only gathers the fields: the service
(autobilling_settings_update) decides what is valid, and its refusals are put beside them."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import DEFAULT_CUTOFF_HOUR, AutoBillingSettings
from .services import BACKFILL_ALL, BACKFILL_NONE, BACKFILL_SINCE
from .words import hour_choices

BACKFILL_CHOICES = [
    (BACKFILL_ALL, "Bill all past unbilled Ready items"),
    (BACKFILL_SINCE, "Bill past Ready items since a date"),
    (BACKFILL_NONE, "Start from now (only sessions from today on)"),
]


class AutoBillingSettingsForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Bill Ready items automatically every night")
    cutoff_hour = forms.TypedChoiceField(label="Cutoff hour", coerce=int,
                                         choices=hour_choices(), initial=DEFAULT_CUTOFF_HOUR)
    backfill = forms.ChoiceField(label="When turning it on", choices=BACKFILL_CHOICES,
                                 initial=BACKFILL_ALL, required=False,
                                 widget=forms.RadioSelect)
    # A text field (a date input in the browser): the service checks the date and says why.
    backfill_from = forms.CharField(label="Since", required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, current: AutoBillingSettings, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"enabled": current.enabled,
                                      "cutoff_hour": current.cutoff_hour})
        super().__init__(*args, **kwargs)
        self.current = current

    def service_data(self) -> dict[str, Any]:
        """The service's `data`: the backfill choice only when auto-billing is being turned
        on (afterwards the runs keep what was chosen then)."""
        data: dict[str, Any] = {"enabled": self.cleaned_data["enabled"],
                                "cutoff_hour": self.cleaned_data["cutoff_hour"]}
        if data["enabled"] and not self.current.enabled:
            data["backfill"] = self.cleaned_data["backfill"] or BACKFILL_ALL
            if data["backfill"] == BACKFILL_SINCE:
                data["backfill_from"] = self.cleaned_data["backfill_from"]
        return data
