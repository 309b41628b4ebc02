"""Storage formats: one level kind per mode, plus the order in which the levels store the modes.

A format string is either a name (`dense`, `csr`, `csc`, `dcsr`, `dcsc`, `csf`, `coo`) or one letter per
level, optionally followed by `:` and the mode order. Level `k` of the format stores tensor mode
`mode_order[k]`. The letters:

- `d` dense: every coordinate of the mode, located by position arithmetic;
- `c` compressed: `pos` and `crd` arrays, coordinates sorted and unique within each parent;
- `u` compressed, non-unique: like `c` but a coordinate may repeat (COO's top level);
- `s` singleton: exactly one coordinate per parent position (COO's lower levels). A singleton level
  follows a non-unique level (`u`, or an `s` that another `s` follows); it is non-unique itself when
  another singleton follows it, so `"uss"` is 3-d COO.

`"dc"` is CSR, `"dc:1,0"` CSC, `"ccc:2,0,1"` CSF storing mode 2 outermost, `"us"` 2-d COO.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from einsparse import levels as level_kinds
from einsparse.errors import FormatError
from einsparse.levels import LevelKind

# Named formats of a fixed rank: name -> (letters, mode order).
_NAMED: dict[str, tuple[str, tuple[int, ...]]] = {
    "csr": ("dc", (0, 1)),
    "csc": ("dc", (1, 0)),
    "dcsr": ("cc", (0, 1)),
    "dcsc": ("cc", (1, 0)),
}
# Named formats of any rank: name -> the letter repeated once per mode.
_ANY_RANK = {"dense": "d", "csf": "c", "coo": "u"}


def _any_rank_letters(name: str, rank: int) -> str:
    if name == "coo":  # a non-unique top level, then singletons; a 1-d COO is a sparse vector
        return "c" * rank if rank <= 1 else "u" + "s" * (rank - 1)
    return _ANY_RANK[name] * rank


@dataclass(frozen=True)
class Format:
    """A storage format: level kinds, outermost first, and the tensor mode each level stores.

    Usually made from a string with `Format.parse` (or given as one wherever a format is taken).

    Parameters
    ----------
    levels : tuple of LevelKind or str
        One kind per level, outermost first; kinds may be given by name, as in
        ``Format(("dense", "compressed"), (0, 1))``.
    mode_order : tuple of int
        Level ``k`` stores tensor mode ``mode_order[k]``: a permutation of 0..rank-1.

    Raises
    ------
    FormatError
        Levels and mode order of different lengths, a mode order that is no permutation, an
        unknown kind, or a non-unique level not followed by a singleton (or a singleton after a
        unique level).

    Examples
    --------
    >>> from einsparse import Format
    >>> csc = Format.parse("csc")
    >>> str(csc), csc.name, csc.rank, csc.mode_order
    ('dc:1,0', 'csc', 2, (1, 0))
    >>> Format(("dense", "compressed"), (0, 1)).name
    'csr'
    """

    levels: tuple[LevelKind, ...]
    mode_order: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.levels) != len(self.mode_order):
            raise FormatError(
                f"format has {len(self.levels)} levels but a mode order of {len(self.mode_order)}"
            )
        if sorted(self.mode_order) != list(range(len(self.mode_order))):
            raise FormatError(
                f"mode order {','.join(map(str, self.mode_order))} is not a permutation of "
                f"0..{len(self.mode_order) - 1}"
            )
        # Kinds may be given by name, as in Format(("dense", "compressed"), (0, 1)).
        kinds = tuple(level_kinds.kind_named(kind) if isinstance(kind, str) else kind for kind in self.levels)
        for given, kind in zip(self.levels, kinds):
            if not isinstance(kind, LevelKind):
                raise FormatError(f"unknown level kind {given!r}: use one of {level_kinds.described()}")
        object.__setattr__(self, "levels", kinds)
        for k, kind in enumerate(self.levels):
            below = self.levels[k + 1] if k + 1 < len(self.levels) else None
            if not kind.unique and (below is None or not below.continues_run):
                raise FormatError(f"format {self}: a non-unique level must be followed by a singleton "
                                  f"level ('s')")
            if kind.continues_run and (k == 0 or self.levels[k - 1].unique):
                raise FormatError(f"format {self}: a singleton level ('s') must follow a non-unique "
                                  f"level ('u', or an 's' followed by another 's')")

    @property
    def rank(self) -> int:
        """The number of levels, which is the tensor's number of modes."""
        return len(self.levels)

    @functools.cached_property  # asked on every call of a kernel
    def is_dense(self) -> bool:
        """True when every level is dense: the tensor stores every entry."""
        return all(kind.full for kind in self.levels)

    def __hash__(self) -> int:
        """Hashed once: formats key the memos every call of a kernel looks in."""
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.levels, self.mode_order))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __reduce__(self) -> tuple[type[Format], tuple[tuple[LevelKind, ...], tuple[int, ...]]]:
        """Pickled without what is cached: a string's hash differs from one process to the next."""
        return Format, (self.levels, self.mode_order)

    @property
    def unique_levels(self) -> "Format":
        """This format with every level's `merged` kind: a COO-like format has its repeated coordinates
        merged (``us`` -> ``cc``).

        For formats of dense, compressed and singleton levels it is the format a kernel assembles for
        an output of this format (`assembled` is that format in general). The compiler gives these
        levels to a sparse result whose format follows one of its operands'.

        Returns
        -------
        Format
            Of the same rank and mode order; equal to this format when no level repeats coordinates.

        Examples
        --------
        >>> from einsparse import Format
        >>> coo = Format.parse("coo", rank=2)
        >>> str(coo), str(coo.unique_levels), coo.unique_levels.name
        ('us', 'cc', 'dcsr')
        >>> Format.parse("csc").unique_levels.name
        'csc'
        """
        return Format(tuple(kind.merged() for kind in self.levels), self.mode_order)

    @property
    def assembled(self) -> "Format":
        """The format a kernel assembles for an output of this format (each level's `assembled_as`); the
        runtime converts the result to this format when they differ.

        Internal: the compiler reads it when it plans a sparse output, and users need not call it. A
        COO output is assembled as CSF, a bitmap level as a dense one, a band level as a compressed
        one unless it is the last level under dense ones.
        """
        kinds: list[LevelKind] = []
        for k, kind in enumerate(self.levels):
            kinds.append(kind.assembled_as(tuple(kinds), k == self.rank - 1))
        return Format(tuple(kinds), self.mode_order)

    def level_of_mode(self, mode: int) -> int:
        """The level that stores tensor mode `mode`.

        Parameters
        ----------
        mode : int
            A mode of the tensor, 0 to ``rank - 1``.

        Returns
        -------
        int
            The level's position, 0 for the outermost.

        Raises
        ------
        ValueError
            `mode` is not a mode of this format.

        Examples
        --------
        >>> from einsparse import Format
        >>> Format.parse("csc").level_of_mode(1)
        0
        """
        return self.mode_order.index(mode)

    def __str__(self) -> str:
        letters = "".join(kind.letter for kind in self.levels)
        if self.mode_order == tuple(range(self.rank)):
            return letters
        return letters + ":" + ",".join(map(str, self.mode_order))

    @property
    def name(self) -> str:
        """The conventional name when there is one (`csr`, `dense`, ...), else the letter string.

        Examples
        --------
        >>> from einsparse import Format
        >>> Format.of_letters("cc", (1, 0)).name, Format.parse("cd").name
        ('dcsc', 'cd')
        """
        text = str(self)
        if self.rank == 0:
            return "scalar"
        for name, (letters, order) in _NAMED.items():
            if self.rank == 2 and text == _spell(letters, order):
                return name
        if self.mode_order == tuple(range(self.rank)):
            if self.is_dense:
                return "dense"
            if self.rank > 1 and text == _ANY_RANK["csf"] * self.rank:
                return "csf"
            if self.rank > 1 and text == _any_rank_letters("coo", self.rank):
                return "coo"
        return text

    @staticmethod
    def parse(spec: "str | Format", rank: "int | None" = None) -> "Format":
        """Read a format name, letter string or `Format`, checked against `rank` when given.

        Parameters
        ----------
        spec : str or Format
            A name (``dense``, ``csr``, ``csc``, ``dcsr``, ``dcsc``, ``csf``, ``coo``) or one letter
            per level, optionally followed by ``:`` and the mode order (``"dc:1,0"``).
        rank : int, optional
            The tensor's rank; needed by the names of any rank (``dense``, ``csf``, ``coo``).

        Returns
        -------
        Format

        Raises
        ------
        FormatError
            The spec is malformed, unknown, needs a rank, or has another rank than `rank`.

        Examples
        --------
        >>> from einsparse import Format
        >>> Format.parse("csr") == Format.parse("dc:0,1")
        True
        >>> str(Format.parse("coo", rank=3))
        'uss'
        """
        return parse_format(spec, rank)

    @staticmethod
    def dense(rank: int) -> "Format":
        """The all-dense format of `rank` modes, in mode order 0, 1, ...

        Parameters
        ----------
        rank : int
            The number of modes; 0 gives the format of a scalar.

        Returns
        -------
        Format

        Examples
        --------
        >>> from einsparse import Format
        >>> str(Format.dense(3)), Format.dense(3).is_dense
        ('ddd', True)
        """
        return Format((level_kinds.DENSE,) * rank, tuple(range(rank)))

    @staticmethod
    def of_letters(letters: str, mode_order: "tuple[int, ...] | None" = None) -> "Format":
        """A format of one letter per level, in mode order `mode_order` (default 0, 1, ...).

        Parameters
        ----------
        letters : str
            One lowercase letter per level, outermost first (see the module's list: ``d``, ``c``,
            ``u``, ``s``, ...).
        mode_order : tuple of int, optional
            Level ``k`` stores tensor mode ``mode_order[k]``.

        Returns
        -------
        Format

        Raises
        ------
        FormatError
            An unknown letter, a mode order that does not fit, or levels in an order no format
            has (a non-unique level not followed by a singleton).

        Examples
        --------
        >>> from einsparse import Format
        >>> Format.of_letters("dc").name
        'csr'
        """
        unknown = [letter for letter in letters if letter not in level_kinds.letters()]
        if unknown:
            raise FormatError(f"unknown level letter {unknown[0]!r} in {letters!r}: use {level_kinds.described()}")
        return Format(level_kinds.kinds_of(letters), tuple(range(len(letters))) if mode_order is None else mode_order)


