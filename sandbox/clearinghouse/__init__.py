"""A clearinghouse and payer simulator that speaks Stedi's healthcare, core and enrollment
APIs on loopback, with a clock that tests and demos can advance.

Pure standard library plus the repository's `x12` package: no Django, no app database.
"""
