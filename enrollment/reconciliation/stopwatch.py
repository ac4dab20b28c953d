"""Phase timings of a run or a load, kept on the run and printed by `make bench`."""

import time


class Stopwatch:
    def __init__(self):
        self.timings: dict[str, float] = {}
        self._clock = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._clock, 3)
        self._clock = now
