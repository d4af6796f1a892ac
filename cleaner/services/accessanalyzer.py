"""IAM Access Analyzer: analyzers (their archive rules and findings go with them).

Organization analyzers can be made only in the Organization's management account or its
delegated administrator, so whatever a sandbox account lists is its own.
"""

from __future__ import annotations

from collections.abc import Iterator

from botocore.exceptions import ClientError

from cleaner.registry import Item, Resource, resource
from cleaner.services.cloud9 import not_offered


@resource("accessanalyzer.analyzer")
class Analyzer(Resource):
    iam_prefix = "access-analyzer"

    def list(self) -> Iterator[Item]:
        try:
            pages = self.client.get_paginator("list_analyzers").paginate()
            analyzers = [analyzer for page in pages for analyzer in page["analyzers"]]
        except ClientError as error:
            if not_offered(error):
                raise NotImplementedError("IAM Access Analyzer is not offered by this endpoint") from error
            raise
        for analyzer in analyzers:
            yield Item(
                id=analyzer["name"],
                name=analyzer["name"],
                tags=analyzer.get("tags") or {},
                created=analyzer.get("createdAt"),
                extra={"arn": analyzer.get("arn"), "kind": analyzer.get("type"), "status": analyzer.get("status")},
            )

    def delete(self, item: Item) -> None:
        self.client.delete_analyzer(analyzerName=item.id)
