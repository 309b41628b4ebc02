"""Loop IR that looks ahead in a loop over a sparse operand's coordinates (called by `lower`):
- prefetching: the rows of other operands the loop will read some entries later are asked for now, so
  that their random loads overlap instead of waiting one after another (`emit.PREFETCH`);
- galloping: an intersection of two operands of very different lengths lets the one behind skip to the
  other's coordinate in about 2 log2(skipped) steps (`emit.GALLOP`).
Neither changes what is computed, only when memory is read.
"""

from __future__ import annotations

from einsparse.compiler import loop_ir as loop

# How many entries ahead of a sparse loop the rows it will read are prefetched: far enough for the
# loads to arrive in time (16 and 32 were alike for SpMM and SDDMM rows, 4 half as good).
PREFETCH_AHEAD = 16
# Operands larger than this (about a core's private cache) have their rows prefetched.
PREFETCH_FROM_BYTES = 2**20

# An intersection gallops when one iterator has this many times the entries of the other.
GALLOP_RATIO = 16


def prefetch_rows(storages, v: str, it, extent, names) -> tuple[list[loop.Node], list[loop.Node], list[str]]:
    """Code before the loop over `v` driven by the iterator `it`, code at the top of its body, and notes
    for explain(): prefetches of the rows, some entries ahead, of the input operands in `storages` whose
    first level is dense and indexed by `v`: a dense row (SpMM's B[k,:]), or a compressed one (SpGEMM's
    B[k,:]). Only for operands larger than the processor's private cache (`PREFETCH_FROM_BYTES`): rows
    in cache gain nothing and pay the instructions (MTTKRP's 256 kB factors ran 2x slower). Dense
    vectors are left alone (SpMV's x): one element per coordinate, and the prefetch cost more than it
    saved. `extent(index)` names an index's extent; `names` is the kernel's Namer."""
    before, rows, notes = [], [], []
    for storage in storages:
        levels = storage.levels
        if len(levels) < 2 or storage.level_indices[0] != v or not levels[0].full:
            continue
        if all(code.full for code in levels):
            lines = _dense_row(storage, it, extent, names)
        elif levels[1].pos is not None and levels[1].crd is not None:
            lines = _sparse_row(storage, it, names)
        else:
            continue
        notes.append(f"loop over {v}: prefetches the row of {storage.label} it will read {PREFETCH_AHEAD} "
                     f"entries of {it.label} ahead (when {storage.label} is larger than "
                     f"{PREFETCH_FROM_BYTES // 2**20} MB)")
        far = names.once(("far", storage.key), f"{storage.label}_far")
        before.append(loop.Line(f"{far} = len({storage.vals}) * {storage.vals}.itemsize > {PREFETCH_FROM_BYTES}"))
        rows += [loop.If(((f"{far} and {guard}", tuple(nodes)),)) for guard, nodes in lines]
    return before, rows, notes


def _ahead(it, distance: int) -> tuple[str, str]:
    """The coordinate of `it` `distance` entries ahead, and the condition that there is one."""
    return (it.coordinate.replace(f"u({it.position})", f"u({it.position} + {distance})"),
            f"{it.position} + {distance} < len({it.crd})")


def _dense_row(storage, it, extent, names) -> list[tuple[str, list]]:
    """Up to four cache lines (of float64) of the row `PREFETCH_AHEAD` entries ahead; the hardware
    follows on from there. Written out: through a helper function with a loop, they gained nothing."""
    coordinate, guard = _ahead(it, PREFETCH_AHEAD)
    length = " * ".join(extent(i) for i in storage.level_indices[1:])
    start = names.once(("ahead", storage.key), f"{storage.label}_ahead")
    lines = [loop.Line(f"{start} = {coordinate} * {length}"), loop.Line(f"prefetch({storage.vals}, {start})")]
    lines += [loop.If(((f"{length} > {offset}", (loop.Line(f"prefetch({storage.vals}, {start} + {offset})"),)),))
              for offset in (8, 16, 24)]
    return [(guard, lines)]


def _sparse_row(storage, it, names) -> list[tuple[str, list]]:
    """In two steps: the row's bounds `PREFETCH_AHEAD` entries ahead, and the start of its coordinates
    (and values, when the level is the last) half as far ahead, when its bounds have arrived."""
    code = storage.levels[1]
    far_coordinate, far_guard = _ahead(it, PREFETCH_AHEAD)
    near_coordinate, near_guard = _ahead(it, PREFETCH_AHEAD // 2)
    row = names.once(("ahead row", storage.key), f"{storage.label}_ahead_row")
    start = names.once(("ahead", storage.key), f"{storage.label}_ahead")
    fetch = [loop.Line(f"{start} = {code.pos}[u({row})]"), loop.Line(f"prefetch({code.crd}, {start})")]
    if len(storage.levels) == 2:
        fetch += [loop.Line(f"prefetch({storage.vals}, {start})"), loop.Line(f"prefetch({storage.vals}, {start} + 8)")]
    # The bounds are read, not prefetched: entries past an operand's last (arrays may be longer than
    # what they hold) are not coordinates, so the row is checked to exist.
    near = [loop.Line(f"{row} = {near_coordinate}"),
            loop.If(((f"u({row}) < u(len({code.pos}))", tuple(fetch)),))]
    return [(far_guard, [loop.Line(f"prefetch({code.pos}, {far_coordinate})")]), (near_guard, near)]


def galloping(var: str, v: str, members, coords: dict, condition: str, region_nodes, merge) -> tuple[loop.If, str]:
    """The intersection of the two iterators `members` as a choice between a galloping loop, for when
    one is much longer than the other (a few entries of a sparse vector against a long row), and the
    step-by-step `merge`, decided each time the loop starts from the lengths; and a note for explain().
    In the galloping loop the iterator behind skips to the other's coordinate (`emit.GALLOP`)."""
    a, b = members
    length_a, length_b = f"({a.end} - {a.position})", f"({b.end} - {b.position})"
    ca, cb = coords[a.key], coords[b.key]
    gallop = loop.While(condition, (
        loop.Line(f"{ca} = {a.coordinate}"),
        loop.Line(f"{cb} = {b.coordinate}"),
        loop.If(((f"{ca} < {cb}", (loop.Line(f"{a.position} = gallop({a.crd}, {a.position} + 1, {a.end}, {cb})"),)),
                 (f"{cb} < {ca}", (loop.Line(f"{b.position} = gallop({b.crd}, {b.position} + 1, {b.end}, {ca})"),))),
                (loop.Line(f"{var} = {ca}"), *region_nodes, a.advance(), b.advance()))))
    lopsided = f"{length_a} > {GALLOP_RATIO} * {length_b} or {length_b} > {GALLOP_RATIO} * {length_a}"
    note = (f"loop over {v}: intersects {a.label} and {b.label} by galloping where one is more than "
            f"{GALLOP_RATIO} times longer than the other")
    return loop.If(((lopsided, (gallop,)),), (merge,)), note
