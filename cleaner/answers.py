"""What AWS's answers mean to the cleaner: an error said in a line, "already gone", "not offered here".

Shared by the engine, the detector and the service modules that must tell a missing API apart
from a failing one.
"""

from __future__ import annotations

from botocore.exceptions import ClientError, EndpointConnectionError

# Listing errors that mean "this service is not offered here", not "something is wrong".
UNAVAILABLE_CODES = frozenset(
    {"OptInRequired", "SubscriptionRequiredException", "InvalidAction", "UnsupportedOperation"}
)


def describe_error(error: BaseException) -> str:
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        return f"{detail.get('Code', 'Error')}: {detail.get('Message', '')}".strip()
    return f"{type(error).__name__}: {error}"


def already_gone(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    return "NotFound" in code or code.startswith("NoSuch") or "NonExistent" in code or "DoesNotExist" in code


def no_such_api(error: BaseException) -> bool:
    """A bare 404 with no AWS error code: the endpoint does not know the API at all.

    AWS itself never answers a listing so (a missing thing has a code: NoSuch…, …NotFound); moto
    and the local stack do, for the services and calls they lack.
    """
    if not isinstance(error, ClientError):
        return False
    answer = error.response
    status = answer.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status == 404 and answer.get("Error", {}).get("Code") == "404"


def unavailable(error: BaseException) -> bool:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code", "") in UNAVAILABLE_CODES or no_such_api(error)
    # No endpoint: the service does not exist in this region. NotImplementedError: moto lacks it.
    return isinstance(error, EndpointConnectionError | NotImplementedError)
