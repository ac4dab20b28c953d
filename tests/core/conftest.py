import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The personas log in with a password; a fast hasher keeps the role matrices quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
