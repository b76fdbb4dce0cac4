"""Validated, frozen values that cross from the feeds into the state.

Each model rejects absurd input at the boundary with a reason (NaN, latitude 200, negative
altitude, an eccentricity that is not an ellipse) instead of letting it be drawn.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from issdash.feeds.clock import ensure_utc

ISS_NORAD_ID = 25544
# Zarya, the station's first module, was launched on 1998-11-20 at 06:40 UTC: nothing dated
# before it describes the station (and its orbit count starts there).
ZARYA_LAUNCH = datetime(1998, 11, 20, 6, 40, tzinfo=UTC)

UtcDatetime = Annotated[datetime, AfterValidator(ensure_utc)]


class FrozenModel(BaseModel):
    """Immutable, strict about NaN/Infinity, tolerant of extra upstream fields.

    Built (schema and validator) when a value is first validated, not when its module is
    imported (`defer_build`, inherited by every subclass): a live start whose feeds have not
    answered draws its first frame without building the models of their answers; the first
    answer of each kind builds its model once (a millisecond or so, in the feed's parse)."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False, extra="ignore", defer_build=True)


class ElementSet(FrozenModel):
    """Mean orbital elements for SGP4, from a TLE or an OMM record.

    The original form is kept (TLE lines or OMM fields) so propagation uses exactly what the
    publisher sent; the decoded fields are for display and sanity checks.
    """

    name: str
    norad_id: int = Field(gt=0)
    epoch: UtcDatetime
    mean_motion_rev_day: float = Field(gt=0.5, lt=20.0)
    eccentricity: float = Field(ge=0.0, lt=1.0)
    inclination_deg: float = Field(ge=0.0, le=180.0)
    raan_deg: float = Field(ge=0.0, le=360.0)
    arg_perigee_deg: float = Field(ge=0.0, le=360.0)
    mean_anomaly_deg: float = Field(ge=0.0, le=360.0)
    bstar: float
    rev_at_epoch: int = Field(ge=0)
    tle_line1: str | None = None
    tle_line2: str | None = None
    omm: dict[str, str] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> ElementSet:
        has_tle = self.tle_line1 is not None and self.tle_line2 is not None
        if not has_tle and self.omm is None:
            raise ValueError("element set carries neither TLE lines nor OMM fields")
        return self

    @property
    def period_min(self) -> float:
        return 1440.0 / self.mean_motion_rev_day


class PositionFix(FrozenModel):
    """Where an upstream API says the station was at `timestamp`."""

    source: Literal["wheretheiss.at", "open-notify"]
    timestamp: UtcDatetime
    latitude_deg: float = Field(ge=-90.0, le=90.0)
    longitude_deg: float = Field(ge=-180.0, le=180.0)
    # Open Notify publishes geocentric latitude; comparing it with a geodetic one would
    # invent a residual of up to ~20 km, so the kind travels with the number.
    latitude_is_geocentric: bool = False
    altitude_km: float | None = Field(default=None, gt=100.0, lt=2000.0)
    speed_km_h: float | None = Field(default=None, gt=0.0, lt=40000.0)
    visibility: str | None = None


class Observer(FrozenModel):
    """A place on the ground to predict passes for."""

    latitude_deg: float = Field(ge=-90.0, le=90.0)
    longitude_deg: float = Field(ge=-180.0, le=180.0)
    altitude_m: float = Field(default=0.0, ge=-500.0, le=9000.0)
    # Where the coordinates came from when a place name was given ("Boston, Massachusetts,
    # US"), and the observer's time zone (IANA name) with how it was found: from the place's
    # gazetteer entry, from the coordinates (an offline boundary lookup), or the system's.
    place: str | None = None
    timezone: str | None = None
    timezone_source: Literal["place", "coordinates", "system"] | None = None

    @classmethod
    def parse(cls, text: str) -> Observer:
        """Parse "LAT,LON[,ALT_M]" as written in settings and on the command line."""
        parts = [p.strip() for p in text.split(",")]
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"observer must be LAT,LON[,ALT_M], got {text!r}")
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            raise ValueError(f"observer must be numbers LAT,LON[,ALT_M], got {text!r}") from None
        return cls(
            latitude_deg=numbers[0],
            longitude_deg=numbers[1],
            altitude_m=numbers[2] if len(numbers) == 3 else 0.0,
        )

    def label(self) -> str:
        ns = "N" if self.latitude_deg >= 0 else "S"
        ew = "E" if self.longitude_deg >= 0 else "W"
        return f"{abs(self.latitude_deg):.2f}{ns} {abs(self.longitude_deg):.2f}{ew}"
