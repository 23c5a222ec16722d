"""Self-Instruct generation: prompts, teacher backends, parsing of replies."""
