"""E-mail (and SMS) notifications: domain events become logged messages, rendered and sent by
Celery after commit (see README "Notifications").

- ``events``: the subscribers; each maps an event to a kind of message and records the log rows.
- ``log``: the log's writes (recording, status updates from providers, resend).
- ``render``: the message's context, templates (defaults and per-channel overrides), demo data.
- ``delivery``: claiming a row, sending it once, retries with backoff, the sweep.
"""
