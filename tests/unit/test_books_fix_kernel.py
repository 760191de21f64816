"""kernel.books reads reconciliation's closes by table name (payments must not import reconciliation):
the names it uses must be the ones reconciliation stores."""
from kernel import books
from reconciliation import models


def test_the_books_read_the_closes_where_reconciliation_writes_them():
    days = models.ReconDay.__table__
    assert books._DAYS.name == days.name
    assert {c.name for c in books._DAYS.columns} <= {c.name for c in days.columns}
    assert type(books._DAYS.c.closed_at.type) is type(days.c.closed_at.type)  # aware UTC on both databases
    assert books.CLOSED == models.CLOSED
