"""phancap engine: workflow definitions, persistence, transitions and audit. Knows nothing of HTTP."""
