"""Response headers that tell browsers what the portal's pages may do: the Permissions-Policy."""

from __future__ import annotations

from django.conf import settings


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """`{"camera": [], "publickey-credentials-get": ["self"]}` as `camera=(), publickey-credentials-get=(self)`."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in policy.items())


class PermissionsPolicyMiddleware:
    """Every response carries settings.PERMISSIONS_POLICY, unless a view set its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        # Built once: the policy is a setting, and every response carries it.
        self.header = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response
