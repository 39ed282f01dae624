"""What pyproject.toml cannot say: the backstop's C helper and its start-up .pth file.

- numguard.backstop._handler, a small C extension (Python headers only; NumPy is not
  needed to build it). It is optional: without a compiler the install still succeeds
  and the backstop runs its ctypes fallback (slower per allocation, same behaviour).
- numguard-backstop.pth, copied to the root of site-packages so that Python runs it at
  start-up: by the wheel for a regular install, and added to the editable wheel for
  `pip install -e .` (setuptools' editable wheel only carries its own finder .pth).
"""

from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

PTH = Path("numguard", "backstop", "numguard-backstop.pth")


class build_py_with_pth(build_py):
    """Put the .pth file at the root of the wheel (it lands in site-packages)."""

    def run(self):
        super().run()
        self.copy_file(str(PTH), str(Path(self.build_lib, PTH.name)), preserve_mode=0)


class _AddPth:
    """Wraps setuptools' editable strategy: its files, then the .pth file, in the wheel."""

    def __init__(self, strategy):
        self.strategy = strategy

    def __enter__(self):
        self.strategy.__enter__()
        return self

    def __exit__(self, *exc_info):
        return self.strategy.__exit__(*exc_info)

    def __call__(self, wheel, files, mapping):
        self.strategy(wheel, files, mapping)
        wheel.writestr(PTH.name, PTH.read_bytes())


class editable_wheel_with_pth(editable_wheel):
    def _select_strategy(self, *args, **kwargs):
        return _AddPth(super()._select_strategy(*args, **kwargs))


setup(
    ext_modules=[
        Extension(
            "numguard.backstop._handler",
            sources=["numguard/backstop/_handler.c"],
            optional=True,
        ),
        Extension(
            "numguard.guarded._fastpath",
            sources=["numguard/guarded/_fastpath.c"],
            optional=True,
        ),
    ],
    cmdclass={"build_py": build_py_with_pth, "editable_wheel": editable_wheel_with_pth},
)
