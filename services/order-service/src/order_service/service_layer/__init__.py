"""Use cases: load aggregates, call the domain, append events and update read models in one transaction."""
