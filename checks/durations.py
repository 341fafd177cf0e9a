"""Go durations as Flux reads them: parse to seconds, write back the way Flux users do.

Flux fields such as ``interval`` are Kubernetes ``metav1.Duration`` values,
parsed with Go's ``time.ParseDuration``; the CRDs narrow them further with a
pattern (``^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$`` for intervals, no ``h`` for
source timeouts), so a value such as ``1d`` is rejected by the API server
before any controller sees it.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Every unit Go's time.ParseDuration knows, in seconds ("µ" and "μ" are both accepted by Go).
GO_UNITS: dict[str, float] = {
    "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0,
}
GO_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|μs|ms|s|m|h))+$")
# What the Flux CRDs accept for intervals, retry intervals and most timeouts.
FLUX_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$")
# Source-controller and image-reflector timeouts do not accept hours.
FLUX_DURATION_NO_HOURS = re.compile(r"^([0-9]+(\.[0-9]+)?(ms|s|m))+$")

_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|μs|ms|s|m|h)")

# Spellings people write that Go rejects, with what they mean in seconds.
_FRIENDLY_UNITS: dict[str, float] = {
    "w": 7 * 86400.0, "wk": 7 * 86400.0, "week": 7 * 86400.0, "weeks": 7 * 86400.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    **GO_UNITS,
}
_FRIENDLY = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([a-zµμ]+)")


@lru_cache(maxsize=4096)  # a repository writes a handful of durations, and every interval rule reads them
def parse_duration(text: str) -> float | None:
    """Seconds of a Go duration (unsigned, as the Flux CRDs allow), or None if Go would reject it."""
    text = text.strip()
    if not GO_DURATION.match(text):
        return None
    return sum(float(number) * GO_UNITS[unit] for number, unit in _PART.findall(text))


@lru_cache(maxsize=4096)
def is_flux_duration(text: str, hours: bool = True) -> bool:
    """True when the Flux CRD pattern accepts the value (``hours=False`` for source timeouts)."""
    return bool((FLUX_DURATION if hours else FLUX_DURATION_NO_HOURS).match(text.strip()))


def parse_friendly(text: str) -> float | None:
    """Seconds of a duration written with units Go does not know (``1d``, ``2 weeks``, ``5min``).

    Only whole-text matches count: anything ambiguous returns None, so a fix
    is offered only where the meaning is certain.
    """
    cleaned = text.strip()
    if not cleaned or not re.fullmatch(r"(\s*[0-9]+(\.[0-9]+)?\s*[a-zµμ]+)+\s*", cleaned):
        return None
    total = 0.0
    for number, unit in _FRIENDLY.findall(cleaned):
        if unit not in _FRIENDLY_UNITS:
            return None
        total += float(number) * _FRIENDLY_UNITS[unit]
    return total


def format_duration(seconds: float) -> str:
    """The shortest Flux-style spelling of a duration: ``24h``, ``1h30m``, ``90s`` -> ``1m30s``.

    Days are written in hours because Go has no day unit.
    """
    if seconds <= 0:
        return "0s"
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    parts = []
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if secs:
        parts.append(f"{secs}s")
    if millis:
        parts.append(f"{millis}ms")
    return "".join(parts)

