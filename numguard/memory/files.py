"""Reading the small kernel files the budget comes from, cheaply and without ever raising.

A refresh re-reads the same few files many times, so ``FileReader(keep_open=True)`` keeps
one descriptor per file and re-reads it with ``os.pread`` at offset 0 (procfs and cgroupfs
regenerate the contents on every read). Every failure becomes ``Unreadable`` with a short
note for the report; callers turn it into a skipped Source. That includes failures other
than OSError (a MemoryError while reading /proc under memory pressure): a budget reading
must never be what breaks the user's operation. Values are parsed strictly: a figure that
is negative, not a plain ASCII integer, or missing its unit is malformed, never trusted.
"""

from __future__ import annotations

import os

_CHUNK = 16384  # every file read here is a few KiB at most


class Unreadable(Exception):
    """A file that is missing, unreadable or malformed; ``note`` says which, for the report."""

    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


class FileReader:
    """Reads whole small files, optionally keeping descriptors open between reads."""

    def __init__(self, keep_open: bool = False) -> None:
        self.keep_open = keep_open
        self._descriptors: dict[str, int] = {}

    def read(self, path: str) -> bytes:
        try:
            if not self.keep_open:
                with open(path, "rb", buffering=0) as file:
                    return _read_from(file.fileno())
            descriptor = self._descriptors.get(path)
            if descriptor is None:
                descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                self._descriptors[path] = descriptor
            return _read_from(descriptor)
        except FileNotFoundError:
            self._forget(path)
            raise Unreadable("missing") from None
        except Exception as error:  # OSError, and MemoryError under pressure, alike
            self._forget(path)
            raise Unreadable(f"unreadable: {type(error).__name__}") from None

    def close(self) -> None:
        """Close every kept descriptor (safe to call twice)."""
        descriptors, self._descriptors = self._descriptors, {}
        for descriptor in descriptors.values():
            _close_quietly(descriptor)

    def _forget(self, path: str) -> None:
        # A file that failed may come back (a cgroup re-created): reopen it next time.
        descriptor = self._descriptors.pop(path, None)
        if descriptor is not None:
            _close_quietly(descriptor)


def _read_from(descriptor: int) -> bytes:
    data = os.pread(descriptor, _CHUNK, 0)
    if len(data) < _CHUNK:
        return data
    chunks = [data]
    while len(chunks[-1]) == _CHUNK:
        chunks.append(os.pread(descriptor, _CHUNK, _CHUNK * len(chunks)))
    return b"".join(chunks)


def _close_quietly(descriptor: int) -> None:
    try:
        os.close(descriptor)
    except OSError:
        pass


def parse_int(data: bytes) -> int:
    """A file holding one byte count, such as memory.current or memory.limit_in_bytes.

    Only ASCII digits: a sign, an underscore or a fraction is malformed (the kernel writes
    none of them; a negative figure would refuse everything, a fraction be made up).
    """
    text = data.strip()
    if not text.isdigit():  # bytes.isdigit() is ASCII-only
        raise Unreadable(f"malformed: {_shorten(text)!r}")
    return int(text)


def keyed_value(data: bytes, key: bytes) -> bytes:
    """The value on the line that starts with ``key`` ('MemAvailable:' or 'inactive_file ')."""
    if data.startswith(key):
        start = len(key)
    else:
        found = data.find(b"\n" + key)
        if found < 0:
            raise Unreadable(f"malformed: no {key.decode().strip(': ')!r} line")
        start = found + 1 + len(key)
    end = data.find(b"\n", start)
    return data[start:] if end < 0 else data[start:end]


def keyed_int(data: bytes, key: bytes) -> int:
    """An integer 'key value' line, as in memory.stat."""
    return parse_int(keyed_value(data, key))


def keyed_kib(data: bytes, key: bytes) -> int:
    """A 'Key:   123 kB' line, as in /proc/meminfo and /proc/self/status, in bytes."""
    value = keyed_value(data, key).strip()
    if not value.endswith(b"kB"):
        name = key.decode("ascii", "replace").strip(": ")
        raise Unreadable(f"malformed: {name} {_shorten(value)!r} has no kB unit")
    return parse_int(value[:-2]) * 1024


def _shorten(text: bytes) -> str:
    decoded = text.decode("utf-8", "replace")
    return decoded if len(decoded) <= 40 else decoded[:37] + "..."
