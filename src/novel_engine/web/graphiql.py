"""GraphiQL, served with its own assets so it works with no internet connection."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS = Path(__file__).parent / "static" / "graphiql"
ASSETS_PATH = "/graphiql"

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Novel Engine · GraphiQL</title>
  <link rel="stylesheet" href="{assets}/graphiql.min.css">
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="{assets}/react.production.min.js"></script>
  <script src="{assets}/react-dom.production.min.js"></script>
  <script src="{assets}/graphiql.min.js"></script>
  <script>
    // Subscriptions go over graphql-transport-ws; the token typed into Headers travels
    // in connection_init, read when the socket opens.
    const wsUrl = (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
      location.pathname;
    const fetcher = GraphiQL.createFetcher({{
      url: location.pathname,
      subscriptionUrl: wsUrl,
      wsConnectionParams: () => {{
        try {{
          const headers = JSON.parse(localStorage.getItem("graphiql:headers") || "{{}}");
          return headers.Authorization ? {{ Authorization: headers.Authorization }} : {{}};
        }} catch (e) {{
          return {{}};
        }}
      }},
    }});
    const defaultQuery = `# Welcome to Novel Engine.
# Sign up, then put the token in Headers as {{"Authorization": "Bearer <token>"}}.
mutation {{
  signUp(input: {{email: "ada@example.com", password: "correct horse", displayName: "Ada"}}) {{
    ... on AuthPayload {{ token user {{ id displayName }} }}
    ... on Error {{ code message field }}
  }}
}}
`;
    ReactDOM.createRoot(document.getElementById("graphiql")).render(
      React.createElement(GraphiQL, {{ fetcher, defaultQuery, shouldPersistHeaders: true }})
    );
  </script>
</body>
</html>
"""


def wanted(request: Request) -> bool:
    """A browser navigating to /graphql (HTML preferred, no query) gets the IDE."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "query" not in request.query_params


def page() -> HTMLResponse:
    return HTMLResponse(_PAGE.format(assets=ASSETS_PATH))


def assets() -> StaticFiles:
    return StaticFiles(directory=ASSETS)
