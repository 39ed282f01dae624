"""Before compute: refuse a dask array graph whose chunks cannot fit in a worker.

A dask array's graph (a HighLevelGraph) keeps one layer per array built on the way to
the result, and dask notes each one's chunks and dtype in the layer's
`collection_annotations`. So intermediates count too:
``(x[:, None] * x[None, :]).sum(axis=1)`` on 1e6-element chunks has a small result but
a "mul" layer of (1e6, 1e6) chunks, 7.3 TiB each, which no worker can hold.

What the graph does not expose, `check` names instead of guessing:

- layers without chunk metadata (internal steps such as rechunk's split/merge, or a
  collection that is not a dask array);
- a reduction's per-chunk step (the layer feeding a "...-partial" or "...-aggregate"
  layer, e.g. "sum" or "mean_chunk"): dask builds it with its input's chunks and a
  placeholder dtype and shrinks the chunks afterwards, so its recorded chunks are
  wrong; its input layer and the reduction's later steps are checked;
- chunks of unknown size (NaN, after boolean indexing) and chunks that are not NumPy
  arrays (their bytes are not shape x itemsize).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from dask import is_dask_collection
from dask.highlevelgraph import HighLevelGraph
from dask.utils import format_bytes, key_split

import numguard
from numguard.errors import MemoryLimitError
from numguard.limits import parse_limit

#: The chunk types whose bytes are shape x itemsize.
NUMPY_CHUNK_TYPES = ("numpy.ndarray", "numpy.ma.core.MaskedArray", "numpy.ma.MaskedArray")

#: Layer-name suffixes of the steps dask's tree reduction builds after a per-chunk step.
REDUCTION_STEPS = ("-partial", "-aggregate")

#: How many over-limit layers a refusal lists.
SHOWN = 5


@dataclass(frozen=True)
class LayerChunk:
    """The largest chunk one layer makes."""

    layer: str
    shape: tuple[int, ...]
    dtype: np.dtype
    nbytes: int

    def __str__(self) -> str:
        return (f"layer {self.layer!r}: chunks of shape {self.shape} and dtype {self.dtype}, "
                f"{format_bytes(self.nbytes)} each")


@dataclass(frozen=True)
class GraphCheck:
    """What `check` found: each checked layer's largest chunk, and what it could not see."""

    limit: int
    limit_source: str
    layers: tuple[LayerChunk, ...]
    """One per checked layer, largest chunk first."""
    unchecked: tuple[tuple[str, str], ...]
    """(layer, why its chunks are not known) for every layer not checked."""

    @property
    def over_limit(self) -> tuple[LayerChunk, ...]:
        return tuple(layer for layer in self.layers if layer.nbytes > self.limit)

    def __str__(self) -> str:
        largest = f"largest chunk: {self.layers[0]}" if self.layers else "no layer checked"
        lines = [f"{len(self.layers)} layers checked against {format_bytes(self.limit)} "
                 f"({self.limit_source}); {largest}"]
        lines += [f"  not checked: layer {name!r}: {why}" for name, why in self.unchecked]
        return "\n".join(lines)


def check(*collections: Any, limit: int | str | None = None) -> GraphCheck:
    """Refuse (MemoryLimitError) collections with a chunk, intermediates included, over `limit`.

    `limit`: bytes (an int, "2GiB"), or a share of the default ("50%"). The default is
    the smallest worker memory_limit of the current distributed client, or, with no
    client (or no worker with a memory_limit), numguard's limit in this process (what
    the threaded scheduler would run under). Returns the GraphCheck when everything fits.
    """
    if not collections:
        raise TypeError("check() needs at least one dask collection, e.g. check(x)")
    for position, collection in enumerate(collections, 1):
        if not is_dask_collection(collection):
            raise TypeError(f"check() takes dask collections (a dask array, or anything built "
                            f"from one); argument {position} is a {type(collection).__name__}")
    nbytes, source = resolve_limit(limit)
    layers: dict[str, LayerChunk] = {}
    unchecked: dict[str, str] = {}
    for collection in collections:
        walk(collection, layers, unchecked)
    found = GraphCheck(
        nbytes, source,
        tuple(sorted(layers.values(), key=lambda layer: layer.nbytes, reverse=True)),
        tuple(unchecked.items()),
    )
    if found.over_limit:
        raise MemoryLimitError(refusal_message(found))
    return found


