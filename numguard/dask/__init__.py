"""numguard on dask.distributed: a task error instead of a killed worker.

- `NumguardPlugin`: ``client.register_plugin(NumguardPlugin())`` arms numguard in every
  worker, with a per-allocation limit derived from the worker's memory_limit; a task
  whose allocation would not fit fails with numguard's MemoryLimitError, and the worker
  lives on. Refusals arrive as events (``client.get_events("numguard")``).
- `check(*collections)`: before compute, refuse a dask array graph with a chunk,
  intermediates included, too large for a worker.
- ``dask worker --preload numguard.dask``: the plugin, from the command line.

Importing numguard never imports this package (nor dask); it needs the `dask` extra.
"""

from __future__ import annotations

try:
    import dask as _dask  # noqa: F401
    import distributed as _distributed  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised where dask is absent
    raise ImportError(
        f"numguard.dask needs dask and distributed ({error.name} is missing): "
        "pip install 'numguard[dask]'"
    ) from error

from .check import GraphCheck, LayerChunk, check
from .plugin import TOPIC, NumguardPlugin, dask_setup
from .worker_limit import WorkerLimit, worker_limit

__all__ = ["GraphCheck", "LayerChunk", "NumguardPlugin", "TOPIC", "WorkerLimit", "check",
           "dask_setup", "worker_limit"]
