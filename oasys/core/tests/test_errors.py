"""One error style: every domain error answers the API with its kind's status and the
{"errors": {field: message}} shape, screens show it as a message, never a 500."""

import inspect
import typing

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory

# Importing the API imports every router and so every service module with its errors.
from oasys.api import api
from oasys.appointments.services import TransitionRefused
from oasys.claims.services import AlreadyBilled, IllegalTransition
from oasys.core.api import PageOut
from oasys.core.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from oasys.core.feedback import error_messages, error_text, refusals_as_messages
from oasys.core.services import TokenRefused
from oasys.invoices.services import AlreadyInvoiced
from oasys.practice.models import Payer, ServiceType
from oasys.remittance.services import RemittancePostingError

KINDS = {InvalidInput: 422, NotAllowed: 403, Conflict: 409, NotFound: 404}


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def _instance(cls, message):
    """Any subclass, whatever its own constructor wants (the handler sees only the base)."""
    exc = cls.__new__(cls)
    DomainError.__init__(exc, message)
    return exc


def _status_for(cls):
    for kind, status in KINDS.items():
        if issubclass(cls, kind):
            return status
    raise AssertionError(f"{cls.__name__} is a DomainError of none of the four kinds")


def test_the_old_error_classes_are_domain_errors_of_the_right_kind():
    found = set(_all_subclasses(DomainError))
    for cls, kind in [(AlreadyBilled, Conflict), (AlreadyInvoiced, Conflict),
                      (IllegalTransition, Conflict), (TransitionRefused, Conflict),
                      (TokenRefused, NotAllowed), (RemittancePostingError, InvalidInput)]:
        assert cls in found and issubclass(cls, kind)
    # Callers that catch ValidationError for a refused session change keep working.
    assert issubclass(TransitionRefused, ValidationError)


@pytest.mark.django_db
def test_every_domain_error_through_a_route_answers_its_status_never_500(api_client,
                                                                          monkeypatch):
    classes = sorted(set(_all_subclasses(DomainError)) | set(KINDS), key=lambda c: c.__name__)
    assert len(classes) >= 10
    for cls in classes:
        exc = _instance(cls, f"{cls.__name__} refused")

        def refuse(practice, exc=exc):
            raise exc

        monkeypatch.setattr("oasys.practice.api._provider_out", refuse)
        resp = api_client.get("/api/v1/practice/provider")
        assert resp.status_code == _status_for(cls), cls
        assert resp.json() == {"errors": {"__all__": f"{cls.__name__} refused"}}, cls


@pytest.mark.django_db
def test_real_constructors_keep_their_fields(api_client, monkeypatch):
    cases = [
        (AlreadyBilled("Session 4 already has a claim"), 409,
         {"__all__": "Session 4 already has a claim"}),
        (TransitionRefused({"status": ["A cancelled session cannot be signed."]}), 409,
         {"status": "A cancelled session cannot be signed."}),
        (InvalidInput(errors={"npi": "NPI must have 10 digits."}), 422,
         {"npi": "NPI must have 10 digits."}),
        (NotFound(), 404, {"__all__": "Not found."}),
    ]
    for exc, status, errors in cases:
        def refuse(practice, exc=exc):
            raise exc

        monkeypatch.setattr("oasys.practice.api._provider_out", refuse)
        resp = api_client.get("/api/v1/practice/provider")
        assert (resp.status_code, resp.json()) == (status, {"errors": errors})


@pytest.mark.django_db
def test_django_errors_keep_their_mapping(api_client, monkeypatch):
    def invalid(practice):
        raise ValidationError({"city": ["Enter a city."]})

    monkeypatch.setattr("oasys.practice.api._provider_out", invalid)
    resp = api_client.get("/api/v1/practice/provider")
    assert (resp.status_code, resp.json()) == (422, {"errors": {"city": "Enter a city."}})

    def denied(practice):
        raise PermissionDenied("Owners only")

    monkeypatch.setattr("oasys.practice.api._provider_out", denied)
    assert api_client.get("/api/v1/practice/provider").status_code == 403

    def old_style(practice):
        raise PermissionError("This file belongs to another practice")

    monkeypatch.setattr("oasys.practice.api._provider_out", old_style)
    resp = api_client.get("/api/v1/practice/provider")
    assert (resp.status_code, resp.json()) == (
        403, {"errors": {"__all__": "This file belongs to another practice"}})


