"""Modal dialogs: errors, confirmations and short prompts."""

from hpotui.ui.dialogs.confirm import ConfirmDialog
from hpotui.ui.dialogs.error import ErrorDialog
from hpotui.ui.dialogs.prompt import PromptDialog

__all__ = ["ConfirmDialog", "ErrorDialog", "PromptDialog"]
