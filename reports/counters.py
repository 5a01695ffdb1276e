"""Per-province figures that other apps add to the progress dashboards.

The reporting layer imports none of the apps that own these figures (problem reports, snapshot
reviews...): each app registers its counter in its AppConfig.ready(),

    from reports import counters
    counters.register("open_problems", _("Open problem reports"), open_problems, order=10)

where `open_problems(province_ids)` returns {province id: number} for those provinces in ONE
query (a GROUP BY), so a dashboard costs one query per counter however many provinces it shows.
The live dashboards show each counter as a column after the standard figures, in `order`, with 0
for a province missing from the answer and the sum on the total line. Stored snapshots keep only
the standard figures, so a past day's page has no such columns.
"""

import dataclasses
from collections.abc import Callable


@dataclasses.dataclass(frozen=True)
class Counter:
    """A figure per province: its column heading and the function that counts it."""

    key: str
    label: str
    count: Callable
    order: int = 0


_registry = {}


def register(key, label, count, order=0):
    """Add a counter to the dashboards; `label` a lazy translation, `count(province_ids)`."""
    if key in _registry:
        raise ValueError(f"A dashboard counter {key!r} is already registered.")
    _registry[key] = Counter(key=key, label=label, count=count, order=order)


def unregister(key):
    _registry.pop(key)


def registered():
    """The counters in column order."""
    return sorted(_registry.values(), key=lambda counter: (counter.order, counter.key))


def columns(province_ids):
    """[(Counter, {province id: number})] of every registered counter, one call each."""
    province_ids = list(province_ids)
    return [(counter, counter.count(province_ids)) for counter in registered()]
