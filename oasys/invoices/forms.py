"""The Manage Invoices forms. They only read what was typed; the services decide what is
allowed (amounts, dates, retry days, due terms) and say why not."""

from __future__ import annotations

from django import forms

from oasys.core.formats import date_text
from oasys.core.models import Practice
from oasys.core.money import dollars_text

from .models import (
    MANUAL_METHODS,
    InvoiceGrouping,
    InvoiceKind,
    InvoiceSettings,
    InvoiceStatus,
)
from .selectors import invoice_client_list


class InvoiceFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "All"), *InvoiceStatus.choices],
                               widget=forms.HiddenInput)
    q = forms.CharField(required=False, label="Search", max_length=100,
                        widget=forms.TextInput(attrs={
                            "type": "search", "placeholder": "Invoice number or client name"}))
    client = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=[],
                                    label="Client")
    kind = forms.ChoiceField(required=False, label="Kind",
                             choices=[("", "All kinds"), *InvoiceKind.choices])
    issued_from = forms.DateField(required=False, label="Issued from",
                                  widget=forms.DateInput(attrs={"type": "date"}))
    issued_to = forms.DateField(required=False, label="Issued to",
                                widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, practice: Practice, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].choices = [("", "All clients")] + [
            (c.pk, f"{c.last_name}, {c.first_name}")
            for c in invoice_client_list(practice=practice)]

    def clean(self):
        data = super().clean()
        if data.get("issued_from") and data.get("issued_to") and \
                data["issued_from"] > data["issued_to"]:
            self.add_error("issued_to", "The end date is before the start date.")
        return data

    EMPTY = {"status": "", "kind": "", "client_id": None, "issued_from": None,  # noqa: RUF012
             "issued_to": None, "query": ""}

    def filters(self) -> dict:
        """The selector's keyword arguments (a field typed wrongly filters nothing)."""
        data = self.cleaned_data if self.is_valid() else {
            k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        return {"status": data.get("status") or "", "kind": data.get("kind") or "",
                "client_id": data.get("client"), "issued_from": data.get("issued_from"),
                "issued_to": data.get("issued_to"), "query": data.get("q") or ""}


class InvoiceSettingsForm(forms.Form):
    due_days = forms.CharField(
        label="Payment due (days after the invoice date)", max_length=3,
        help_text="0 means due on receipt; at most 90.",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    retry_days = forms.CharField(
        label="Retry a declined card on days", max_length=40,
        help_text="Days after the first attempt, ascending, at most 5 (e.g. 3, 5, 7). After "
                  "the last one fails the invoice is marked uncollectible.")
    grouping = forms.ChoiceField(label="When billing sessions", choices=InvoiceGrouping.choices,
                                 widget=forms.RadioSelect)
    email_receipts = forms.BooleanField(label="Email a receipt when a payment succeeds",
                                        required=False)

    @classmethod
    def initial_for(cls, settings: InvoiceSettings) -> dict:
        return {"due_days": str(settings.due_days),
                "retry_days": ", ".join(str(d) for d in settings.retry_days),
                "grouping": settings.grouping, "email_receipts": settings.email_receipts}


# --- the invoice page's actions ------------------------------------------------------------
class _TokenForm(forms.Form):
    """A form that creates a row carries the uuid it was rendered with: the same form posted
    twice (a double click, the back button) records once."""

    token = forms.UUIDField(widget=forms.HiddenInput)


class RecordPaymentForm(_TokenForm):
    # typed text: the service reads the amount and says what is wrong with it
    amount = forms.CharField(label="Amount", max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    method = forms.ChoiceField(label="Method", choices=[
        (m.value, m.label) for m in MANUAL_METHODS])
    received_on = forms.DateField(label="Received on",
                                  widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label="Reference (check number…)", max_length=80,
                                required=False)
    note = forms.CharField(label="Note", max_length=200, required=False)


class RefundForm(_TokenForm):
    amount = forms.CharField(label="Amount", max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    reason = forms.CharField(label="Reason", max_length=200)
    payment_id = forms.TypedChoiceField(label="Payment", coerce=int, required=False,
                                        empty_value=None, choices=[])

    def __init__(self, *args, payments=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment_id"].choices = [
            ("", "The latest payment with money left (card payments first)")] + [
            (p.pk, f"{p.get_method_display()} {dollars_text(p.amount)} on "
                   f"{date_text(p.received_on)}")
            for p in payments]


class MarkUncollectibleForm(forms.Form):
    reason = forms.CharField(label="Why it cannot be collected", max_length=200)


class VoidForm(forms.Form):
    reason = forms.CharField(label="Reason (optional)", max_length=200, required=False)


class RequestPaymentMethodForm(forms.Form):
    charge_open_invoices = forms.BooleanField(
        label="Charge the client's open invoices once the card is saved", required=False)
