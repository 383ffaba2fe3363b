"""The one NinjaAPI: a router per domain, one error handler."""

from __future__ import annotations

from psa.core.api import (
    PsaAPI,
    SessionAuth,
    TokenAuth,
    audit_router,
    install_error_handlers,
    tokens_router,
)
from psa.core.jobs_api import router as jobs_router
from psa.engagements.api import customers as customers_router
from psa.engagements.api import router as engagements_router
from psa.finance.api import router as finance_router
from psa.home.api import router as notifications_router
from psa.people.api import router as people_router
from psa.scheduling.api import router as scheduling_router
from psa.scheduling.feeds_api import router as feeds_router
from psa.scheduling.review_api import router as review_router
from psa.scheduling.sheets_api import router as sheets_router
from psa.timetracking.api import router as time_router
from psa.timetracking.imports_api import router as time_imports_router
from psa.timetracking.report_api import router as report_router

api = PsaAPI(
    title="PSA API",
    version="1",
    description="Professional-services automation. Errors are application/problem+json "
    "(RFC 9457) with a list of {field, message}. Hours and money are decimal strings.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/people", people_router)
api.add_router("/customers", customers_router)
api.add_router("/engagements", engagements_router)
api.add_router("/scheduling", scheduling_router)
api.add_router("/scheduling", feeds_router)
api.add_router("/scheduling", sheets_router)
api.add_router("/scheduling", review_router)
# Before time_router: its /entries/{entry_id} would otherwise take /entries/batch.
api.add_router("/time", time_imports_router)
api.add_router("/time", time_router)
api.add_router("/time", report_router)
api.add_router("/finance", finance_router)
api.add_router("/tokens", tokens_router)
api.add_router("/audit", audit_router)
api.add_router("/jobs", jobs_router)
api.add_router("/notifications", notifications_router)


def openapi_json() -> str:
    """The schema as committed in docs/openapi.json (stable key order, trailing newline)."""
    import json

    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return json.dumps(schema, indent=2, sort_keys=True, default=str) + "\n"
