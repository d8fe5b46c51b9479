"""Selector names follow one scheme (README, "Names"): a read that answers a queryset or a
list of rows is `<noun>_list` (filters are its keyword arguments, so there is one read
per collection), one row is `<noun>_get`, and anything else is `<noun>_<what it answers>`
(`claim_counts`, `client_balance`). This guard fails on a queryset selector named
otherwise (`claim_qs`, `service_type_queryset`, `client_search`)."""

import importlib
import inspect
import pkgutil

import oasys

# Ranked directory search answers the best matches first, not a collection to filter.
RANKED_SEARCH = {"payer_search"}


def _selectors():
    for module in pkgutil.iter_modules(oasys.__path__):
        try:
            mod = importlib.import_module(f"oasys.{module.name}.selectors")
        except ModuleNotFoundError:
            continue
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if fn.__module__ == mod.__name__ and not name.startswith("_"):
                yield mod.__name__, name, fn


def test_queryset_selectors_are_named_noun_list():
    seen = 0
    for module, name, fn in _selectors():
        answer = str(inspect.signature(fn).return_annotation)
        assert answer != str(inspect.Signature.empty), f"{module}.{name} has no return type"
        if answer.startswith("QuerySet[") and name not in RANKED_SEARCH:
            assert name.endswith("_list"), f"{module}.{name} answers a queryset: <noun>_list"
            seen += 1
        for suffix in ("_qs", "_queryset", "_search"):
            assert not name.endswith(suffix) or name in RANKED_SEARCH, f"{module}.{name}"
    assert seen >= 15
