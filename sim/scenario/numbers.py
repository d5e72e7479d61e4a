"""Numbers as scenario files give them.

YAML's true and false are no numbers, though Python counts them as 1 and 0
and pydantic would take them; a place count of `true` is a slip to report,
not a programme with one place. Whole-valued floats (40.0, as a sweep or a
calculation may give) and numpy's numbers are taken, as they mean what they
say.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError


def _refuse_true_and_false(kind: str, expected: str):
    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise PydanticCustomError(kind, expected)
        return value

    return check


#: A whole number: 40 and 40.0, not 40.5 and not true.
Whole = Annotated[int, BeforeValidator(_refuse_true_and_false("int_type", "Input should be a valid integer"))]
#: Any number: not true or false (and, with the models' allow_inf_nan=False, finite).
Real = Annotated[float, BeforeValidator(_refuse_true_and_false("float_type", "Input should be a valid number"))]
