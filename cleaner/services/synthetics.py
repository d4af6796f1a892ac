"""CloudWatch Synthetics: canaries.

AWS refuses to delete a running canary: it is stopped first, and deleted once STOPPED (a later
scan, when stopping takes a while). DeleteLambda takes the canary's function and layers with it;
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
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting("delete_canary", {"Name": "id"}, fixed={"DeleteLambda": True})

    def prepare(self, item):
        if item.extra.get("state") in RUNNING:
            self.client.stop_canary(Name=item.id)
