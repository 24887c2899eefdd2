"""App-wide messages between the dashboard's screens and widgets."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class TrialsChanged(Message):
    """New events reached the monitor's model; a refresh tick will draw them.

    Events can arrive by the thousand per second, so a pending message of this kind
    is replaced by the next instead of queueing one per event.
    """

    experiment: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TrialsChanged) and (
            message.experiment == self.experiment
        )


@dataclass
class TrialChosen(Message):
    """The user asked to open one trial's detail."""

    experiment: str
    trial_id: int


@dataclass
class ExperimentChosen(Message):
    """The user asked to monitor an experiment."""

    experiment: str
