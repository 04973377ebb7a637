"""Workshop scripts: the models, loading and validating YAML, the JSON Schema, reloading during a run."""
