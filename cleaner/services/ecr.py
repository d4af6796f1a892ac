"""ECR: repositories, deleted with their images."""

from __future__ import annotations

from cleaner.registry import Item, Resource, resource, tags_of


@resource("ecr.repository")
class Repository(Resource):
    def list(self):
        for page in self.client.get_paginator("describe_repositories").paginate():
            for repository in page["repositories"]:
                tags = self.client.list_tags_for_resource(resourceArn=repository["repositoryArn"]).get("tags")
                yield Item(
                    id=repository["repositoryName"],
                    name=repository["repositoryName"],
                    tags=tags_of(tags),
                    created=repository.get("createdAt"),
                )

    def delete(self, item):
        self.client.delete_repository(repositoryName=item.id, force=True)
