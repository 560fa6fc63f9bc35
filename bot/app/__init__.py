"""Serving and wiring: settings, the composition root, the conversation service and store, the server assembly, hot swap and catalogue administration."""
