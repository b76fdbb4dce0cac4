"""Everything that brings data in: sources, adapters, models, the poller and the orbit engine.

Nothing in this package imports Textual: the state can be built and printed without a terminal.
"""
