"""The errors of feedback handling: the web and the bot translate each into a message for their reader."""

from __future__ import annotations


class FeedbackError(Exception):
    """Base of the errors the web and the bot translate into a message."""


class InvalidInput(FeedbackError):
    pass


class InvalidTransition(FeedbackError):
    pass


class ConcurrentEdit(FeedbackError):
    pass


class FeedbackNotFound(FeedbackError):
    pass
