"""phancap's web layer: a thin FastAPI application over engine/ (JSON API under /api/v1 and Vietnamese pages)."""
