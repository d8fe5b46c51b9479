"""Forms for Billing Setup. They validate input (each bad field gets its own message, using the
shared validators in core and in this app); the services write."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from oasys.core.addresses import (
    ZIP4_REQUIRED,
    address_errors,
    is_zip4,
    state_choices,
    zip_normalized,
)
from oasys.core.codes import (
    cpt_clean,
    modifiers_error,
    modifiers_parse,
    phone_display,
    phone_error,
    place_of_service_choices,
)
from oasys.core.identifiers import digits_only, npi_error, tax_id_error, tax_id_masked
from oasys.core.models import Practice

from .cpt import cpt_validate
from .models import EnrollmentStatus, ProviderType, TaxIdType
from .selectors import clinician_supervisor_candidate_list, clinician_user_candidate_list
from .taxonomy import taxonomy_error, taxonomy_normalized

TAXONOMY_DATALIST_ID = "taxonomy-codes"


class TaxonomyInput(forms.TextInput):
    """A text box backed by a <datalist> of behavioral-health codes (any active code is ok)."""

    def __init__(self, attrs: dict | None = None):
        base = {"list": TAXONOMY_DATALIST_ID, "autocomplete": "off", "placeholder": "101YM0800X"}
        super().__init__({**base, **(attrs or {})})


def _add_errors(form: forms.Form, errors: dict[str, str]) -> None:
    for field, message in errors.items():
        if field in form.fields and field not in form.errors:
            form.add_error(field, message)


class ProviderProfileForm(forms.Form):
    provider_type = forms.ChoiceField(
        label="Provider type", choices=ProviderType.choices, widget=forms.RadioSelect
    )
    organization_name = forms.CharField(label="Organization name", required=False, max_length=120)
    first_name = forms.CharField(label="First name", required=False, max_length=60)
    last_name = forms.CharField(label="Last name", required=False, max_length=60)
    npi = forms.CharField(
        label="NPI",
        help_text="Your 10-digit National Provider Identifier.",
        error_messages={"required": "Enter the 10-digit NPI."},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    tax_id_type = forms.ChoiceField(
        label="Tax ID type", choices=TaxIdType.choices, widget=forms.RadioSelect
    )
    tax_id = forms.CharField(
        label="Tax ID",
        help_text="9-digit EIN or SSN. Organizations must use an EIN.",
        error_messages={"required": "Enter the 9-digit tax ID."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    accept_assignment = forms.BooleanField(
        label="Accept assignment (accept Medicare's approved amount as full payment)",
        required=False,
    )
    taxonomy_code = forms.CharField(
        label="Provider taxonomy",
        help_text="NUCC code, e.g. 101YM0800X Mental Health Counselor, 1041C0700X Clinical "
        "Social Worker.",
        error_messages={"required": "Enter the provider taxonomy code."},
        widget=TaxonomyInput(),
    )
    contact_name = forms.CharField(
        label="Contact name",
        max_length=120,
        error_messages={"required": "Enter a contact name for billing inquiries."},
    )
    contact_email = forms.EmailField(
        label="Contact email",
        error_messages={
            "required": "Enter a contact email for billing inquiries.",
            "invalid": "Enter a valid email address, like billing@example.com.",
        },
    )
    contact_phone = forms.CharField(
        label="Contact phone",
        error_messages={"required": "Enter a contact phone number."},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    address1 = forms.CharField(
        label="Street address",
        max_length=55,
        error_messages={"required": "Enter the street address."},
        help_text="A US street address; payers refuse PO boxes here.",
    )
    address2 = forms.CharField(label="Suite / unit", required=False, max_length=55)
    city = forms.CharField(
        label="City", max_length=30, error_messages={"required": "Enter the city."}
    )
    state = forms.ChoiceField(
        label="State",
        choices=state_choices,
        error_messages={
            "required": "Choose the state.",
            "invalid_choice": "Choose a US state or territory from the list.",
        },
    )
    zip_code = forms.CharField(
        label="ZIP code",
        max_length=10,
        error_messages={"required": "Enter the ZIP code."},
        help_text="ZIP+4, e.g. 94111-1234: claims need all 9 digits for the billing address.",
    )

    def __init__(self, *args, stored_tax_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # The full tax ID is never sent back to the browser: the box shows it masked, and an
        # unchanged mask means "keep what is stored".
        self.stored_tax_id = stored_tax_id or ""
        self.tax_id_mask = tax_id_masked(self.stored_tax_id) if self.stored_tax_id else ""
        if self.stored_tax_id:
            self.initial["tax_id"] = self.tax_id_mask
            self.fields[
                "tax_id"
            ].help_text = "Stored and shown masked. Leave as is to keep it, or type a new one."

    def clean_npi(self) -> str:
        npi = self.cleaned_data["npi"].strip()
        error = npi_error(npi)
        if error:
            raise forms.ValidationError(error)
        return npi

    def clean_taxonomy_code(self) -> str:
        code = taxonomy_normalized(self.cleaned_data["taxonomy_code"])
        error = taxonomy_error(code)
        if error:
            raise forms.ValidationError(error)
        return code

    def clean_contact_phone(self) -> str:
        phone = self.cleaned_data["contact_phone"]
        error = phone_error(phone)
        if error:
            raise forms.ValidationError(error)
        return phone_display(phone)

    def clean(self) -> dict:
        data = super().clean()
        organization = data.get("provider_type") == ProviderType.ORGANIZATION
        errors: dict[str, str] = {}

        if organization:
            if not data.get("organization_name", "").strip():
                errors["organization_name"] = "Enter the organization's legal name."
        else:
            if not data.get("first_name", "").strip():
                errors["first_name"] = "Enter your first name as registered with NPPES."
            if not data.get("last_name", "").strip():
                errors["last_name"] = "Enter your last name as registered with NPPES."

        npi = data.get("npi")
        if npi and "provider_type" in data:
            # NPPES issues Type 1 NPIs (starting 1) to people and Type 2 (starting 2) to groups.
            if organization and npi.startswith("1"):
                errors["npi"] = (
                    "This is an individual (Type 1) NPI; an organization bills with its "
                    "Type 2 NPI, which starts with 2."
                )
            elif not organization and npi.startswith("2"):
                errors["npi"] = (
                    "This is an organization (Type 2) NPI; an individual bills with their "
                    "Type 1 NPI, which starts with 1."
                )

        raw_tin = (data.get("tax_id") or "").strip()
        if self.stored_tax_id and raw_tin == self.tax_id_mask:
            raw_tin = self.stored_tax_id
        if "tax_id" in data and "provider_type" in data:
            kind = data.get("tax_id_type") or ""
            error = tax_id_error(raw_tin, kind=kind, organization=organization)
            if error:
                errors["tax_id"] = error
            else:
                data["tax_id"] = digits_only(raw_tin)

        # Fields that already failed (e.g. left empty) keep their first message: _add_errors
        # never stacks a second one on them.
        found = address_errors(
            line1=data.get("address1", ""),
            line2=data.get("address2", ""),
            city=data.get("city", ""),
            state=data.get("state", ""),
            zip_code=data.get("zip_code", ""),
        )
        # The billing address goes on claims as 2010AA, where a 5-digit ZIP is rejected.
        if "zip_code" not in found.fields and not is_zip4(data.get("zip_code", "")):
            found.fields["zip_code"] = ZIP4_REQUIRED
        errors.update(found.fields)
        if not found:
            data["zip_code"] = zip_normalized(data["zip_code"].strip())
            data["state"] = data["state"].upper()
        if organization:
            data["first_name"] = data.get("first_name", "").strip()
            data["last_name"] = data.get("last_name", "").strip()
        _add_errors(self, errors)
        return data


class AcceptedPayerAddForm(forms.Form):
    payer = forms.IntegerField(widget=forms.HiddenInput)


class EnrollmentStatusForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=EnrollmentStatus.choices)
    effective_date = forms.DateField(
        label="Effective date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="When the payer says enrollment takes effect (defaults to today when active).",
    )
    note = forms.CharField(label="Note", required=False, max_length=300)


class ServiceTypeForm(forms.Form):
    """practice: whose extra service codes the CPT code may also be (see practice/cpt.py)."""

    name = forms.CharField(
        label="Name",
        max_length=100,
        error_messages={"required": "Name this service, e.g. Individual therapy 53 min."},
    )
    cpt_code = forms.CharField(
        label="CPT code",
        required=False,
        max_length=10,
        help_text="A behavioral-health CPT or HCPCS code, like 90837 or H0004. Others can "
        "be added under Service codes.",
    )
    rate = forms.DecimalField(
        label="Default rate ($)",
        required=False,
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=2,
        help_text=(
            "$0 means never billed. Leave empty while the price is not set: its sessions "
            "wait in Bill Sessions → Incomplete until it is."
        ),
        error_messages={
            "invalid": "Enter an amount in dollars, like 150 or 150.00.",
            "min_value": "A rate cannot be negative.",
            "max_decimal_places": "Use at most 2 decimal places (cents).",
        },
    )
    no_show_fee = forms.DecimalField(
        label="No-show fee ($)",
        required=False,
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=2,
        help_text=(
            "What a no-show of this service is billed. Leave empty to bill the session's "
            "usual charge; $0 means no-shows are not billed."
        ),
        error_messages={
            "invalid": "Enter an amount in dollars, like 50 or 50.00.",
            "min_value": "A no-show fee cannot be negative.",
            "max_decimal_places": "Use at most 2 decimal places (cents).",
        },
    )
    duration_minutes = forms.IntegerField(
        label="Default duration (minutes)",
        min_value=1,
        max_value=600,
        initial=53,
        error_messages={
            "required": "Enter the default duration in minutes.",
            "min_value": "A session lasts at least 1 minute.",
            "max_value": "A session lasts at most 600 minutes.",
        },
    )
    place_of_service = forms.ChoiceField(
        label="Default place of service", choices=place_of_service_choices, initial="11"
    )
    modifiers = forms.CharField(
        label="Modifiers",
        required=False,
        help_text="Up to 4, comma separated, e.g. 95, HO.",
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(self, *args, practice: Practice, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.practice = practice

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_cpt_code(self) -> str:
        code = cpt_clean(self.cleaned_data["cpt_code"])
        error = cpt_validate(practice=self.practice, code=code)
        if error:
            raise forms.ValidationError(error)
        return code

    def clean_modifiers(self) -> str:
        value = self.cleaned_data["modifiers"]
        # Repeats are refused as on sessions: a session copies its service type's modifiers,
        # so "95,95" here would make every new session of this type fail.
        error = modifiers_error(value)
        if error:
            raise forms.ValidationError(error)
        return ",".join(modifiers_parse(value))


class ExtraServiceCodeForm(forms.Form):
    """A code to add to the practice's list; the service checks its shape and that Oasys
    does not already know it (one place for those rules, shared with the API)."""

    code = forms.CharField(
        label="CPT or HCPCS code", max_length=10,
        error_messages={"required": "Enter the code, like 0591T or H0020."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    description = forms.CharField(
        label="What it is (optional)", required=False, max_length=100,
        help_text="Shown beside the code here, e.g. “Health coaching, first 30 minutes”.",
    )


class ClinicianForm(forms.Form):
    first_name = forms.CharField(
        label="First name", max_length=60, error_messages={"required": "Enter the first name."}
    )
    last_name = forms.CharField(
        label="Last name", max_length=60, error_messages={"required": "Enter the last name."}
    )
    credentials = forms.CharField(
        label="Credentials", required=False, max_length=40, help_text="e.g. LCSW, LPC, PhD"
    )
    npi = forms.CharField(
        label="Individual NPI",
        required=False,
        help_text="The clinician's own Type 1 NPI (rendering provider on claims).",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    taxonomy_code = forms.CharField(label="Taxonomy", required=False, widget=TaxonomyInput())
    license_number = forms.CharField(label="License number", required=False, max_length=40)
    license_state = forms.ChoiceField(label="License state", required=False, choices=state_choices)
    supervisor = forms.ModelChoiceField(
        label="Supervisor",
        queryset=None,
        required=False,
        empty_label="— none —",
        help_text="Sessions of a supervised clinician need the supervisor's approval to bill.",
    )
    user = forms.ModelChoiceField(
        label="Linked user account", queryset=None, required=False, empty_label="— none —"
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(self, *args, practice: Practice, clinician=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this practice's people can be chosen; anyone else's id is "not a valid choice".
        self.fields["supervisor"].queryset = clinician_supervisor_candidate_list(
            practice=practice, clinician=clinician
        )
        self.fields["user"].queryset = clinician_user_candidate_list(
            practice=practice, clinician=clinician
        )
        self.fields["supervisor"].error_messages["invalid_choice"] = (
            "Choose a supervisor from your practice: not this clinician, and not someone they "
            "supervise."
        )
        self.fields["user"].error_messages["invalid_choice"] = (
            "Choose a user of your practice who is not linked to another clinician."
        )

    def clean_npi(self) -> str:
        npi = self.cleaned_data["npi"].strip()
        if npi:
            error = npi_error(npi)
            if not error and npi.startswith("2"):
                error = "A clinician's NPI is an individual (Type 1) NPI, which starts with 1."
            if error:
                raise forms.ValidationError(error)
        return npi

    def clean_taxonomy_code(self) -> str:
        code = taxonomy_normalized(self.cleaned_data["taxonomy_code"])
        if code:
            error = taxonomy_error(code)
            if error:
                raise forms.ValidationError(error)
        return code

    def clean(self) -> dict:
        data = super().clean()
        if data.get("license_number") and not data.get("license_state"):
            self.add_error("license_state", "Choose the state that issued the license.")
        return data
