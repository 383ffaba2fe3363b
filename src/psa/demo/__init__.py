"""Demo data: a realistic delivery team for first runs, and a large synthetic set for benchmarks.

The tables are plain data in `data`; `load` turns them into records. The small set goes through
the services (so it is validated and audited like real use); the large set is bulk-inserted and
recorded as one audit entry.
"""

from psa.demo.data import DEMO_PASSWORD, DEMO_PASSWORD_NOTE
from psa.demo.load import (
    Progress,
    database_is_empty,
    demo_login_left,
    load_demo,
    load_large,
    load_large_schedule,
    load_reference_data,
    load_small,
)

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_PASSWORD_NOTE",
    "Progress",
    "database_is_empty",
    "demo_login_left",
    "load_demo",
    "load_large",
    "load_large_schedule",
    "load_reference_data",
    "load_small",
]
