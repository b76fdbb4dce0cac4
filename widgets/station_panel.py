"""The Station panel: what the ISS reports about itself (NASA's ISSLIVE telemetry).

Attitude (yaw/pitch/roll in LVLH), CMG momentum against its capacity, solar arrays and beta,
cabin pressure and partial pressures with limit colouring, tanks, and the signal. On loss of
signal every value is kept but greyed, and the signal line says since when: nothing is shown
as current that is not. No I/O: the app hands it a `StationView` every tick.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive

from issdash.feeds.isslive import kpa_to_psi
from issdash.model.station import radar_text
from issdash.model.station_panel import StationView
from issdash.widgets import format as fmt
from issdash.widgets.readout import Readout

# Colouring limits (kPa, %): ISS cabin targets are 97.9–102.7 kPa total, ppO2 19.5–23.1 kPa,
# ppCO2 kept under about 0.53 kPa (4 mmHg); CMG momentum near capacity means desaturation.
CABIN_KPA = (97.9, 102.7)
PPO2_KPA = (19.5, 23.1)
PPCO2_WARN_KPA = 0.53
PPCO2_ALARM_KPA = 0.80
CMG_WARN_PCT = 70.0
CMG_ALARM_PCT = 90.0

SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int) -> str:
    """The last `width` values as block characters scaled to their own range."""
    values = values[-width:]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = high - low
    if span <= 1e-12:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(7, int((v - low) / span * 7.999))] for v in values)


def bar(fraction: float, width: int) -> str:
    filled = max(0, min(width, round(fraction * width)))
    return "█" * filled + "░" * (width - filled)


class StationPanel(Readout):
    PREFIX = "station"
    COMPONENT_CLASSES = {"station--muted", "station--good", "station--spark"}

    DEFAULT_CSS = """
    StationPanel > .station--muted { color: $foreground-darken-3; }
    StationPanel > .station--good { color: $success; text-style: bold; }
    StationPanel > .station--spark { color: $primary; }
    """

    view: reactive[StationView | None] = reactive(None, layout=False, repaint=False)

    def watch_view(self) -> None:
        self.redraw_lines()

    def build_lines(self) -> list[Text]:
        view = self.view
        muted = self._s("muted")
        if view is None or not view.enabled:
            return [Text("telemetry off", style=muted)]
        model = view.station
        if model is None or not model.items:
            why = view.error or "waiting for ISSLIVE…"
            return [Text(f"no telemetry yet: {why}", style=muted, no_wrap=True)]
        now = view.now
        signal, since = model.signal(now)
        live = signal == "AOS"
        width = max(10, self.size.width - 2)
        label_w = 9  # "Attitude " / "CMG mom. "

        def val(style: str = "value") -> Style:
            return self._s(style) if live else muted

        def spark(name: str, text: Text) -> Text:
            # Whatever room the row has left, at most 12 minutes' worth of bars.
            room = min(12, width - label_w - text.cell_len - 1)
            line = sparkline(model.history(name, now), room) if room >= 4 else ""
            if line:
                text.append(f" {line}", style=self._s("spark") if live else muted)
            return text

        rows: list[tuple[str, Text]] = []
        age = model.newest_age_s(now)
        if live:
            sig = Text("AOS", style=self._s("good"))
            sig.append(f"  newest {fmt.age(age)}", style=self._s("label"))
        else:
            sig = Text("LOS", style=self._s("warn"))
            when = f" since {fmt.utc_hm(since)}" if since else ""
            sig.append(f"{when}, values held", style=muted)
        rows.append(("Signal", sig))
        att = model.attitude
        if att is not None:
            angles = (
                f"Y{att.yaw_deg:+7.1f}° P{att.pitch_deg:+6.1f}° R{att.roll_deg:+6.1f}°"
                if width >= 40
                else f"Y{att.yaw_deg:+.1f} P{att.pitch_deg:+.1f} R{att.roll_deg:+.1f}°"
            )
            text = Text(angles, style=val())
            rows.append(("Attitude", spark("yaw_deg", text)))
        cmg = model.value("USLAB000010")
        if cmg is not None:
            level = "alarm" if cmg >= CMG_ALARM_PCT else "warn" if cmg >= CMG_WARN_PCT else "value"
            text = Text(bar(cmg / 100, 10), style=val(level))
            text.append(f" {cmg:4.1f} %", style=val(level))
            rows.append(("CMG mom.", spark("cmg_momentum_pct", text)))
        beta = model.value("USLAB000040")
        sarj = (model.value("S0000004"), model.value("S0000003"))
        solar = Text()
        if beta is not None:
            solar.append(f"β {beta:+.1f}°", style=val())
        if sarj[0] is not None or sarj[1] is not None:
            ports = "  SARJ " + " ".join(
                f"{side}{angle:.0f}°"
                for side, angle in zip(("P", "S"), sarj, strict=True)
                if angle is not None
            )
            solar.append(ports, style=val("label"))
        if solar.plain:
            rows.append(("Solar", solar))
        bgas = [("1A", "S4000007"), ("2A", "P4000007"), ("3A", "S4000008"), ("4A", "P4000008")]
        arrays = [f"{n} {v:.0f}°" for n, item in bgas if (v := model.value(item)) is not None]
        if arrays and width >= 36:
            rows.append(("Arrays", Text(" ".join(arrays), style=val("label"))))
        scalars = model.scalars()
        cabin = scalars["cabin_pressure_kpa"]
        if cabin is not None:
            ok = CABIN_KPA[0] <= cabin <= CABIN_KPA[1]
            text = Text(f"{cabin:.1f} kPa", style=val("value" if ok else "alarm"))
            text.append(f"  {kpa_to_psi(cabin):.2f} psi", style=val("label"))
            rows.append(("Cabin", spark("cabin_pressure_kpa", text)))
        ppo2, ppco2 = scalars["ppo2_kpa"], scalars["ppco2_kpa"]
        if ppo2 is not None or ppco2 is not None:
            text = Text()
            if ppo2 is not None:
                ok = PPO2_KPA[0] <= ppo2 <= PPO2_KPA[1]
                text.append(f"O₂ {ppo2:.1f} kPa", style=val("value" if ok else "warn"))
            if ppco2 is not None:
                level = (
                    "alarm"
                    if ppco2 >= PPCO2_ALARM_KPA
                    else "warn"
                    if ppco2 >= PPCO2_WARN_KPA
                    else "value"
                )
                text.append("  " if text.plain else "")
                text.append(f"CO₂ {ppco2:.2f} kPa", style=val(level))
            rows.append(("Air", text))
        water, urine = scalars["water_tank_pct"], scalars["urine_tank_pct"]
        if water is not None or urine is not None:
            text = Text()
            if water is not None:
                text.append(f"water {water:.0f} %", style=val())
            if urine is not None:
                text.append(("  " if text.plain else "") + f"urine {urine:.0f} %", style=val())
            rows.append(("Tanks", text))
        radar = model.radar(now)
        if radar is not None:
            rows.append(("Kurs", Text(radar_text(*radar), style=val("warn"))))
        return self._label_rows(rows)
