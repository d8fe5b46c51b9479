"""Kept so existing imports work: the one shape for refused input now lives in
oasys/core/feedback.py, shared by every app."""

from __future__ import annotations

from oasys.core.feedback import NON_FIELD, error_messages, form_add_errors, refuse

__all__ = ["NON_FIELD", "error_messages", "form_add_errors", "refuse"]
