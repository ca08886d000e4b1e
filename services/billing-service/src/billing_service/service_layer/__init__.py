"""Use cases: lock read-model rows, call the domain, append events and update read models in one
transaction."""
