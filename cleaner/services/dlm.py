"""Data Lifecycle Manager: the snapshot and AMI lifecycle policies attendees made."""

from __future__ import annotations

from cleaner.registry import Deleting, Listing, resource
from cleaner.services._offered import ListedHere


@resource("dlm.lifecycle_policy")
class LifecyclePolicy(ListedHere):
    # GetLifecyclePolicies answers every policy at once (it has no pages).
    listing = Listing(
        operation="get_lifecycle_policies", items="Policies", id="PolicyId", name="Description", tags="Tags"
    )
    deleting = Deleting("delete_lifecycle_policy", {"PolicyId": "id"})
