"""A Stripe stand-in: Stripe's v1 API for the endpoints Oasys calls, hosted pages, signed
webhooks and fault controls, on one loopback port. See sandbox/stripe/README.md."""
