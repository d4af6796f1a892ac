"""A page that cannot do without Redis, while Redis is gone: a clear 503, nothing changed."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import User
from notifications.models import OutboundEmail

# Nothing listens on port 1: every cache call fails at once with a connection error.
DEAD_REDIS = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


@pytest.mark.django_db
def test_asking_for_a_sign_in_link_while_redis_is_down_is_refused_clearly_and_sends_nothing():
    # The rate limit lives in the cache: without it the portal refuses rather than sending unlimited links.
    with override_settings(CACHES=DEAD_REDIS):
        response = Client().post(reverse("accounts:login"), {"email": "new.person@example.com"})
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "Briefly unavailable" in response.content.decode()
    assert not User.objects.filter(email="new.person@example.com").exists()
    assert not OutboundEmail.objects.exists()


@pytest.mark.django_db
def test_only_an_outage_is_answered_here_other_errors_keep_the_usual_handling(rf):
    import redis.exceptions
    from django.contrib.auth.models import AnonymousUser

    from cpp_portal.middleware import ServiceUnavailableMiddleware

    middleware = ServiceUnavailableMiddleware(lambda request: None)
    request = rf.get("/")
    request.user = AnonymousUser()
    assert middleware.process_exception(request, RuntimeError("a bug")) is None
    assert middleware.process_exception(request, redis.exceptions.TimeoutError()).status_code == 503
