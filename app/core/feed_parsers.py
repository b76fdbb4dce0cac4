"""Which parser reads each feed's answers, and which feeds are streamed.

Both the runtime (its own pollers) and the bus link (answers a collector polled) read feeds
with these: kept here, below both, so neither has to import the other for them.
"""

from __future__ import annotations

from collections.abc import Mapping

from issdash.config.settings import STREAM_NAMES
from issdash.feeds.poller import Parser
from issdash.feeds.registry import FEEDS

# Every feed's parser, by name (from the registry; tests feed payloads straight to them).
ADAPTERS: Mapping[str, Parser[object]] = {f.name: f.parse for f in FEEDS}
# Streamed feeds: no poller, a stream of updates (issdash.core.station_feed).
STREAMED = frozenset(STREAM_NAMES)
