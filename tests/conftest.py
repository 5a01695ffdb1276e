import pytest


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.vn", "S3cure-pass-word")


@pytest.fixture
def admin_client_vi(client, superuser):
    """The Django admin as a national administrator sees it (Vietnamese, the default)."""
    client.force_login(superuser)
    return client
