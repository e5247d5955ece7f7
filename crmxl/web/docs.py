"""/docs: the JSON API's reference as a page of our own, drawn from the OpenAPI schema on the server.

FastAPI's Swagger UI loads its scripts from a CDN: under the app's Content-Security-Policy (and with no
network) it was a blank page. This one needs no script at all; /openapi.json stays for tools.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from crmxl.web.app import html

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")


@router.get("/docs")
def api_docs(request: Request):
    schema = request.app.openapi()
    return html(request, "docs.html", None, info=schema.get("info", {}), operations=operations(schema))


def operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Every operation under /api/, with its parameters, body fields and answers, as the page shows them."""
    components = schema.get("components", {}).get("schemas", {})
    found = []
    for path, item in schema.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [{"name": p["name"], "where": p["in"], "required": p.get("required", False),
                       "type": type_of(p.get("schema", {})), "description": p.get("description", "")}
                      for p in op.get("parameters", [])]
            found.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                          "description": op.get("description", ""), "parameters": params,
                          **_body(op.get("requestBody"), components),
                          "responses": sorted(op.get("responses", {}))})
    return found


def _body(body: dict[str, Any] | None, components: dict[str, Any]) -> dict[str, Any]:
    if not body:
        return {"body_type": None, "fields": []}
    kind, content = next(iter(body.get("content", {}).items()), (None, {}))
    schema = _resolve(content.get("schema", {}), components)
    required = set(schema.get("required", []))
    fields = [{"name": name, "where": "body", "required": name in required, "type": type_of(spec),
               "description": spec.get("description", "")}
              for name, spec in schema.get("properties", {}).items()]
    return {"body_type": kind, "fields": fields}


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return components.get(ref.rsplit("/", 1)[-1], {}) if ref else schema


def type_of(schema: dict[str, Any]) -> str:
    """A schema in a few words: 'integer, 1 to 500, default 50', 'string or null', 'array of string'."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        kind = " or ".join(type_of(s) for s in schema["anyOf"])
    elif schema.get("type") == "array":
        kind = f"array of {type_of(schema.get('items', {}))}"
    elif schema.get("format") == "binary":
        kind = "file"
    else:
        kind = str(schema.get("type", "any"))
    if "minimum" in schema or "maximum" in schema:
        kind += f", {schema.get('minimum', '…')} to {schema.get('maximum', '…')}"
    if "pattern" in schema:
        kind += f", matching {schema['pattern']}"
    if "default" in schema:
        kind += f", default {schema['default']}"
    return kind
