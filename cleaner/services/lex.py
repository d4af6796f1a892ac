"""Lex V2: bots (boto3's "lexv2-models", whose actions IAM names "lex:…"). Deleting a bot with the
in-use check skipped deletes its aliases, versions and locales with it."""

from __future__ import annotations

from cleaner.registry import Deleting, Listed, Listing, resource


@resource("lexv2-models.bot")
class Bot(Listed):
    iam_prefix = "lex"
    listing = Listing(
        "list_bots",
        "botSummaries",
        id="botId",
        name="botName",
        created="lastUpdatedDateTime",
        state="botStatus",
        going=frozenset({"Deleting"}),
    )
    deleting = Deleting("delete_bot", {"botId": "id"}, fixed={"skipResourceInUseCheck": True})

    def pages(self):
        # ListBots has no paginator in boto3: its nextToken is followed by hand.
        token = None
        while True:
            page = self.client.list_bots(**({"nextToken": token} if token else {}))
            yield page
            token = page.get("nextToken")
            if not token:
                return
