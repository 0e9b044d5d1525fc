"""The people UI as one piece: `install(app)` mounts the pages, the static files and the
redirect to the queue. The pages share `review_ui.pages`; none of them imports this."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from review_ui import (
    auto_pages,
    dashboard_pages,
    journey_pages,
    model_pages,
    queue_pages,
    session_pages,
    train_pages,
    webhook_pages,
)
from review_ui.pages import PREFIX

#: In the order they are matched.
PAGE_MODULES = (
    session_pages,
    queue_pages,
    auto_pages,
    dashboard_pages,
    journey_pages,
    train_pages,
    model_pages,
    webhook_pages,
)


def install(app: FastAPI) -> None:
    """Mount the UI on `app`: pages under /ui, static files, and / redirecting to the queue."""
    app.mount(
        f"{PREFIX}/static",
        StaticFiles(directory=str(files("review_ui") / "static")),
        name="ui-static",
    )
    for module in PAGE_MODULES:
        app.include_router(module.router)

    @app.get("/", include_in_schema=False)
    @app.get(PREFIX, include_in_schema=False)
    @app.get(f"{PREFIX}/", include_in_schema=False)
    def home() -> RedirectResponse:
        """The address `triage serve --demo` prints and the README names: the queue."""
        return RedirectResponse(f"{PREFIX}/queue", status_code=303)
