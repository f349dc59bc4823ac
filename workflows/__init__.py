"""State machines as data: one YAML file per workflow."""