def test_refusal_shape_for_screens():
    assert error_messages(Conflict("Already billed")) == {"__all__": "Already billed"}
    assert error_messages(ValidationError({"a": ["x", "y"]})) == {"a": "x"}
    assert error_text(InvalidInput(errors={"a": "Fix a.", "b": "Fix b."})) == "Fix a. Fix b."
    assert error_text(ValidationError(["Same.", "Same."])) == "Same."


def _request():
    request = RequestFactory().post("/x")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_refusals_as_messages_turns_refusals_into_messages_and_lets_bugs_through():
    request = _request()
    with refusals_as_messages(request, prefix="Not done: ") as ran:
        raise Conflict("The claim is closed.")
    assert not ran and ran.refused and isinstance(ran.error, Conflict)
    with refusals_as_messages(request) as ran:
        raise ValidationError({"reason": ["Say why."]})
    assert not ran
    with refusals_as_messages(request) as ran:
        pass
    assert ran and not ran.refused
    assert [str(m) for m in get_messages(request)] == ["Not done: The claim is closed.",
                                                      "Say why."]
    with pytest.raises(KeyError), refusals_as_messages(request):
        raise KeyError("a bug stays a bug")


@pytest.mark.django_db
def test_a_screen_shows_a_service_refusal_as_a_message(owner_client, monkeypatch, practice):
    payer = Payer.objects.create(name="Aetna Test", payer_id_claims="60054")

    def refuse(**kwargs):
        raise Conflict("This payer is being changed by someone else.")

    monkeypatch.setattr("oasys.practice.services.accepted_payer_add", refuse)
    resp = owner_client.post("/billing/setup/payers/", {"payer": payer.pk})
    assert resp.status_code == 302
    assert [str(m) for m in get_messages(resp.wsgi_request)] == [
        "This payer is being changed by someone else."]


@pytest.mark.django_db
def test_an_unhandled_domain_error_in_a_screen_is_a_message_not_a_500(owner_client,
                                                                      monkeypatch):
    def refuse(**kwargs):
        raise NotFound("That list is gone.")

    monkeypatch.setattr("oasys.practice.selectors.accepted_payer_list", refuse)
    resp = owner_client.get("/billing/setup/payers/", HTTP_REFERER="http://evil.example/")
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert [str(m) for m in get_messages(resp.wsgi_request)] == ["That list is gone."]
    resp = owner_client.get("/billing/setup/payers/", HTTP_REFERER="http://testserver/clients/")
    assert resp.status_code == 302 and resp["Location"] == "http://testserver/clients/"


def _param_names(op) -> set[str]:
    names: set[str] = set()
    for model in op.models:
        for name, field in model.model_fields.items():
            names.add(name)
            inner = field.annotation
            if inspect.isclass(inner) and hasattr(inner, "model_fields"):
                names |= set(inner.model_fields)
    return names


def test_every_list_route_uses_the_one_pagination_envelope():
    lists = []
    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for op in view.operations:
                if "GET" not in op.methods or 200 not in op.response_models:
                    continue
                model = op.response_models[200]
                if not hasattr(model, "model_fields"):
                    continue
                annotation = model.model_fields["response"].annotation
                assert typing.get_origin(annotation) is not list, (
                    f"{path} answers a bare list; use the PageOut envelope")
                if inspect.isclass(annotation) and issubclass(annotation, PageOut):
                    lists.append(path)
                    assert {"page", "page_size"} <= _param_names(op), path
    assert len(lists) >= 12


@pytest.mark.django_db
def test_pages_are_cut_by_page_and_page_size(api_client, practice):
    for name in ("Alpha", "Bravo", "Charlie"):
        ServiceType.objects.create(practice=practice, name=name)
    first = api_client.get("/api/v1/practice/service-types", {"page_size": 2}).json()
    assert (first["count"], first["page"], first["page_size"]) == (3, 1, 2)
    assert [s["name"] for s in first["items"]] == ["Alpha", "Bravo"]
    second = api_client.get("/api/v1/practice/service-types", {"page": 2, "page_size": 2}).json()
    assert [s["name"] for s in second["items"]] == ["Charlie"]
    past_end = api_client.get("/api/v1/practice/service-types", {"page": 9, "page_size": 2})
    assert past_end.json()["page"] == 2
    clamped = api_client.get("/api/v1/practice/service-types", {"page_size": 0}).json()
    assert clamped["page_size"] == 1 and len(clamped["items"]) == 1
