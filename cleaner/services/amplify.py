"""Amplify Hosting: apps, which take their branches, domain associations and webhooks with them.

The CloudFormation stacks an Amplify Gen 2 backend deployed are stacks like any other, for the
CloudFormation type.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listing, resource
from cleaner.services._paging import Paged


@resource("amplify.app")
class App(Paged):
    listing = Listing("list_apps", "apps", id="appId", name="name", arn="appArn", tags="tags", created="createTime")
    deleting = Deleting("delete_app", {"appId": "id"})
