"""`python -m sandbox.mail --port 1025 --http-port 8025 --dir var/mail-sink`."""

from sandbox.mail.server import main

main()
