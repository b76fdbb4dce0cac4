"""How bright the station looks: an estimated visual magnitude from range and phase. Pure.

The model is the one amateur satellite predictors use for objects of unknown shape (Rob
Matson's SkyMap, Heavens-Above and the programs that followed them): treat the station as a
diffusely reflecting (Lambertian) sphere whose brightness at a standard distance and phase
is known from observation, and scale it to the actual distance and phase:

    m = m_std + 5 * log10(range_km / 1000) - 2.5 * log10(F(phase))
    F(phase) = sin(phase) + (pi - phase) * cos(phase)

- `m_std`, the standard (intrinsic) magnitude, is the brightness at 1,000 km with the
  station half lit as seen by the observer (phase angle 90 degrees, where F = 1, so both
  terms vanish).
- The range term is the inverse-square law: twice as far, a quarter of the light, 1.5 mag.
- `phase` is the angle at the station between the Sun and the observer: 0 when the observer
  sees the whole lit face (Sun behind the observer, F = pi, 1.24 mag brighter than at 90),
  180 when only the dark side faces them (F = 0: nothing reflected towards them).

The ISS's standard magnitude is taken as -1.8. That is the value commonly quoted for the ISS
in this convention (it is the figure in Mike McCants' qs.mag list of intrinsic magnitudes, as
used by hobbyist predictors; Heavens-Above has been quoted using -1.3). It is an estimate from
visual observations, not a measured photometric constant: the station is no sphere, its
solar arrays turn, and observed brightness scatters around the model by about a magnitude.
So every magnitude here is an estimate good to about +-1 mag, and the screen says "est.".
Atmospheric extinction near the horizon (dimming of up to a magnitude below 10 degrees) is
not modelled.

The phase function reaches zero at 180 degrees, where the logarithm is infinite; the real
station is never that dark (its arrays scatter light at any angle), so F is floored at
`_MIN_PHASE_FUNCTION` (at most 5 mag fainter than at 90 degrees) and the magnitude stays a
finite number for any geometry.
"""

from __future__ import annotations

import math

# Standard magnitude of the ISS at 1,000 km and 90 degrees phase (see the module docstring).
ISS_STANDARD_MAGNITUDE = -1.8
STANDARD_RANGE_KM = 1000.0
_MIN_PHASE_FUNCTION = 0.01  # -2.5 * log10(0.01) = +5 mag


def phase_function(phase_deg: float) -> float:
    """F(phase) = sin(phase) + (pi - phase) * cos(phase) for a diffuse sphere, 1 at 90 degrees,
    pi at 0, floored at a hundredth near 180. `phase_deg` is taken into [0, 180]."""
    phase = math.radians(min(180.0, max(0.0, abs(phase_deg))))
    value = math.sin(phase) + (math.pi - phase) * math.cos(phase)
    return max(_MIN_PHASE_FUNCTION, value)


def visual_magnitude(
    range_km: float | None,
    phase_deg: float | None,
    standard_magnitude: float = ISS_STANDARD_MAGNITUDE,
) -> float | None:
    """Estimated visual magnitude at `range_km` from the observer and `phase_deg` (the
    Sun-station-observer angle); None when either is unknown, not finite, or the range is
    not positive (no such geometry)."""
    if range_km is None or phase_deg is None:
        return None
    if not (math.isfinite(range_km) and math.isfinite(phase_deg)) or range_km <= 0.0:
        return None
    # Two logarithms rather than one of the ratio: a subnormal range divided by 1000 is 0.0,
    # whose logarithm is a domain error (hypothesis found 5e-324).
    range_term = 5.0 * (math.log10(range_km) - math.log10(STANDARD_RANGE_KM))
    phase_term = -2.5 * math.log10(phase_function(phase_deg))
    return standard_magnitude + range_term + phase_term
