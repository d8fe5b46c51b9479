"""An SMTP sink for outgoing mail in development, demos and tests (see sandbox/mail/README.md)."""
