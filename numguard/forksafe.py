"""Every lock numguard owns, renewed in a forked child.

A lock held by another thread when a process forks stays held forever in the child,
where that thread does not exist: the child's first use of it hangs. So numguard makes
each of its locks here, stored as an attribute of its owner (an object, or a module
named by its import name), and `os.register_at_fork` gives every registered owner a new
lock in the child before anything else runs there. tests/test_structure.py checks that
no other module makes a lock of its own.

The locks themselves are plain `threading.Lock`/`RLock` objects: taking one costs what
it costs without numguard.
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any

#: (owner: a weak reference to an object, or a module's name), attribute, factory
_owners: list[tuple[Any, str, Callable[[], Any]]] = []


def lock(owner: object, name: str, *, reentrant: bool = False) -> Any:
    """A new lock, stored as `owner.<name>` (owner: an object, or a module's `__name__`),
    and replaced by a new one in every forked child. Returns the lock."""
    factory = threading.RLock if reentrant else threading.Lock
    made = factory()
    if len(_owners) > 64:  # owners come and go (monitors, plugins): forget the collected
        _owners[:] = [e for e in _owners if isinstance(e[0], str) or e[0]() is not None]
    if isinstance(owner, str):
        setattr(sys.modules[owner], name, made)
        _owners.append((owner, name, factory))
    else:
        setattr(owner, name, made)
        _owners.append((weakref.ref(owner), name, factory))
    return made


def _renew_in_child() -> None:
    alive = []
    for entry in _owners:
        reference, name, factory = entry
        owner = sys.modules.get(reference) if isinstance(reference, str) else reference()
        if owner is None:
            continue  # a collected object (or a module that was removed)
        try:
            setattr(owner, name, factory())
        except Exception:  # noqa: BLE001, S112 - one owner's failure must not stop the rest
            continue
        alive.append(entry)
    _owners[:] = alive


def registered() -> list[tuple[object, str]]:
    """(owner, attribute) of every live registered lock (for tests)."""
    found = []
    for reference, name, _ in _owners:
        owner = sys.modules.get(reference) if isinstance(reference, str) else reference()
        if owner is not None:
            found.append((owner, name))
    return found


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_renew_in_child)
