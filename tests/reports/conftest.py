# ``client_for("reports:read")``: an API client with a key of those scopes (tests/api's fixture).
from tests.api.conftest import client_for  # noqa: F401
