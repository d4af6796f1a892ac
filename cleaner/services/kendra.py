"""Kendra: indexes. Deleting an index deletes its data sources, FAQs and experiences with it;
AWS takes many minutes to do so, listing it DELETING meanwhile."""

from __future__ import annotations

from cleaner.registry import Deleting, Listed, Listing, resource


@resource("kendra.index")
class Index(Listed):
    gone_within = 1800
    listing = Listing(
        "list_indices",
        "IndexConfigurationSummaryItems",
        id="Id",
        name="Name",
        created="CreatedAt",
        state="Status",
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting("delete_index", {"Id": "id"})

    def pages(self):
        # ListIndices has no paginator in boto3: its NextToken is followed by hand.
        token = None
        while True:
            page = self.client.list_indices(**({"NextToken": token} if token else {}))
            yield page
            token = page.get("NextToken")
            if not token:
                return
