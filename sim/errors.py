"""Problems found in user input, reported one line each.

Each line reads ``file:line:col: field.path: what was expected, got what`` so
editors and terminals can jump to the spot. Library callers get a
:class:`ScenarioError` carrying the same lines; the command line prints them
and exits with status 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Characters that would break a problem's line or move the terminal's cursor.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    column: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        text = f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        # A key or value of the user's may hold a line break or an escape code.
        return _CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode(), text)


class ScenarioError(Exception):
    """A scenario (or an override of it) is not valid; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def __reduce__(self):
        # Raised in a worker process, it comes back whole, problem by problem.
        return (type(self), (self.problems,))
