"""axe-core (the npm package, installed by `make test` with `npm ci` from package-lock.json)
run in headless Chromium on every main screen, signed out and signed in: no violation of
impact "serious" or "critical" on any of them. Each failure names the page, the rule, and
the first elements it found.

axe is loaded by evaluating its source in the page (Playwright's evaluate is not subject to
the Content-Security-Policy), so the pages are checked under their real policy. No rule is
excluded."""

from __future__ import annotations

from pathlib import Path

import pytest

from oasys.core.tests.main_pages import PUBLIC_PAGES, login, main_pages
from oasys.core.tests.phi_world import phi_world_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')), count: v.nodes.length}));
}"""


# Every form field a person can fill, and those with no name a screen reader can say: no
# <label for>, no wrapping <label>, no aria-label or aria-labelledby.
UNLABELLED = """() => {
  const fields = [...document.querySelectorAll('input, select, textarea')]
    .filter(e => !['hidden', 'submit', 'button', 'reset', 'image'].includes(e.type));
  const bad = fields.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
    && !e.getAttribute('aria-labelledby'));
  return [fields.length, bad.map(e => e.outerHTML.slice(0, 120))];
}"""


def _axe(page) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    return page.evaluate(RUN)


def test_axe_finds_no_serious_violation_on_any_main_page(live_server, page):
    assert AXE.exists(), f"{AXE} is missing: run `npm ci` at the repository root (make test does)"
    world = phi_world_build()
    base = live_server.url
    found: dict[str, list[dict]] = {}
    fields, unlabelled = 0, []

    def check(path: str) -> None:
        nonlocal fields
        found[path] = _axe(page)
        count, bad = page.evaluate(UNLABELLED)
        fields += count
        unlabelled.extend(f"{path}: {b}" for b in bad)

    page.goto(base + "/login/")
    # the check itself can fail: a field with no label is found by axe and by our own walk
    page.evaluate("() => document.querySelector('main').insertAdjacentHTML('beforeend', "
                  "'<input type=text id=probe-unlabelled>')")
    assert "label" in {v["id"] for v in _axe(page)}
    assert page.evaluate(UNLABELLED)[1] != []
    for path in PUBLIC_PAGES:
        page.goto(base + path)
        check(path)
    login(page, base)
    for path in main_pages(world):
        resp = page.goto(base + path)
        assert resp is not None and resp.status == 200, f"{path} -> {resp and resp.status}"
        page.wait_for_load_state("networkidle")
        check(path)
    # a phone's header with its menu open
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "/billing/claims/")
    page.get_by_role("button", name="Menu").click()
    check("/billing/claims/ (phone, menu open)")
    total = sum(len(v) for v in found.values())
    blocking = [f"{path}: [{v['impact']}] {v['id']} ({v['help']}) x{v['count']}: {v['nodes']}"
                for path, vs in found.items() for v in vs if v["impact"] in BLOCKING]
    others = [f"{path}: [{v['impact']}] {v['id']} {v['nodes']}"
              for path, vs in found.items() for v in vs if v["impact"] not in BLOCKING]
    print(f"\naxe: {len(found)} pages, {total} violations by rule and page, "  # noqa: T201
          f"{len(blocking)} serious or critical; lesser: {others}; "
          f"{fields} form fields, {len(unlabelled)} without a label")
    assert blocking == [], "axe violations:\n" + "\n".join(blocking)
    assert unlabelled == [], "form fields without a label:\n" + "\n".join(unlabelled)