def walk(collection: Any, layers: dict[str, LayerChunk], unchecked: dict[str, str]) -> None:
    """Add each layer of `collection`'s graph to `layers` (checked) or `unchecked`."""
    graph = collection.__dask_graph__()
    if not isinstance(graph, HighLevelGraph):
        own = _own_chunk(collection)
        name = str(getattr(collection, "name", type(collection).__name__))
        if own is not None:
            layers[own.layer] = own
        unchecked[f"{name} (intermediates)"] = (
            "the graph is a plain task mapping, without layers: only the result's chunks "
            "are known")
        return
    dependents: dict[str, set[str]] = {}
    for name, dependencies in graph.dependencies.items():
        for dependency in dependencies:
            dependents.setdefault(dependency, set()).add(name)
    for name, layer in graph.layers.items():
        if name in layers or name in unchecked:
            continue
        annotations = getattr(layer, "collection_annotations", None) or {}
        why = _unknown_because(name, annotations, dependents.get(name, ()))
        if why is not None:
            unchecked[name] = why
        else:
            layers[name] = _largest_chunk(name, annotations["chunks"], annotations["dtype"])


def _unknown_because(name: str, annotations: Mapping[str, Any], dependents: Any) -> str | None:
    """Why this layer's chunks cannot be trusted, or None when they can."""
    if "chunks" not in annotations or "dtype" not in annotations:
        return "no chunk metadata (an internal step of an operation, or not a dask array)"
    chunk_type = annotations.get("chunk_type", "numpy.ndarray")
    if chunk_type not in NUMPY_CHUNK_TYPES:
        return f"its chunks are {chunk_type}, whose size is not shape x itemsize"
    if any(isinstance(c, float) and math.isnan(c) for dim in annotations["chunks"] for c in dim):
        return "chunk sizes unknown until computed (NaN)"
    if not _is_reduction_step(name) and any(_is_reduction_step(d) for d in dependents):
        return ("a reduction's per-chunk step: dask records its input's chunks and a "
                "placeholder dtype here; its input layer is checked")
    return None


def _is_reduction_step(name: str) -> bool:
    """A layer dask's tree reduction builds from a per-chunk step ("sum-aggregate-<token>")."""
    return key_split(name).endswith(REDUCTION_STEPS)


def _largest_chunk(name: str, chunks: tuple[tuple[int, ...], ...], dtype: Any) -> LayerChunk:
    shape = tuple(max(dim, default=0) for dim in chunks)
    dtype = np.dtype(dtype)
    return LayerChunk(name, shape, dtype, math.prod(shape) * dtype.itemsize)


def _own_chunk(collection: Any) -> LayerChunk | None:
    chunks, dtype = getattr(collection, "chunks", None), getattr(collection, "dtype", None)
    if chunks is None or dtype is None:
        return None
    return _largest_chunk(str(getattr(collection, "name", "result")), chunks, dtype)


def resolve_limit(limit: int | str | None) -> tuple[int, str]:
    """(bytes, where they come from) for `check`'s `limit` argument."""
    base, source = default_limit()
    if limit is None:
        return base, source
    try:
        parsed = parse_limit(limit)
    except (TypeError, ValueError):
        raise ValueError(f"check(limit={limit!r}) is not valid: expected None (the default: "
                         f"{source}), bytes (an int, '2GiB') or a share of the default "
                         f"('50%')") from None
    if parsed.nbytes is not None:
        return parsed.nbytes, f"limit={parsed.text}"
    return max(1, parsed.resolve(base)), f"limit={parsed.text} of {source}"


def default_limit() -> tuple[int, str]:
    """The smallest worker memory_limit of the current client, else the local limit."""
    client = _current_client()
    if client is not None:
        try:
            workers = client.scheduler_info(n_workers=-1).get("workers", {})
        except TypeError:  # a distributed whose scheduler_info takes no n_workers
            workers = client.scheduler_info().get("workers", {})
        limits = sorted((info.get("memory_limit") or 0, address)
                        for address, info in workers.items() if info.get("memory_limit"))
        if limits:
            nbytes, address = limits[0]
            return nbytes, f"the smallest worker memory_limit of the client, {address}"
    settings = numguard.get_settings()
    available = numguard.budget().available
    return settings.limit.resolve(available), (
        f"numguard's limit in this process, {settings.limit.text} of "
        f"{format_bytes(available)} available" if settings.limit.fraction is not None
        else f"numguard's limit in this process, {settings.limit.text}")


def _current_client() -> Any:
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:  # no client in this process
        return None


def refusal_message(found: GraphCheck) -> str:
    """The refusal: the worst layer, its chunk shape, dtype and size, the limit, what next."""
    over = found.over_limit
    worst = over[0]
    lines = [
        f"numguard.dask.check: {worst}, over the limit of {format_bytes(found.limit)} "
        f"({found.limit_source})",
    ]
    lines += [f"  also over the limit: {layer}" for layer in over[1:SHOWN]]
    if len(over) > SHOWN:
        lines.append(f"  and {len(over) - SHOWN} more layers over the limit")
    lines += [f"  not checked: layer {name!r}: {why}" for name, why in found.unchecked]
    lines.append("  way forward: rechunk the inputs smaller (x.rechunk(...)) so that every "
                 "intermediate chunk fits, or compute the result without materialising the "
                 "large intermediate (e.g. da.einsum, or map_blocks with a per-block reduction)")
    return "\n".join(lines)
