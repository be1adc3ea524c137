"""URLs under /api/ that match nothing answer in the API's error shape."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_api_path_answers_404_in_the_error_shape(api):
    response = api.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_post_without_its_final_slash_is_told_so_not_a_server_error(api):
    response = api.post("/api/v1/orders", {}, format="json")

    assert response.status_code == 404
    assert "end with a slash" in response.json()["error"]["message"]
