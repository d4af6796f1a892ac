"""AWS RAM: resource shares this account owns (shares with it are the owner's to end).

Deleting a share stops the sharing; the shared resources stay with their owner, each swept by its
own type. A share being deleted is still listed (DELETING) and not asked twice; a DELETED one is gone.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listed, Listing, resource


@resource("ram.resource_share")
class ResourceShare(Listed):
    listing = Listing(
        operation="get_resource_shares",
        items="resourceShares",
        params={"resourceOwner": "SELF"},
        id="resourceShareArn",
        name="name",
        arn="resourceShareArn",
        created="creationTime",
        tags="tags",
        state="status",
        gone=frozenset({"DELETED"}),
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting(operation="delete_resource_share", args={"resourceShareArn": "id"})
