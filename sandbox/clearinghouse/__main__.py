"""`python -m sandbox.clearinghouse --port 8701 --db var/sandbox-clearinghouse.sqlite3`."""

from sandbox.clearinghouse.server import main

main()