def _spell(letters: str, order: tuple[int, ...]) -> str:
    if order == tuple(range(len(order))):
        return letters
    return letters + ":" + ",".join(map(str, order))


def parse_format(spec: "str | Format", rank: int | None = None, *, what: str = "format") -> Format:
    """Turn a format name, letter string or `Format` into a `Format`, checking it against `rank`.

    `what` names the tensor in error messages (e.g. "format of A").
    """
    fmt = read_format(spec, rank, what=what)
    if rank is not None and fmt.rank != rank:
        raise FormatError(
            f"{what} {spec_text(spec)!r} has {fmt.rank} level{'s' if fmt.rank != 1 else ''} "
            f"but the tensor has rank {rank}"
        )
    return fmt


def read_format(spec: "str | Format", rank: int | None = None, *, what: str = "format") -> Format:
    """Like `parse_format`, without checking the rank: `rank` only sizes `dense` and `csf`.

    The caller compares `.rank` itself when it can say more about a mismatch (where the tensor is used).
    """
    if isinstance(spec, Format):
        return spec
    if isinstance(spec, str):
        known = _parsed.get((spec, rank))
        if known is None:
            known = _parse_text(spec.strip(), rank, what)
            if len(_parsed) < 4096:
                _parsed[(spec, rank)] = known
        return known
    raise FormatError(f"{what} must be a string such as 'csr' or 'dc:1,0', not {type(spec).__name__}")


