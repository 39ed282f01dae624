"""The NUMGUARD_* environment variables: read strictly, applied safely.

A variable with a bad value must neither disarm a production process nor break code
that never asked for numguard (a pytest run whose plugin is merely installed). So:

- `read_environment` returns the settings the variables ask for and, separately, one
  `Problem` per bad value: it never raises;
- `configure_from_environment` sets the good ones as the process defaults (each one's
  origin is its variable) and leaves each bad one at its default, keeping the problems
  for whoever acts on them: the start-up hook arms the process and reports them in one
  line each, the pytest plugin reports them when `--numguard` or a marker asks for it;
- `settings_from_environment` is the strict form (ValueError naming the variable, its
  value, what is wrong and the accepted forms): `python -m numguard` exits 2 on it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, NamedTuple

from .limits import LIMIT_FORMS
from .settings import (
    MODES,
    RANK_PROMOTION,
    Settings,
    _configure,
    process_settings,
    validate,
)

#: Environment variables read at import, and the setting each one sets.
ENVIRONMENT = {
    "NUMGUARD_MODE": "mode",
    "NUMGUARD_LIMIT": "limit",
    "NUMGUARD_INFLATION": "inflation",
    "NUMGUARD_RANK_PROMOTION": "rank_promotion",
}
#: What each setting accepts, in the words of an environment variable or a magic.
ACCEPTED = {
    "mode": " | ".join(MODES),
    "limit": LIMIT_FORMS,
    "inflation": "a factor of at least 1 (e.g. 2, 1000), or 'none' to turn the rule off",
    "rank_promotion": " | ".join(RANK_PROMOTION),
}


class Problem(NamedTuple):
    """A NUMGUARD_* variable whose value is not accepted."""

    variable: str
    value: str
    setting: str
    reason: str

    def __str__(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.variable}={self.value!r} is not valid{why}: expected {ACCEPTED[self.setting]}"

    def instead(self, default: Settings | None = None) -> str:
        """One line: the problem, and what numguard does instead."""
        default = default or Settings()
        value = getattr(default, self.setting)
        shown = "none" if value is None else str(value)
        return f"numguard: {self}; using {self.setting}={shown} (the default) instead."


def text_to_value(name: str, raw: str) -> Any:
    """A setting's value from its text form (environment variables, magics, options)."""
    if not raw.isascii():
        raise ValueError("only ASCII letters and digits are read")
    if name == "inflation":
        if raw.lower() in ("none", "off"):
            return None
        try:
            return float(raw)
        except ValueError:
            raise ValueError("not a number") from None
    if name in ("mode", "rank_promotion"):
        return raw.lower()
    return raw


def reason_of(error: BaseException) -> str:
    """What is wrong with a value, without the value or the accepted forms."""
    reason = getattr(error, "reason", None)
    if reason is not None:
        return reason
    text = str(error)
    return "" if text.startswith("invalid ") else text


def read_environment(environ: Mapping[str, str] | None = None) -> tuple[dict[str, Any], list[Problem]]:
    """(the validated settings the variables ask for, the problems of the others)."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    problems: list[Problem] = []
    for variable, name in ENVIRONMENT.items():
        raw = environ.get(variable)
        if raw is None or raw.strip() == "":
            continue
        try:
            found[name] = validate({name: text_to_value(name, raw.strip())})[name]
        except (TypeError, ValueError) as error:
            problems.append(Problem(variable, raw, name, reason_of(error)))
    return found, problems


def settings_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings the NUMGUARD_* variables ask for; ValueError for the first bad one."""
    found, problems = read_environment(environ)
    if problems:
        raise ValueError(str(problems[0]))
    return found


#: The problems of the last `configure_from_environment` (empty when every value is good).
problems: list[Problem] = []


def configure_from_environment(environ: Mapping[str, str] | None = None) -> Settings:
    """Set the process defaults from NUMGUARD_*; bad values leave their setting alone.

    Returns the previous process defaults; `problems` lists the bad values.
    """
    found, bad = read_environment(environ)
    problems[:] = bad
    updated = process_settings()
    for name, value in found.items():
        variable = next(v for v, n in ENVIRONMENT.items() if n == name)
        updated = updated.updated(variable, **{name: value})
    return _configure(updated, {}, "NUMGUARD_*")
