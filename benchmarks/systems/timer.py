"""Time a conversion."""

import time


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start
