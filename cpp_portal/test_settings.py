"""Settings for the test suite: the real settings with test-only secrets and fast hashing.

Like production, everything comes from the environment; DATABASE_URL and REDIS_URL, when set,
put the suite on PostgreSQL and Redis.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-deployment")
# A fixed Fernet key for the tests only (credentials are encrypted with it).
os.environ.setdefault("CPP_CREDENTIALS_KEYS", "dGVzdC1vbmx5LWZlcm5ldC1rZXktMzItYnl0ZXMhISE=")
os.environ.setdefault("CPP_LOCAL_DIR", os.path.join(tempfile.gettempdir(), f"cpp-portal-tests-{os.getuid()}"))
# Tests never reach real AWS: moto answers, and these keep boto3 from finding real credentials.
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
}.items():
    os.environ[_name] = _value
os.environ.pop("AWS_PROFILE", None)

from cpp_portal.settings import *  # noqa: E402,F403

# whitenoise warns about a missing static root on every request otherwise.
os.makedirs(STATIC_ROOT, exist_ok=True)  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The test client and live servers speak plain http; production's redirect to https is checked
# by tests/security in a subprocess with production's environment.
SECURE_SSL_REDIRECT = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Unit tests run tasks in-process once their on-commit callbacks fire; the tests that matter
# for delivery start a real worker and switch this off.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
