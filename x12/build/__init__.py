"""Builders: 837P, 270, 276 (provider side) and 999, 277CA, 835 (payer side)."""