_parsed: dict[tuple[str, int | None], Format] = {}  # format strings read before: kernels parse the same few on every call


def spec_text(spec: "str | Format") -> str:
    return spec.strip() if isinstance(spec, str) else str(spec)


def _parse_text(text: str, rank: int | None, what: str) -> Format:
    lowered = text.lower()
    order: tuple[int, ...]
    if lowered in _NAMED:
        letters, order = _NAMED[lowered]
        return _from_letters(letters, order, text, what)
    if lowered in _ANY_RANK:
        if rank is None:
            raise FormatError(f"{what} {text!r} needs a rank: use Format.dense(rank) or letters like 'dd'")
        return _from_letters(_any_rank_letters(lowered, rank), tuple(range(rank)), text, what)
    letters, _, order_text = text.partition(":")
    if not letters and not order_text:
        if rank in (None, 0):
            return Format((), ())
    if not letters or any(letter not in level_kinds.letters() for letter in letters.lower()):
        known = ", ".join(list(_NAMED) + list(_ANY_RANK))
        raise FormatError(
            f"{what} {text!r} is unknown: use one of {known}, or one letter per mode "
            f"({level_kinds.described()}) with an optional mode order, e.g. 'dc:1,0'"
        )
    if order_text:
        try:
            order = tuple(int(part) for part in order_text.split(","))
        except ValueError:
            raise FormatError(
                f"{what} {text!r}: the mode order after ':' must be comma-separated integers"
            ) from None
    else:
        order = tuple(range(len(letters)))
    return _from_letters(letters.lower(), order, text, what)


def _from_letters(letters: str, order: tuple[int, ...], text: str, what: str) -> Format:
    if len(order) != len(letters):
        raise FormatError(
            f"{what} {text!r}: {len(letters)} level letters but a mode order of {len(order)} modes"
        )
    if sorted(order) != list(range(len(order))):
        raise FormatError(f"{what} {text!r}: the mode order must be a permutation of 0..{len(order) - 1}")
    try:
        return Format(level_kinds.kinds_of(letters), order)
    except FormatError as error:
        raise FormatError(f"{what} {text!r}: {str(error).split(': ', 1)[-1]}") from None
