"""Tasks Engine."""
