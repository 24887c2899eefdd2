"""``hpotui serve``: the embedded engine behind WML-A's HPO REST API."""
