"""Element sets for tests, written here (never read from /work/shared): TLE lines with any
field values and correct checksums, OMM records, and a many-set history in CelesTrak's shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from feeds.adapters.tle import tle_checksum


def _epoch_field(epoch: datetime) -> str:
    start = datetime(epoch.year, 1, 1, tzinfo=UTC)
    day = (epoch - start).total_seconds() / 86400.0 + 1.0
    return f"{epoch.year % 100:02d}{day:012.8f}"


def _exp_field(value: float) -> str:
    """TLE's implied-decimal exponent form (" 12345-3" = 0.12345e-3)."""
    if value == 0:
        return " 00000+0"
    sign = "-" if value < 0 else " "
    mantissa, exponent = f"{abs(value):.4e}".split("e")
    digits = mantissa.replace(".", "")[:5]
    exp = int(exponent) + 1
    return f"{sign}{digits}{'-' if exp < 0 else '+'}{abs(exp) % 10}"


def tle_lines(
    *,
    catalog: int = 25544,
    epoch: datetime = datetime(2025, 4, 7, 12, 29, 36, tzinfo=UTC),
    inclination_deg: float = 51.6365,
    raan_deg: float = 297.0255,
    eccentricity: float = 0.0004979,
    arg_perigee_deg: float = 19.0825,
    mean_anomaly_deg: float = 341.0349,
    mean_motion_rev_day: float = 15.4932068,
    bstar: float = 0.00021806,
    rev: int = 50420,
) -> tuple[str, str]:
    """Two well-formed TLE lines (checksums included) with these fields."""
    ecc = f"{eccentricity:.7f}"[2:9]
    line1 = (
        f"1 {catalog:05d}U 98067A   {_epoch_field(epoch)}  .00011719  00000+0 "
        f"{_exp_field(bstar)} 0  999"
    )
    line2 = (
        f"2 {catalog:05d} {inclination_deg:8.4f} {raan_deg:8.4f} {ecc} "
        f"{arg_perigee_deg:8.4f} {mean_anomaly_deg:8.4f} {mean_motion_rev_day:11.8f}"
        f"{rev % 100000:5d}"
    )
    line1 = line1[:68].ljust(68)
    line2 = line2[:68].ljust(68)
    return line1 + str(tle_checksum(line1)), line2 + str(tle_checksum(line2))


def tle_text(name: str = "ISS (ZARYA)", **fields: Any) -> str:
    line1, line2 = tle_lines(**fields)
    return f"{name}\n{line1}\n{line2}\n"


def omm(epoch: datetime, **overrides: Any) -> dict[str, Any]:
    """An ISS OMM record as CelesTrak writes it, dated `epoch`."""
    record: dict[str, Any] = {
        "OBJECT_NAME": "ISS (ZARYA)",
        "OBJECT_ID": "1998-067A",
        "EPOCH": epoch.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "MEAN_MOTION": 15.4932068,
        "ECCENTRICITY": 0.0004979,
        "INCLINATION": 51.6365,
        "RA_OF_ASC_NODE": 297.0255,
        "ARG_OF_PERICENTER": 19.0825,
        "MEAN_ANOMALY": 341.0349,
        "EPHEMERIS_TYPE": 0,
        "CLASSIFICATION_TYPE": "U",
        "NORAD_CAT_ID": 25544,
        "ELEMENT_SET_NO": 999,
        "REV_AT_EPOCH": 50420,
        "BSTAR": 0.00021806,
        "MEAN_MOTION_DOT": 0.00011719,
        "MEAN_MOTION_DDOT": 0,
    }
    record.update(overrides)
    return record


HISTORY_START = datetime(2024, 9, 15, 0, 58, 12, tzinfo=UTC)
HISTORY_STEP = timedelta(hours=8, minutes=41)


def omm_history(count: int = 499) -> list[dict[str, Any]]:
    """`count` ISS sets about 8.7 h apart (six months for 499), in CelesTrak's history shape
    (one object per set, oldest first, with a `date_fetched` key the adapter ignores). Each set
    is distinct (node, perigee and anomaly move), so using the wrong one is kilometres off."""
    records = []
    for i in range(count):
        epoch = HISTORY_START + i * HISTORY_STEP
        record = omm(
            epoch,
            RA_OF_ASC_NODE=round((230.2949 - 1.8 * i) % 360, 4),
            ARG_OF_PERICENTER=round((354.9391 + 3.7 * i) % 360, 4),
            MEAN_ANOMALY=round((85.5828 + 47.3 * i) % 360, 4),
            REV_AT_EPOCH=(47248 + 6 * i) % 100000,
        )
        record["date_fetched"] = (epoch + timedelta(hours=4)).isoformat() + "Z"
        records.append(record)
    return records


# Element sets seen breaking the dashboard (issue 12, issue 14), for tests and the fault server.
BAD_SETS_AT = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)
# Parses, but SGP4 gives NaN: a high eccentricity with an epoch a little ahead.
NAN_TLE = tle_text(eccentricity=0.99, epoch=BAD_SETS_AT + timedelta(days=1))
# A geostationary orbit labelled 25544 (35,786 km).
GEOSTATIONARY_TLE = tle_text(mean_motion_rev_day=1.0027, eccentricity=0.0002, inclination_deg=0.05)
# 19.9 revolutions a day: below the ground (-610 km).
TOO_FAST_TLE = tle_text(mean_motion_rev_day=19.9)
# Hubble (catalog 20580), dated after the bundled ISS set it would have replaced.
HUBBLE_LINES = tle_lines(
    catalog=20580,
    inclination_deg=28.4699,
    raan_deg=101.2,
    eccentricity=0.0002,
    mean_motion_rev_day=15.2708,
    rev=2347,
    epoch=BAD_SETS_AT - timedelta(hours=3),
)
