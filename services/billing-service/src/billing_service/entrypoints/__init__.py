"""HTTP entry points (thin FastAPI views)."""
