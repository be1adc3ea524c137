"""Every whole number a request may carry has bounds in the schema, so a number too big for the
database (PostgreSQL's bigint, SQLite's 64-bit integer) is refused as malformed (400) instead of
reaching a query and failing there (a 500 the API fuzzer found on pick list confirmation)."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from .support import error_of


def _integers(schema: dict, components: dict, path: str, seen: set):
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from _integers(components[name], components, name, seen)
        return
    for key in ("allOf", "oneOf", "anyOf"):
        for index, part in enumerate(schema.get(key, [])):
            yield from _integers(part, components, f"{path}.{key}[{index}]", seen)
    if schema.get("type") == "integer" and not schema.get("readOnly"):
        yield path, schema
    for name, child in schema.get("properties", {}).items():
        yield from _integers(child, components, f"{path}.{name}", seen)
    if "items" in schema:
        yield from _integers(schema["items"], components, f"{path}[]", seen)


def test_every_integer_in_a_request_body_or_query_string_has_a_maximum():
    document = SchemaGenerator().get_schema(request=None, public=True)
    components = document["components"]["schemas"]
    unbounded = []
    for route, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                # Path parameters: tests/test_hostile_inputs.py sends 30-digit ones to every route.
                if parameter["in"] != "path" and schema.get("type") == "integer" and "maximum" not in schema:
                    unbounded.append(f"{method.upper()} {route} ?{parameter['name']}")
            for content in operation.get("requestBody", {}).get("content", {}).values():
                for where, schema in _integers(content.get("schema", {}), components, f"{method.upper()} {route}", set()):
                    if "maximum" not in schema:
                        unbounded.append(where)
    assert sorted(set(unbounded)) == []


@pytest.mark.django_db
def test_a_task_id_too_big_for_the_database_is_refused_as_malformed(api):
    response = api.post("/api/v1/pick-lists/1/confirm/", {"lines": [{"id": 10**30, "quantity_picked": 1}]}, format="json")

    assert response.status_code == 400
    assert "lines[0].id" in error_of(response)["fields"]
