"""HTTP entrypoints of the ledger."""
