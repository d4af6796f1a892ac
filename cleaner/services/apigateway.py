"""API Gateway: REST APIs (with the usage plans that point at them) and HTTP/WebSocket APIs; what
reaches them (custom domains, keys, VPC links, client certificates) is in apigateway_access.py.

DeleteRestApi is limited to one call every 30 seconds per account, a limit that cannot be raised;
the pacer (cleaner/context.py, OPERATION_RATES) spaces the calls, so an account with many REST
APIs takes minutes here whatever we do.
"""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource


@resource("apigateway.usage_plan")
class UsagePlan(Resource):
    def list(self):
        for page in self.client.get_paginator("get_usage_plans").paginate():
            for plan in page["items"]:
                yield Item(
                    id=plan["id"],
                    name=plan.get("name", ""),
                    tags=plan.get("tags", {}),
                    extra={"stages": [f"{s['apiId']}:{s['stage']}" for s in plan.get("apiStages", [])]},
                )

    def prepare(self, item):
        # AWS refuses to delete a usage plan that still has API stages.
        if item.extra.get("stages"):
            self.client.update_usage_plan(
                usagePlanId=item.id,
                patchOperations=[{"op": "remove", "path": "/apiStages", "value": s} for s in item.extra["stages"]],
            )

    def delete(self, item):
        self.client.delete_usage_plan(usagePlanId=item.id)


# A stage that a usage plan names keeps its REST API from being deleted, and so does a domain
# that maps it.
@resource("apigateway.rest_api", depends_on=["apigateway.usage_plan", "apigateway.domain_name"])
class RestApi(Resource):
    # One at a time: at one delete per 30 s, more threads would only sit waiting for the pacer.
    parallel_deletes = 1

    def list(self):
        for page in self.client.get_paginator("get_rest_apis").paginate():
            for api in page["items"]:
                yield Item(
                    id=api["id"], name=api.get("name", ""), tags=api.get("tags", {}), created=api.get("createdDate")
                )

    def delete(self, item):
        self.client.delete_rest_api(restApiId=item.id)


@resource("apigatewayv2.api", depends_on=["apigateway.domain_name"])
class Api(Resource):
    """HTTP and WebSocket APIs (API Gateway v2)."""

    def list(self):
        for page in self.client.get_paginator("get_apis").paginate():
            for api in page["Items"]:
                yield Item(
                    id=api["ApiId"], name=api.get("Name", ""), tags=api.get("Tags", {}), created=api.get("CreatedDate")
                )

    def delete(self, item):
        self.client.delete_api(ApiId=item.id)
