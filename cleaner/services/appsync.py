"""AppSync: GraphQL APIs and Event APIs.

An API takes its API keys, data sources, resolvers and caches with it. A merged API's source
associations go with whichever side is deleted.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listed, Listing, resource


@resource("appsync.graphql_api")
class GraphqlApi(Listed):
    # APIs other accounts share through RAM would list too: only their owners can delete them.
    listing = Listing(
        "list_graphql_apis",
        "graphqlApis",
        id="apiId",
        name="name",
        arn="arn",
        tags="tags",
        params={"owner": "CURRENT_ACCOUNT"},
    )
    deleting = Deleting("delete_graphql_api", {"apiId": "id"})


@resource("appsync.api")
class EventApi(Listed):
    """Event APIs (WebSocket pub/sub); their channel namespaces go with them."""

    listing = Listing("list_apis", "apis", id="apiId", name="name", arn="apiArn", tags="tags", created="created")
    deleting = Deleting("delete_api", {"apiId": "id"})
