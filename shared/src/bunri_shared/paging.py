"""Page sizes: one rule for every `first` argument of the API."""

from __future__ import annotations

from bunri_shared.cost import sliced_by_first
from bunri_shared.errors import bad_input

# The largest page any list field serves; the cost estimate prices a null `first` as this.
MAX_FIRST = 50


def page_size(first: int | None, *, default: int) -> int:
    """`first`, or the field's default when null; BAD_USER_INPUT outside 1..MAX_FIRST."""
    value = default if first is None else first
    if not 1 <= value <= MAX_FIRST:
        raise bad_input(f"first must be between 1 and {MAX_FIRST}", field="first")
    return value


def paged(*, sized_fields: list[str] | None = None) -> list[object]:
    """The directives of a field paged by `first`: `@listSize(slicingArguments: ["first"])`."""
    return [sliced_by_first(MAX_FIRST, sized_fields=sized_fields)]
