"""What a runner picks on a routine page (band, length, locale), read from the query string into the voice's Place.

The page offers exactly what a runner can say: a band level, a length word (short, standard, long,
as `skill.needs.LENGTH_VARIANTS` maps "quick" and "long") or a number of minutes (fitted by whole
exercises, as "a ten minute workout" is), and a locale. The timeline is then
`Catalog.timeline_at(place, locale)`, the same call the voice skill and hands-free make.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from skill.catalog import Catalog
from skill.config import LOCALES
from skill.errors import BadRequest
from skill.routines import BANDS_BY_VALUE, MAX_MINUTES, VARIANTS_BY_VALUE, BandLevel, Place, Variant
from skill.timeline import Timeline

FITTED_MINUTES = (5, 10, 15, 20, 30)  # lengths the page offers besides the variants ("a ten minute workout")


@dataclass(frozen=True, slots=True)
class Choice:
    """One routine as a runner chose it on the page: band, variant or minutes, and locale."""

    routine: str
    band: BandLevel
    variant: Variant
    minutes: int
    locale: str

    @classmethod
    def from_query(cls, catalog: Catalog, routine_id: str, query: Mapping[str, str], *,
                   default_locale: str) -> Choice:
        """The choice the query asks for, each part defaulting as the voice does (the routine's own band,
        the standard length); BadRequest naming the accepted values for anything else."""
        routine = catalog.routines[routine_id]
        band_text = query.get("band") or routine.band.value
        band = BANDS_BY_VALUE.get(band_text)
        if band is None:
            raise BadRequest(f"band {band_text[:20]!r} is not a band level: choose {', '.join(BANDS_BY_VALUE)}")
        length = query.get("length") or Variant.STANDARD.value
        variant, minutes = VARIANTS_BY_VALUE.get(length), 0
        if variant is None:
            if not (length.isdigit() and 1 <= int(length) <= MAX_MINUTES):
                raise BadRequest(f"length {length[:20]!r} is neither {', '.join(VARIANTS_BY_VALUE)} nor a number "
                                 f"of minutes from 1 to {MAX_MINUTES}")
            variant, minutes = Variant.STANDARD, int(length)  # minutes win, as a spoken length does
        locale = query.get("locale") or default_locale
        if locale not in LOCALES:
            raise BadRequest(f"locale {locale[:20]!r} is not offered: choose {', '.join(LOCALES)}")
        return cls(routine_id, band, variant, minutes, locale)

    @property
    def length(self) -> str:
        """The length as the query names it: a variant, or whole minutes."""
        return str(self.minutes) if self.minutes else self.variant.value

    @property
    def place(self) -> Place:
        """The Place a voice session would start at for the same words (no extra sets: the page is anonymous)."""
        return Place(self.routine, self.variant, self.band, minutes=self.minutes)

    def timeline(self, catalog: Catalog) -> Timeline:
        """The timeline the voice skill and hands-free walk for this choice (memoised by the catalog)."""
        return catalog.timeline_at(self.place, self.locale)

    def query(self) -> dict[str, str]:
        """The query string that asks for this choice again (links, saved pages, the audio request), in the
        form's order, so the page a form shows is the very address its service worker keeps."""
        return {"band": self.band.value, "locale": self.locale, "length": self.length}
