"""Start-up hook: arm the backstop when NumPy is first imported.

``numguard-backstop.pth`` (installed next to the package in site-packages) runs when
the interpreter starts. The switch: ANY of NUMGUARD_MODE, NUMGUARD_LIMIT,
NUMGUARD_INFLATION, NUMGUARD_RANK_PROMOTION set (not empty) arms the process, the mode
defaulting to "raise"; NUMGUARD_MODE=off (or none of them set) means not armed, and
then the line does nothing else. Site compiles the line at every interpreter start:
with none of the four names in the environment it costs about 30 us, mostly compiling
it, and the part that reads their values and finds numguard is compiled only when one
is there. Armed, it loads this file by path, under its own name, so that neither
numguard nor NumPy is imported yet: a process that never uses NumPy (pip, a health
check, a shell script's helper) pays about 0.1 ms, not NumPy's import. It runs once
per process (a venv's lib64 -> lib symlink makes site read the file twice), and if
numguard cannot be found (an editable install whose source folder moved) it says so in
one line on stderr.

`arm_when_numpy_is_imported` puts a finder first on ``sys.meta_path``. It answers only
for "numpy": it lets the other finders find NumPy, and makes the loader arm numguard
(``numguard.backstop.enable_from_environment()``) right after NumPy's own module has
run, before the ``import numpy`` statement returns. Then it removes itself.

An invalid NUMGUARD_* value fails safe: the process is armed with that setting's
default, and one line on stderr names the variable, its value, what is accepted and
what numguard used instead. Any other failure to arm is one line too ("numguard is not
armed"), and the program runs on.

Only the standard library may be imported at module level here.
"""

import sys


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
        self._searching = True
        try:
            spec = self._find_with_the_others(fullname, path, target)
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

    def _find_with_the_others(self, fullname, path, target):
        """The spec the other finders give, asked in turn as the import system asks them
        (what importlib.util.find_spec does, without importing importlib.util)."""
        for finder in list(sys.meta_path):
            find_spec = None if finder is self else getattr(finder, "find_spec", None)
            if find_spec is not None:
                spec = find_spec(fullname, path, target)
                if spec is not None:
                    return spec
        return None

    def remove(self) -> None:
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass


def _arm() -> None:
    try:
        from numguard import backstop, environment

        backstop.enable_from_environment()
        for problem in environment.problems:
            _say(problem.instead())
    except Exception as error:  # noqa: BLE001 - the program must run on
        _not_armed(f"the allocation backstop could not be armed ({type(error).__name__}: {error})")


def _not_armed(reason: str) -> None:
    _say(f"numguard: {reason}; numguard is not armed.")


def _say(line: str) -> None:
    try:
        sys.stderr.write(line + "\n")
    except Exception:  # noqa: BLE001, S110
        pass
