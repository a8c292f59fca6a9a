"""Progress bars for long commands (tqdm), one bar per step."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


class ProgressBars:
    """Pass ``bars.update`` as an ``on_progress(step, done, total)`` callback."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.bars: dict[str, Any] = {}

    def update(self, step: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        bar = self.bars.get(step)
        if bar is None:
            bar = tqdm(total=total, desc=step, unit="", file=sys.stderr, dynamic_ncols=True)
            self.bars[step] = bar
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
