"""What start-up does not load (issue 26): checked in a fresh interpreter, since a test process
has loaded everything already. Each name here cost start-up time and is needed by nothing the
first frame draws or `status` answers; none of this times anything."""

from __future__ import annotations

from tests.support.processes import run_isolated


def test_the_feeds_layer_loads_no_xml_parser() -> None:
    """Every adapter is imported (the registry names them all); the XML parser is imported
    when an XML OEM is read, and then it reads one."""
    result = run_isolated(
        """
        import json, sys
        from datetime import UTC, datetime
        import issdash.feeds.registry
        before = sorted(m for m in sys.modules if m.startswith("xml.etree"))
        from issdash.feeds.adapters.oem import parse_oem
        from issdash.feeds.sources import FeedError, RawResponse
        now = datetime(2025, 4, 8, tzinfo=UTC)
        try:
            parse_oem(RawResponse("x", 200, "", "<oem></oem>", now), now)
        except FeedError as exc:
            error = str(exc)
        after = "xml.etree.ElementTree" in sys.modules
        print(json.dumps({"before": before, "after": [str(after)], "error": [error]}))
        """
    )
    assert result["before"] == []
    assert result["after"] == ["True"]
    assert result["error"] == ["XML OEM without a <body>"]


def test_the_dashboard_and_its_orbit_engine_load_no_download_stack() -> None:
    """The dashboard's modules, and an orbit engine that has placed the station, drawn a track
    and found its light: skyfield's download stack (`skyfield.api` imports `skyfield.iokit`,
    urllib.request, http.client, certifi) and httpx are not loaded; of the models of the
    feeds' answers, only the elements' is built (a live start whose feeds have not answered
    builds no other before its first frame)."""
    result = run_isolated(
        """
        import json, sys
        from datetime import UTC, datetime, timedelta
        import issdash.commands.cli, issdash.commands.dashboard, issdash.tui.dashboard
        from pydantic import BaseModel
        from issdash.feeds.adapters.tle import parse_elements
        from issdash.feeds.sources import RawResponse
        from issdash.model.orbit import OrbitEngine
        from scripts.fixtures.ms27_payloads import TLE_TEXT
        at = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)
        engine = OrbitEngine(parse_elements(RawResponse("x", 200, "", TLE_TEXT, at), at))
        state = engine.state_at(at)
        engine.ground_track(at, at + timedelta(minutes=30))
        engine.subsolar_point(at)
        stack = ("skyfield.api", "skyfield.iokit", "urllib.request", "http.client", "certifi")
        loaded = sorted(m for m in sys.modules if m in stack or m.split(".")[0] == "httpx")
        models = {
            value
            for name, module in list(sys.modules.items())
            if name.startswith("issdash.feeds.")
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, BaseModel)
            and value.__module__ == name and name != "issdash.feeds.bus_wire"
        }
        built = sorted(m.__name__ for m in models if m.__pydantic_complete__)
        built.append(str(len(models)))
        print(json.dumps({"loaded": loaded, "built": built, "lat": [f"{state.latitude_deg:.2f}"]}))
        """
    )
    # The engine really ran: at MS-27's launch the station is near 43.9 N (see test_orbit.py).
    assert result["lat"] == ["43.91"]
    assert result["loaded"] == []
    # Twenty-odd models (a walk that found none must not pass), and only ElementSet built.
    assert result["built"][:-1] == ["ElementSet"]
    assert int(result["built"][-1]) > 20
