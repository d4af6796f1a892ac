"""CloudWatch Synthetics: canaries.

AWS refuses to delete a canary that is not stopped: a running one is stopped first and deleted by a
later scan, once STOPPED. DeleteLambda takes the canary's function and layers with it;
its artifact bucket, role and log groups are left to their own types.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listing, resource
from cleaner.services._paging import Paged

# States from which StopCanary is the way out.
RUNNING = {"RUNNING", "STARTING"}


@resource("synthetics.canary")
class Canary(Paged):
    listing = Listing(
        "describe_canaries",
        "Canaries",
        id="Name",
        arn="Arn",
        tags="Tags",
        created="Timeline.Created",
        state="Status.State",
        # Not asked to delete while AWS is at it, or while it is still stopping (which AWS refuses).
        going=frozenset({"DELETING", "STOPPING"}),
    )
    deleting = Deleting("delete_canary", {"Name": "id"}, fixed={"DeleteLambda": True})

    def prepare(self, item):
        if item.extra.get("state") in RUNNING:
            self.client.stop_canary(Name=item.id)
            item.extra["state"] = "STOPPING"
