"""``querylang serve``: Parse Server's REST API for data, and a data browser, over a querylang database.

>>> import querylang
>>> from querylang.server import ServerConfig, create_app
>>> db = querylang.connect()
>>> app = create_app(db, ServerConfig(app_id="app", master_key="secret"))   # an ASGI app

``querylang serve --app-id app --master-key secret`` runs it with uvicorn (docs/serve.md).
The server uses only the library's public API (``querylang.connect``, ``db.find``, writes, ...).
"""

from .app import create_app
from .config import ServerConfig

__all__ = ["ServerConfig", "create_app"]
