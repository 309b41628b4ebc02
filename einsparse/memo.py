"""A bounded memo shared by threads: the least recently used entry goes first when it is full."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class CallMemo:
    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        value = self._entries.get(key)  # a dict read is atomic; only writes take the lock
        if value is not None:
            try:
                self._entries.move_to_end(key)
            except KeyError:  # dropped by another thread's put meanwhile: still a valid value
                pass
        return value

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
