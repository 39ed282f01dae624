"""Start-up hook: arm the backstop when NumPy is first imported.

``numguard-backstop.pth`` (installed next to the package in site-packages) runs when
the interpreter starts. With NUMGUARD_MODE unset, empty or "off" it does nothing else.
Otherwise it loads this file by path, under its own name, so that neither numguard
nor NumPy is imported yet: a process that never uses NumPy (pip, a health check, a
shell script's helper) pays about 0.1 ms, not NumPy's import.

`arm_when_numpy_is_imported` puts a finder first on ``sys.meta_path``. It answers only
for "numpy": it lets the other finders find NumPy, and makes the loader arm numguard
(``numguard.backstop.enable_from_environment()``) right after NumPy's own module has
run, before the ``import numpy`` statement returns. Then it removes itself.

- An invalid NUMGUARD_* value stops that import with numguard's ValueError naming the
  variable: the operator asked for protection, and a typo must not silently drop it.
- A failure to arm for any other reason (a NumPy whose handler cannot be wrapped)
  writes one line to stderr and lets the program run unprotected.

Only the standard library may be imported at module level here.
"""

import sys

VARIABLE = "NUMGUARD_MODE"


def arm_when_numpy_is_imported() -> None:
    if "numpy" in sys.modules:  # an earlier .pth file imported it already
        _arm()
        return
    # A venv's lib64 -> lib symlink can make site run this .pth file twice.
    if not any(getattr(finder, "numguard_watcher", False) for finder in sys.meta_path):
        sys.meta_path.insert(0, NumpyWatcher())


class NumpyWatcher:
    """A meta-path finder that only wraps NumPy's loader; every other name passes by."""

    numguard_watcher = True

    def __init__(self) -> None:
        self._searching = False

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "numpy" or self._searching:
            return None
        import importlib.util  # not at module level: it costs start-up time

        self._searching = True
        try:
            spec = importlib.util.find_spec("numpy")  # the other finders answer
        finally:
            self._searching = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_then_arm(module):
            exec_module(module)
            try:
                del loader.exec_module  # back to the loader's own method
            except AttributeError:
                pass
            self.remove()
            _arm()

        try:
            loader.exec_module = exec_then_arm
        except (AttributeError, TypeError):  # a loader that refuses attributes: arm later
            return spec
        return spec

    def remove(self) -> None:
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass


def _arm() -> None:
    try:
        from numguard import backstop
    except ValueError:
        raise  # an invalid NUMGUARD_* value: numguard's message names it
    except Exception as error:  # noqa: BLE001
        _unprotected(error)
        return
    try:
        backstop.enable_from_environment()
    except ValueError:
        raise
    except Exception as error:  # noqa: BLE001
        _unprotected(error)


def _unprotected(error: BaseException) -> None:
    sys.stderr.write(
        f"numguard: {VARIABLE} is set but the allocation backstop could not be armed "
        f"({type(error).__name__}: {error}); NumPy runs unprotected.\n"
    )
