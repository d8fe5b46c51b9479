"""The colours our own stylesheet sets (oasys/static/oasys/app.css: status badges, muted
text, errors, the current tab) against the background they are drawn on: every pair reaches
WCAG AA's 4.5:1 for normal text. Pico's own colours are left to Pico; axe-core checks the
pages as drawn (test_browser_a11y.py), this checks every badge even if no page shows it."""

from __future__ import annotations

import re
from pathlib import Path

CSS = Path(__file__).resolve().parents[2] / "static" / "oasys" / "app.css"
PAGE = "#f6f8f8"  # body's background: text with no background of its own sits on it, or on white
HEX = r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}\b"


def _luminance(colour: str) -> float:
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def colour_pairs(css: str) -> list[tuple[str, str, str]]:
    """(selector, text colour, background) for every rule that sets a text colour."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    pairs = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        fg = re.search(rf"(?<![-\w])color:\s*({HEX})", body)
        if not fg:
            continue
        bg = re.search(rf"background(?:-color)?:\s*({HEX})", body)
        for back in [bg.group(1)] if bg else ["#ffffff", PAGE]:
            pairs.append((" ".join(selector.split()), fg.group(1), back))
    return pairs


def test_contrast_is_computed_as_wcag_defines_it():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48  # the classic just-failing grey
    assert colour_pairs(".x { color: #777; }") == [(".x", "#777", "#ffffff"), (".x", "#777", PAGE)]


def test_every_colour_in_app_css_reads_at_aa():
    pairs = colour_pairs(CSS.read_text())
    assert len(pairs) >= 15  # the badges, muted text, errors, the tabs
    weak = [f"{sel}: {fg} on {bg} = {contrast(fg, bg):.2f}" for sel, fg, bg in pairs
            if contrast(fg, bg) < 4.5]
    assert weak == [], "colours below 4.5:1:\n" + "\n".join(weak)
