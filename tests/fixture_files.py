"""Where the tests find the WML-A response and request shapes they replay."""

from __future__ import annotations

from pathlib import Path

# Anonymised bodies seen on real WML-A clusters; tests/fixtures/wmla/README.md
# says which are observed and which constructed.
WMLA_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "wmla"
