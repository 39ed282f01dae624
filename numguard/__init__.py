"""numguard: stop NumPy memory blow-ups before the allocation happens."""

__version__ = "0.1.0"

__all__: list[str] = []
