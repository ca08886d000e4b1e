"""Use cases of the ledger: reports, the invariant check and rebuilds."""
