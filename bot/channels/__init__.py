"""Channels: each adapter turns its platform's events into `Incoming` and sends `Reply` (see base.Channel)."""
