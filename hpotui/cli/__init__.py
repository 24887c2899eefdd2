"""The ``hpotui`` command line. Every verb goes through a Backend."""
