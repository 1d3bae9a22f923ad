"""The ASGI application: the web app's pages, webhooks, the REST API, and health."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from arrimage import __version__
from arrimage.runtime import Runtime
from arrimage.web import hooks
from arrimage.web.api import router as api_router
from arrimage.i18n import _l
from arrimage.web import pages
from arrimage.web.auth import ApiAccessError, require_api_access
from arrimage.web.errors import install_error_handlers, request_locale
from arrimage.web.pages.common import FormRejected, PageRedirect, page_context

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"


class ArrimageApp(FastAPI):
    """The FastAPI app, which handles webhook deliveries before the framework's layers."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].startswith("/hooks/")
            and await hooks.handle_webhook(self.state.runtime, scope, receive, send)
        ):
            return
        await super().__call__(scope, receive, send)


def create_app(runtime: Runtime, *, consumer: bool = False, scheduler: bool = False) -> FastAPI:
    """Build the app for ``runtime``; ``consumer`` and ``scheduler`` start those threads with it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if consumer:
            runtime.start_consumer()
        if scheduler:
            runtime.start_scheduler()
        logger.info("Arrimage %s listening; webhooks at %s/hooks/…", __version__, runtime.settings.base_url)
        try:
            yield
        finally:
            runtime.close()

    app = ArrimageApp(
        title="Arrimage",
        version=__version__,
        description="Automations that connect Cyberimpact to other apps.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # served below from installed files: no CDN at run time
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(hooks.router)
    app.include_router(api_router, dependencies=[Depends(require_api_access)])
    app.include_router(pages.router)
    install_page_handlers(app)

    app.mount("/api/docs/static", StaticFiles(directory=swagger_ui_path), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/api/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="Arrimage API",
            swagger_js_url="/api/docs/static/swagger-ui-bundle.js",
            swagger_css_url="/api/docs/static/swagger-ui.css",
            swagger_favicon_url="/api/docs/static/favicon-32x32.png",
        )

    @app.get("/api/health", tags=["health"], summary="Check that the server answers")
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    async def echo(request: Request) -> dict[str, Any]:
        body = await hooks.read_body(request, runtime.settings.webhook_max_bytes)
        try:
            parsed: Any = json.loads(body) if body else None
        except ValueError:
            parsed = body.decode("utf-8", "replace")
        return {"method": request.method, "query": dict(request.query_params), "body": parsed}

    # One route per method: a route with several methods gives each the same OpenAPI operation id.
    # The echo stays open once accounts exist, like the health check: it only returns what it
    # is sent, and the example automation of `serve --example` posts to it without a token.
    for method in ("GET", "POST", "PUT", "PATCH"):
        app.add_api_route("/api/echo", echo, methods=[method], tags=["health"],
                          operation_id=f"echo_{method.lower()}",
                          summary="Return the request's method, query and JSON body (to try HTTP steps)")

    return app


def install_page_handlers(app: FastAPI) -> None:
    """Register the responses to redirects to sign-in, rejected forms and rejected API calls."""

    async def redirect(request: Request, error: Exception) -> Response:
        assert isinstance(error, PageRedirect)
        return RedirectResponse(error.url, status_code=303)

    def rejected_form(request: Request, error: Exception) -> Response:
        # A sync handler: building the page reads the session, so it runs in the thread pool.
        page = page_context(request)
        return page.render("error.html", status_code=403, title=_l("Form expired"),
                           message=_l("This form expired or came from another site, so nothing was "
                                      "changed. Reload the page and try again."),
                           back="/")

    async def refused(request: Request, error: Exception) -> Response:
        assert isinstance(error, ApiAccessError)
        body = {"error": {"code": error.code, "message": error.message.render(request_locale(request))}}
        headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
        return JSONResponse(body, status_code=error.status_code, headers=headers)

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        path = request.url.path
        if path.startswith("/hooks/") and error.status_code == 405:
            return webhook_method_error(request, error)
        machine_path = path.startswith(("/api/", "/hooks/"))
        if machine_path or "text/html" not in request.headers.get("accept", ""):
            return await http_exception_handler(request, error)
        # Building the page reads the session from storage, so it runs in the thread pool.
        return await run_in_threadpool(error_page, request, error)

    app.add_exception_handler(PageRedirect, redirect)
    app.add_exception_handler(FormRejected, rejected_form)
    app.add_exception_handler(ApiAccessError, refused)
    app.add_exception_handler(StarletteHTTPException, http_error)


def webhook_method_error(request: Request, error: StarletteHTTPException) -> Response:
    """Return the JSON error for a request to a webhook address with a method other than POST."""
    message = _l("Webhooks take POST requests only: the app that sends the events must POST them "
                 "to this address.").render(request_locale(request))
    return JSONResponse({"error": {"code": "method_not_allowed", "message": message}},
                        status_code=405, headers=error.headers)


def error_page(request: Request, error: StarletteHTTPException) -> Response:
    """Render the HTML page for an HTTP error in the reader's language, with a link home."""
    if error.status_code == 404:
        title = _l("Page not found")
        message = _l("No page has this address. Check the link, or start again from the home page.")
    elif error.status_code == 405:
        title = _l("This page cannot be opened")
        message = _l("This address only takes forms sent from Arrimage's pages. Start again from the "
                     "home page.")
    else:
        title = _l("The request failed")
        message = _l("Arrimage could not handle this request (HTTP status {status}). Start again "
                     "from the home page.", status=error.status_code)
    page = page_context(request)
    response = page.render("error.html", status_code=error.status_code, title=title, message=message,
                           back="/", back_label=_l("Go to the home page"))
    response.headers.update(error.headers or {})
    return response
