"""Level kinds, one module each, and the registry of their letters.

A format string has one letter per level (`dc` is CSR). `kinds_of("dc")` reads them; every other part
of einsparse asks the kinds what they can do (`einsparse.levels.base` says what a kind answers), and
never which kind a level is. A new kind is one module plus one line in `_REGISTRY`.
"""

from __future__ import annotations

from einsparse.levels.band import Band, BandLevel
from einsparse.levels.bitmap import Bitmap, BitmapLevel
from einsparse.levels.base import LevelCode, LevelKind, LevelStorage, index_dtype
from einsparse.levels.compressed import Compressed, CompressedLevel
from einsparse.levels.dense import Dense, DenseLevel
from einsparse.levels.singleton import Singleton, SingletonLevel

# letter -> (kind, what the letter means, for messages)
_REGISTRY: dict[str, tuple[LevelKind, str]] = {
    "d": (Dense(), "dense"),
    "c": (Compressed(), "compressed"),
    "u": (Compressed(unique=False), "non-unique compressed"),
    "s": (Singleton(), "singleton"),
    "b": (Band(), "band"),
    "m": (Bitmap(), "bitmap"),
}

DENSE = Dense()  # the kind of workspaces and of dense tensors


def letters() -> str:
    return "".join(_REGISTRY)


def described() -> str:
    """The letters and their meanings, for messages: "'d' dense, 'c' compressed, ..."."""
    return ", ".join(f"'{letter}' {meaning}" for letter, (_, meaning) in _REGISTRY.items())


def kind_named(name: str) -> "LevelKind | None":
    """The kind called `name` (`"dense"`, `"compressed-nonunique"`, ...), or None."""
    for kind, _ in _REGISTRY.values():
        for variant in (kind, kind.before(kind)):  # a singleton before a singleton is non-unique
            if variant.name == name:
                return variant
    return None


def kinds_of(text: str) -> tuple[LevelKind, ...]:
    """The kinds of a string of level letters, each told which kind follows it (see `LevelKind.before`).
    KeyError for an unknown letter."""
    kinds = [_REGISTRY[letter][0] for letter in text]
    return tuple(kind.before(kinds[k + 1] if k + 1 < len(kinds) else None) for k, kind in enumerate(kinds))


__all__ = ["LevelKind", "LevelCode", "LevelStorage", "Dense", "DenseLevel", "Compressed", "CompressedLevel",
           "Singleton", "SingletonLevel", "Band", "BandLevel", "Bitmap", "BitmapLevel", "DENSE", "index_dtype", "kinds_of", "kind_named", "letters", "described"]
