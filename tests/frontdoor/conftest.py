import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from ..browser.conftest import browser_page  # noqa: F401  (the shared Chromium page)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff(db):
    """``staff("Warehouse")``: a staff user holding that role, with the password ``PASSWORD``;
    ``staff(None, superuser=True)`` a superuser."""

    def make(role: str | None, username: str | None = None, superuser: bool = False):
        User = get_user_model()
        name = username or (role or "root").lower().replace(" ", "_")
        if superuser:
            return User.objects.create_superuser(name, f"{name}@example.com", PASSWORD)
        user = User.objects.create_user(name, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


def sign_in(client, username: str, password: str = PASSWORD, address: str = "203.0.113.7", next_url: str = "/admin/"):
    """Post the console's sign-in form the way a browser does."""
    return client.post(
        f"/admin/login/?next={next_url}", {"username": username, "password": password, "next": next_url}, REMOTE_ADDR=address,
    )
