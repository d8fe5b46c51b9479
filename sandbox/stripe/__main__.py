"""`python -m sandbox.stripe --port 12111 --db var/sandbox-stripe.sqlite3`."""

from sandbox.stripe.server import main

main()
