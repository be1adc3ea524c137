"""Replenishment: the policy's arithmetic (``policy``: levels, suggestions, transfers before buying).
The suggestions list, its console page and API are built on it."""
