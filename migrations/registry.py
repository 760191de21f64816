"""Every module that defines tables, imported so the metadata is complete for Alembic."""
import kernel.audit  # noqa: F401
import kernel.auth  # noqa: F401
import kernel.events  # noqa: F401
import kernel.inbox  # noqa: F401
import kernel.jobs  # noqa: F401
import kernel.outbox  # noqa: F401
import kernel.ratelimit  # noqa: F401
import kernel.users  # noqa: F401
import payments.ledger  # noqa: F401
import payments.models  # noqa: F401
import payments.receipts  # noqa: F401
import payments.refunds  # noqa: F401
import postal.models  # noqa: F401
import reconciliation.models  # noqa: F401
from kernel.db import Base

target_metadata = Base.metadata
