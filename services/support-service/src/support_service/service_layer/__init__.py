"""Use cases: load the ticket, call the domain, append its events and update the read
models in one transaction."""
