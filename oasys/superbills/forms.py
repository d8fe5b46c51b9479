from __future__ import annotations

from django import forms

from oasys.core.models import Practice

from .models import SuperbillKind
from .selectors import superbill_client_list


class SuperbillChooseForm(forms.Form):
    """Step 1 of Create Superbill: the period and the clients."""

    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    clients = forms.ModelMultipleChoiceField(queryset=None, label="Clients",
                                             widget=forms.SelectMultiple(attrs={"size": 8}))

    def __init__(self, *args, practice: Practice, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clients"].queryset = superbill_client_list(practice=practice)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The period ends before it starts.")
        return data


class SuperbillCreateForm(SuperbillChooseForm):
    """Step 2: the sessions left ticked and the kind; also what Preview posts."""

    kind = forms.ChoiceField(choices=SuperbillKind.choices, widget=forms.RadioSelect,
                             initial=SuperbillKind.CONSOLIDATED)
    sessions = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True,
                                              error_messages={"required": "Tick at least one "
                                                              "session."})

    def __init__(self, *args, session_ids: list[int] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sessions"].choices = [(i, i) for i in (session_ids or [])]
