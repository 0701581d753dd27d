"""A stateful local Recur for tests and the demo. Mount at ``_recur/``."""
