"""The issdash application: CLI, settings, state and the Textual dashboard.

Importing this package must stay cheap and Textual-free: `issdash status --json` uses the
settings and state without ever drawing a screen.
"""
