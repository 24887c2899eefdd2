"""``plugins.core``: the base class and logger WML-A provides to its plugins."""
