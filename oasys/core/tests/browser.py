"""What browser tests share: logging in through the real login form."""

from __future__ import annotations


def log_in(page, base: str, email: str, password: str, *, lands_on: str = "/") -> None:
    """Log in through the form and wait for the page login lands on (the home page)."""
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("main button:has-text('Log in')")
    page.wait_for_url(f"{base}{lands_on}")
