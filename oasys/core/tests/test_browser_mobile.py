"""Every main screen at a phone's width (390 x 844, an iPhone 12-15) in headless Chromium: the
document never scrolls sideways (wide tables scroll inside themselves), the header folds its
links behind a Menu button that opens them by mouse and by keyboard, and the signed-out pages
and the error pages fit too. With OASYS_SHOTS set, each page is saved as
/work/shots/mobile-<page>.png (full page) to look at."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from playwright.sync_api import expect

from oasys.core.tests.main_pages import PUBLIC_PAGES, login, main_pages
from oasys.core.tests.phi_world import phi_world_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/work/shots")

# What overflows, for the failure message: the widest elements that reach past the window.
OVERFLOW = """(w) => {
  if (document.documentElement.scrollWidth <= w) return [];
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > w + 1)
    .filter(e => !e.parentElement.closest('table, .table-scroll'))
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + (typeof e.className === 'string' && e.className ? '.' + e.className.split(' ')[0] : '')
      + ' right=' + Math.round(e.getBoundingClientRect().right));
}"""


# Buttons and the like a thumb must hit: visible ones smaller than WCAG 2.2's 24 x 24 px
# minimum target (links inside running text are exempt there, and so here).
SMALL_TARGETS = """() => [...document.querySelectorAll(
    'button, [role=button], input[type=submit], select, summary, input[type=checkbox]')]
  .filter(e => e.offsetParent !== null)
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.width > 0 && (r.height < 24 || r.width < 24))
  .map(([e, r]) => e.tagName.toLowerCase() + ' "' + (e.innerText || e.name || '').trim()
    .slice(0, 30) + '" ' + Math.round(r.width) + 'x' + Math.round(r.height))"""


def _shot(page, path: str) -> None:
    if os.environ.get("OASYS_SHOTS"):
        name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"mobile-{name}.png"), full_page=True)


def _overflow(page) -> tuple[int, int]:
    """The document's width and the window's. A phone browser widens its layout viewport to
    fit a page that is too wide (innerWidth grows with it), so the window counts as at most
    the phone's own width."""
    scroll, inner = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    return scroll, min(inner, PHONE["width"])


def _fits(page, label: str, wide: list[str]) -> None:
    wide.extend(f"{label}: target too small to tap: {t}" for t in page.evaluate(SMALL_TARGETS))
    scroll, width = _overflow(page)
    if scroll > width:
        culprits = page.evaluate(OVERFLOW, PHONE["width"])
        wide.append(f"{label}: {scroll}px > {width}px {culprits}")


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True,
                                  has_touch=True)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def test_every_main_page_fits_a_phone_and_its_menu_opens(live_server, phone):
    world = phi_world_build()
    base = live_server.url
    wide: list[str] = []
    walked = 0
    for path in PUBLIC_PAGES:
        phone.goto(base + path)
        walked += 1
        _fits(phone, path, wide)
        _shot(phone, "public" + path)

    login(phone, base)
    for path in main_pages(world):
        resp = phone.goto(base + path)
        assert resp is not None and resp.status == 200, f"{path} -> {resp and resp.status}"
        phone.wait_for_load_state("networkidle")
        walked += 1
        _fits(phone, path, wide)
        _shot(phone, path)

    # The 500 page is a plain file (no template tags: it renders when nothing else can),
    # served here as the server would send it, as a fresh document (set_content would keep
    # the previous page's viewport).
    phone.route(f"{base}/server-error/", lambda route: route.fulfill(
        status=500, content_type="text/html", body=render_to_string("500.html")))
    phone.goto(base + "/server-error/")
    walked += 1
    _fits(phone, "500.html", wide)
    _shot(phone, "error-500")
    print(f"\nphone width: {walked} pages walked at {PHONE['width']}px, "  # noqa: T201
          f"{len(wide)} overflowing")
    assert wide == [], "pages wider than the phone:\n" + "\n".join(wide)


def test_the_menu_opens_by_tap_and_by_keyboard_and_reaches_every_link(live_server, phone):
    phi_world_build()
    base = live_server.url
    login(phone, base)
    phone.goto(base + "/billing/claims/")
    toggle = phone.get_by_role("button", name="Menu")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    tabs = phone.locator("nav.tabs a")
    account = phone.locator("#site-links a")
    assert tabs.count() >= 6 and account.count() >= 3
    expect(tabs.first).to_be_hidden()  # folded away: the page starts with its content
    expect(account.first).to_be_hidden()

    toggle.tap()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    for links in (tabs, account):
        for i in range(links.count()):
            link = links.nth(i)
            expect(link).to_be_visible()
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], \
                f"{link.inner_text()} is off screen"
            assert box["height"] >= 24, f"{link.inner_text()} is too small to tap"
    expect(phone.get_by_role("button", name="Log out")).to_be_visible()
    _shot(phone, "menu-open")
    toggle.tap()
    expect(tabs.first).to_be_hidden()

    # keyboard: Tab from the top reaches the skip link, then the menu button; Enter opens it
    phone.goto(base + "/billing/clients/")
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("link", name="Skip to content")).to_be_focused()
    expect(phone.get_by_role("link", name="Skip to content")).to_be_visible()
    toggle = phone.get_by_role("button", name="Menu")
    for _ in range(4):
        phone.keyboard.press("Tab")
        if toggle.evaluate("e => e === document.activeElement"):
            break
    expect(toggle).to_be_focused()
    phone.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    phone.keyboard.press("Tab")
    focused = phone.evaluate("() => document.activeElement.closest('nav.tabs, #site-links') "
                             "!== null")
    assert focused, "Tab after opening the menu goes into the menu"
    phone.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(tabs.first).to_be_hidden()

    # The claims page's link reached from the menu works
    toggle.tap()
    phone.locator("nav.tabs a", has_text="Claims").tap()
    phone.wait_for_url(f"{base}/billing/claims/**")


def test_the_desktop_header_shows_its_links_without_a_menu(live_server, page):
    phi_world_build()
    login(page, live_server.url)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.locator("nav.tabs a").first).to_be_visible()
    expect(page.locator("#site-links a").first).to_be_visible()
