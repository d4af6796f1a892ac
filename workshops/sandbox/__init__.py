"""The sandbox side of workshops: the pool of AWS accounts, their guardrails, attendees' credentials.

No models of its own (they stay in workshops.models, so nothing migrated); `accounts.py` is the one
module that writes a pool account's state. Other apps (the cleaner) subscribe to it, never the reverse.
"""
