"""The telemetry panel: where the station is, how fast, in light or shadow, how old the
elements are, how well an API agrees with us, and the next pass for the observer."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.reactive import reactive

from issdash.feeds.elements import MAX_ERROR_KM, describe_age
from issdash.model.local_time import format_local
from issdash.model.orbit_source import DISAGREEMENT_NOTICE_KM, SourceAt
from issdash.model.passes.upcoming import PASS_PLANNER_DAYS
from issdash.model.telemetry import Telemetry, TelemetryView
from issdash.widgets import format as fmt
from issdash.widgets.readout import Readout

# An API fix this close to our propagation was computed from the same element set (and SGP4)
# as ours: then it checks nothing, and "Δ 0.00 km" would read as a perfect independent check.
# Measured: the day's two real CelesTrak sets (epochs 2025-04-06 00:53Z and 04-07 12:29Z)
# never came within 24 m of each other on the ground over three days (1 s steps), while one
# set propagated twice agrees to the millimetre. Timing alone keeps a real independent fix
# well above this (0.1 s is 770 m along the track).
SAME_ELEMENTS_KM = 0.005


class TelemetryPanel(Readout):
    """Numbers about the station, recomputed every tick by the app."""

    PREFIX = "telemetry"
    COMPONENT_CLASSES = {
        "telemetry--muted",
        "telemetry--good",
        "telemetry--sun",
        "telemetry--shadow",
    }

    DEFAULT_CSS = """
    TelemetryPanel > .telemetry--muted { color: $foreground-darken-2; }
    TelemetryPanel > .telemetry--good { color: $success; }
    TelemetryPanel > .telemetry--sun { color: $warning; text-style: bold; }
    TelemetryPanel > .telemetry--shadow { color: $primary; text-style: bold; }
    """

    view: reactive[TelemetryView | None] = reactive(None, layout=False, repaint=False)
    """The moment to show; set by the app on every tick."""

    def watch_view(self) -> None:
        # Only the rows whose text changed are redrawn (a few per second); a relayout, which
        # redraws the whole screen, happens only when the number of rows changes.
        self.redraw_lines()

    def build_lines(self) -> list[Text]:
        # Plain lines rather than a Rich Table: this panel changes every second, and a table
        # costs several times as much to lay out for the same picture.
        rows: list[tuple[str, Text]] = []
        view = self.view
        if view is not None and view.telemetry is None and view.elements_problem is not None:
            rows.append(("Orbit", Text(" ELEMENTS UNUSABLE ", style=self._s("alarm"))))
            rows.append(("", Text(view.elements_problem, style=self._s("muted"))))
            return self._label_rows(rows)
        if view is None or view.telemetry is None:
            rows.append(("Orbit", Text("waiting for orbital elements…", style=self._s("muted"))))
            return self._label_rows(rows)
        t = view.telemetry
        muted = self._s("muted")
        if t.error is None or t.error.position_known:
            rows.extend(self._station(view.now, t))
        else:
            # Elements this old put the station anywhere along its orbit (the map draws a
            # stretch of track, not a marker): a position, altitude, light timing or orbit
            # number from them would be a number nobody knows, printed as if known.
            rows.append(("Position", Text("not known", style=self._s("warn"))))
            rows.append(("", Text("elements unreliable, see below", style=muted)))
        source = t.source
        if source is not None and source.kind not in ("elements", "bundled"):
            # NASA's trajectory (or CelesTrak's fit to it) places the station: say which and
            # how old, then how far the elements are from it (the check a tracker never had).
            rows.append(("Source", self._source(source)))
            rows.append(("Error", self._error(t)))
            rows.extend(self._checks(t))
        else:
            rows.append(("Elements", self._elements(t)))
            rows.append(("Error", self._error(t)))
            if source is not None and source.why is not None:
                rows.append(("", Text(source.why, style=self._s("warn"))))
            epoch = Text(f"{t.elements_epoch:%Y-%m-%d %H:%M}Z", style=muted)
            epoch.append(f"  {t.elements_origin}", style=muted)
            rows.append(("Epoch", epoch))
        rows.append(("API fix", self._residual(view.now, t)))
        pass_lines = self._next_pass(view)
        rows.append(("Next pass", pass_lines[0]))
        rows.extend(("", line) for line in pass_lines[1:])
        seen = self._next_visible(view)
        if seen is not None:
            rows.append(("Visible", seen))
        return self._label_rows(rows)

    def _station(self, now: datetime, t: Telemetry) -> list[tuple[str, Text]]:
        """Where the station is, how high and fast, which orbit, light or shadow."""
        st = t.station
        value = self._s("value")
        muted = self._s("muted")
        level = t.error.level if t.error is not None else "good"
        rows: list[tuple[str, Text]] = []
        position = f"{fmt.latitude(st.latitude_deg)}  {fmt.longitude(st.longitude_deg)}"
        if level == "good":
            rows.append(("Position", Text(position, style=value)))
        else:
            # Old elements: the numbers are a propagation, not a fix; say so where they are.
            rows.append(("Position", Text(f"≈ {position}", style=self._s("warn"))))
        rows.append(("Altitude", Text(f"{st.altitude_km:.1f} km", style=value)))
        speed = Text(f"{st.speed_km_s:.3f} km/s", style=value)
        if self.size.width >= 40:  # km/h only where it fits on the same line
            speed.append(f"  {st.speed_km_s * 3600:,.0f} km/h", style=muted)
        rows.append(("Speed", speed))
        orbit = Text.assemble((f"#{st.orbit_number}", value), (f"  {t.period_min:.1f} min", muted))
        rows.append(("Orbit", orbit))
        rows.append(("Light", self._light(now, t)))
        return rows

    def _light(self, now: datetime, t: Telemetry) -> Text:
        lit = t.station.sunlit
        text = Text("☀ sunlit" if lit else "● eclipse", style=self._s("sun" if lit else "shadow"))
        if t.next_shadow_change is not None:
            change = "shadow" if lit else "sun"
            seconds = (t.next_shadow_change - now).total_seconds()
            text.append(f"  {change} {fmt.duration(seconds)}", style=self._s("muted"))
        return text

    def _elements(self, t: Telemetry) -> Text:
        level = t.error.level if t.error is not None else "good"
        if level == "uncertain":
            # Weeks-old elements put the station thousands of km off: say so, first.
            text = Text(" UNRELIABLE ", style=self._s("alarm"))
            text.append(f"  {describe_age(t.elements_age_h)}", style=self._s("warn"))
            return text
        # An epoch after the time shown is never "old" and never green: the set is propagated
        # backwards, from after the moment it describes.
        future = t.elements_age_h < 0 or t.elements_after_time
        style = "warn" if future or level == "approximate" else "good"
        text = Text(describe_age(t.elements_age_h), style=self._s(style))
        if level == "approximate":
            text.append("  approximate", style=self._s("warn"))
        return text

    def _error(self, t: Telemetry) -> Text:
        if t.error is None:
            return Text("unknown", style=self._s("muted"))
        level = t.error.level
        style = "good" if level == "good" else "warn" if level == "approximate" else "alarm"
        if t.error.median_km >= MAX_ERROR_KM:
            return Text("anywhere along its orbit", style=self._s(style))
        if t.source is not None and t.source.kind not in ("elements", "bundled"):
            # One number: the distance between NASA's last two trajectories (or the fit's
            # RMS); there is no table of percentiles behind it.
            return Text(f"~{fmt.distance_km(t.error.median_km)}", style=self._s(style))
        text = Text(f"~{t.error.median_km:,.0f} km", style=self._s(style))
        text.append(f"  1 in 10: {t.error.p90_km:,.0f} km", style=self._s("muted"))
        return text

    def _source(self, source: SourceAt) -> Text:
        """ "NASA trajectory, 2d old" (its age from its creation)."""
        text = Text(source.label, style=self._s("good"))
        if source.age_h is not None:
            text.append(f", {describe_age(source.age_h)}", style=self._s("muted"))
        return text

    def _checks(self, t: Telemetry) -> list[tuple[str, Text]]:
        """Each other source against NASA's trajectory: "TLE 3.4 km, 0.4 s"."""
        rows: list[tuple[str, Text]] = []
        names = {"elements": "TLE", "celestrak-supgp": "Fit"}
        for kind, found in t.disagreement.items():
            if found is None:
                continue
            far = found.distance_km > DISAGREEMENT_NOTICE_KM
            text = Text(
                f"{names[kind]} {fmt.distance_km(found.distance_km)}",
                style=self._s("warn" if far else "value"),
            )
            text.append(f", {abs(found.along_track_s):.1f} s", style=self._s("muted"))
            rows.append(("vs NASA" if not rows else "", text))
        return rows

    def _residual(self, now: datetime, t: Telemetry) -> Text:
        if t.fix is None or t.residual_km is None:
            return Text("none yet", style=self._s("muted"))
        residual = t.residual_km
        level = "good" if residual < 5 else "warn" if residual < 50 else "alarm"
        if residual < SAME_ELEMENTS_KM:
            text = Text("same elements as ours", style=self._s("muted"))
        elif t.error is not None and not t.error.position_known:
            # Our side of the difference is not known to a kilometre, let alone to 10 m.
            text = Text(f"Δ ≈ {residual:,.0f} km", style=self._s(level))
        else:
            text = Text(f"Δ {residual:.2f} km", style=self._s(level))
        fix_age = (now - t.fix.timestamp).total_seconds()
        when = f"{fmt.age(fix_age)} ago" if fix_age >= 0 else f"{fmt.age(-fix_age)} ahead"
        room = self.content_size.width - len("Next pass ")  # the label column's widest
        if residual < SAME_ELEMENTS_KM and 0 < room < text.cell_len + 2 + len(when):
            # "same elements as ours" whole rather than its age cut to "…" in the 80-column
            # side panel: the feed strip below shows the position feed's age anyway.
            return text
        text.append(f"  {when}", style=self._s("muted"))
        return text

    def _next_pass(self, view: TelemetryView) -> list[Text]:
        muted = self._s("muted")
        if view.observer is None:
            # Both ways to set one: a place name is what most people know, and it brings
            # the local time zone with it. Short enough for the 80-column side panel.
            return [
                Text("no observer set", style=muted),
                Text("(--place or --observer)", style=muted),
            ]
        if view.passes_withheld is not None:
            return [
                Text("withheld", style=self._s("warn")),
                Text(view.passes_withheld, style=muted),
            ]
        if view.passes is None:
            return [Text("searching…", style=muted)]
        upcoming = [p for p in view.passes if p.set > view.now]
        if not upcoming:
            return [Text(f"none above {view.min_elevation_deg:.0f}° in 24 h", style=muted)]
        p = upcoming[0]
        if p.rise <= view.now:
            head = Text("overhead now", style=self._s("warn"))
        else:
            head = Text(
                f"in {fmt.duration((p.rise - view.now).total_seconds())}", style=self._s("value")
            )
            # In the observer's time, as the "Visible" line below and the planner say it
            # ("19:25 AEST"; "09:25 UTC" where the zone is UTC or unknown).
            head.append(f"  {format_local(p.rise, view.zone, with_utc=False)}", style=muted)
        approximate = view.telemetry is not None and (
            view.telemetry.error is not None and view.telemetry.error.level != "good"
        )
        if approximate:
            head.append("  ≈", style=self._s("warn"))
        detail = Text(f"max {p.max_elevation_deg:.0f}°  ", style=muted)
        detail.append(
            "visible" if p.visible else "not visible",
            style=self._s("good" if p.visible else "muted"),
        )
        if p.visible and p.magnitude is not None:
            detail.append(f" {p.magnitude:.1f}", style=self._s("good"))
        if approximate:
            detail.append("  approximate", style=self._s("warn"))
        return [head, detail]

    def _next_visible(self, view: TelemetryView) -> Text | None:
        """The next VISIBLE pass, on a row of its own when the next pass is not it:
        "Tue 19:25 AEST  71°" (short enough for the 80-column side panel)."""
        if view.observer is None or view.passes_withheld is not None or view.passes is None:
            return None
        upcoming = [p for p in view.passes if p.set > view.now]
        if upcoming and upcoming[0].visible:
            return None  # the next pass line already says it
        p = view.next_visible
        if p is None:
            return Text(f"none in {PASS_PLANNER_DAYS} days", style=self._s("muted"))
        zone = view.zone
        day = f"{p.rise.astimezone(zone):%a}" if zone is not None else f"{p.rise:%a}"
        text = Text(f"{day} {format_local(p.rise, zone, with_utc=False)}", style=self._s("good"))
        text.append(f"  {p.max_elevation_deg:.0f}°", style=self._s("muted"))
        return text
