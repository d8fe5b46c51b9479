"""`next`: a fix-it link's way back, followed only to a path on this site."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from oasys.core.nav import next_path, redirect_next, url_with_next

rf = RequestFactory()


@pytest.mark.parametrize(("target", "expected"), [
    ("/billing/sessions/?tab=incomplete&client=4", "/billing/sessions/?tab=incomplete&client=4"),
    ("//evil.example/x", ""),
    ("https://evil.example/x", ""),
    ("/\\evil.example", ""),
    ("javascript:alert(1)", ""),
    ("", ""),
])
def test_only_a_local_path_is_followed(target, expected):
    assert next_path(rf.get("/x/", {"next": target})) == expected


def test_post_wins_over_the_query_string():
    request = rf.post("/x/?next=/a/", {"next": "/b/"})
    assert next_path(request) == "/b/"


def test_redirect_next_falls_back_to_the_default():
    assert redirect_next(rf.get("/x/"), "/home/")["Location"] == "/home/"
    assert redirect_next(rf.get("/x/", {"next": "/back/"}), "/home/")["Location"] == "/back/"


def test_url_with_next_encodes_the_way_back():
    assert url_with_next("/a/", "/q/?tab=x&client=1") == "/a/?next=%2Fq%2F%3Ftab%3Dx%26client%3D1"
    assert url_with_next("/a/?b=1", "/q/") == "/a/?b=1&next=%2Fq%2F"
    assert url_with_next("/a/", "") == "/a/"
