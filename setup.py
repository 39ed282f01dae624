"""What pyproject.toml cannot say: the backstop's C helper.

numguard.backstop._handler is a small C extension (Python headers only; NumPy is not
needed to build it). It is optional: without a compiler the install still succeeds and
the backstop runs its ctypes fallback (slower per allocation, same behaviour).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "numguard.backstop._handler",
            sources=["numguard/backstop/_handler.c"],
            optional=True,
        )
    ],
)
