"""Paging of the staff pages' long lists: one page size, one way to read `?offset=` and one pager (the
`pager` macro of staff/finance_macros.html), so every paged list behaves alike."""
from __future__ import annotations

from kernel.http import int_arg

PAGE_SIZE = 50


def offset_arg() -> int:
    """Where the page's list starts; read by the API's rule, so a number past any list is a 400 page, not a 500."""
    return int_arg("offset", 0, 0, 2**62)


def page_start(offset: int, total: int) -> int:
    """Where the list shown starts: the offset asked for, or the start of the last page when the list no longer
    reaches it (lines decided on the last page of a filter, then the page came back: it showed "no lines" and,
    the rest fitting one page, no pager to find them)."""
    if offset < total or not offset:
        return offset
    return max(total - 1, 0) // PAGE_SIZE * PAGE_SIZE
