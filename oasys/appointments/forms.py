"""Forms parse and render; scheduling rules live in services.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from oasys.clients.models import Client
from oasys.clients.selectors import client_list
from oasys.core.codes import place_of_service_choices
from oasys.core.models import Practice
from oasys.practice.selectors import clinician_list, service_type_list

from .models import Appointment, AppointmentStatus

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ClientChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Client) -> str:
        return f"{obj.last_name}, {obj.first_name}" + (" (draft)" if obj.is_draft else "")


class AppointmentFilterForm(forms.Form):
    clinician = forms.ModelChoiceField(
        label="Clinician", queryset=None, required=False, empty_label="All clinicians"
    )
    client = ClientChoiceField(
        label="Client", queryset=None, required=False, empty_label="All clients"
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *AppointmentStatus.choices]
    )
    date_from = forms.DateField(label="From", required=False, widget=DATE)
    date_to = forms.DateField(label="To", required=False, widget=DATE)

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = clinician_list(practice=practice).order_by()
        self.fields["client"].queryset = client_list(practice=practice).order_by(
            "last_name", "first_name"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end of the range is before its start.")
        return data


class AppointmentForm(forms.Form):
    client = ClientChoiceField(
        label="Client",
        queryset=None,
        error_messages={"required": "Choose one of your clients."},
    )
    clinician = forms.ModelChoiceField(
        label="Clinician",
        queryset=None,
        error_messages={"required": "Choose one of your active clinicians."},
    )
    service_type = forms.ModelChoiceField(
        label="Service type",
        queryset=None,
        error_messages={"required": "Choose one of your active service types."},
    )
    start = forms.DateTimeField(
        label="Starts",
        widget=DATETIME,
        error_messages={"required": "Enter when the session starts."},
    )
    end = forms.DateTimeField(
        label="Ends",
        required=False,
        widget=DATETIME,
        help_text="Leave blank to use the service type's duration.",
    )
    place_of_service = forms.ChoiceField(
        label="Place of service",
        required=False,
        help_text="Leave as is to use the service type's.",
    )
    modifiers = forms.CharField(
        label="Modifiers",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "e.g. 95, HO"}),
        help_text="Up to 4, comma separated. Blank on a new session uses the service type's.",
    )

    def __init__(
        self, *args: Any, practice: Practice, appointment: Appointment | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        clinicians = clinician_list(practice=practice, active_only=True)
        service_types = service_type_list(practice=practice, active_only=True)
        if appointment is not None:
            # An existing session keeps its clinician and service type even if since retired.
            clinicians = clinician_list(practice=practice).filter(
                Q(is_active=True) | Q(pk=appointment.clinician_id)
            )
            service_types = service_type_list(practice=practice).filter(
                Q(is_active=True) | Q(pk=appointment.service_type_id)
            )
        self.fields["client"].queryset = client_list(practice=practice).order_by(
            "last_name", "first_name"
        )
        self.fields["clinician"].queryset = clinicians.order_by("last_name", "first_name")
        self.fields["service_type"].queryset = service_types.order_by("name")
        self.fields["place_of_service"].choices = [
            ("", "Service type's default"),
            *place_of_service_choices(),
        ]

    def service_data(self, *, creating: bool) -> dict[str, Any]:
        """cleaned_data as the services take it: blank optional fields mean "default"."""
        data = dict(self.cleaned_data)
        if creating and not data.get("modifiers"):
            data["modifiers"] = None
        return data

    @staticmethod
    def initial_for(appointment: Appointment) -> dict[str, Any]:
        return {
            "client": appointment.client_id,
            "clinician": appointment.clinician_id,
            "service_type": appointment.service_type_id,
            "start": appointment.start,
            "end": appointment.end,
            "place_of_service": appointment.place_of_service,
            "modifiers": appointment.modifiers,
        }


class CalendarForm(forms.Form):
    """The calendar's GET parameters. Every one is optional and a bad one is reported and
    replaced by its default (`choice`), so the page always shows a calendar."""

    view = forms.ChoiceField(label="View", required=False,
                             choices=[("week", "Week"), ("day", "Day")])
    date = forms.DateField(label="Date", required=False, widget=DATE,
                           input_formats=["%Y-%m-%d"],
                           error_messages={"invalid": "Enter the date as YYYY-MM-DD, "
                                                      "like 2026-12-03."})
    clinician = forms.ModelChoiceField(
        label="Clinician", queryset=None, required=False, empty_label="All clinicians",
        error_messages={"invalid_choice": "Choose one of your practice's clinicians."},
    )

    FIRST_YEAR, LAST_YEAR = 2000, 2100  # beyond: a typo (and year 9999 would overflow)

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = clinician_list(practice=practice)

    def clean_date(self) -> Any:
        value = self.cleaned_data.get("date")
        if value and not (self.FIRST_YEAR <= value.year <= self.LAST_YEAR):
            raise forms.ValidationError(
                f"Choose a date between {self.FIRST_YEAR} and {self.LAST_YEAR}.")
        return value

    def problems(self) -> list[str]:
        """What was wrong with the parameters, as sentences for the top of the page."""
        self.is_valid()
        names = {"view": "View", "date": "Date", "clinician": "Clinician"}
        return [f"{names.get(name, name)}: {' '.join(errors)} Showing the default instead."
                for name, errors in self.errors.items()]

    def choice(self, *, own_clinician: Any, today: Any) -> tuple[str, Any, Any]:
        """(view, anchor date, clinician or None for all): the valid parameters, else the
        defaults: this week, and the user's own calendar when they are a clinician and did
        not ask for another (an empty `clinician` asks for all)."""
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        view = data.get("view") or "week"
        anchor = data.get("date") or today
        if "clinician" in self.data and "clinician" not in self.errors:
            clinician = data.get("clinician")
        else:
            clinician = own_clinician
        return view, anchor, clinician
