"""The workspace store: SQLite in WAL mode, the only code that writes SQL."""

from hpotui.store.messages import Request
from hpotui.store.owner import Owner
from hpotui.store.store import Store, open_store
from hpotui.store.workspace import experiment_dir, trial_dir, workspace_dir

__all__ = [
    "Owner",
    "Request",
    "Store",
    "experiment_dir",
    "open_store",
    "trial_dir",
    "workspace_dir",
]
