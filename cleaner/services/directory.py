"""Directory Service: directories (Managed Microsoft AD, Simple AD, AD Connector).

Deleting a directory takes AWS a quarter of an hour or so; it stays listed as "Deleting".
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listing, resource
from cleaner.services._offered import ListedHere
from cleaner.services.ec2 import unless


@resource("ds.directory")
class Directory(ListedHere):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    gone_within = 900
    parallel_deletes = 2
    listing = Listing(
        operation="describe_directories",
        items="DirectoryDescriptions",
        id="DirectoryId",
        name="Name",
        created="LaunchTime",
        state="Stage",
        gone=frozenset({"Deleted"}),
        going=frozenset({"Deleting"}),
    )
    deleting = Deleting("delete_directory", {"DirectoryId": "id"})

    def prepare(self, item):
        # AWS refuses to delete a directory that still trusts another domain.
        if self.is_going(item):
            return
        for page in self.client.get_paginator("describe_trusts").paginate(DirectoryId=item.id):
            for trust in page["Trusts"]:
                if trust.get("TrustState") not in ("Deleting", "Deleted"):
                    with unless("EntityDoesNotExistException"):
                        self.client.delete_trust(TrustId=trust["TrustId"])
