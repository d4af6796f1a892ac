"""Transfer Family: servers (their users, host keys and agreements go with them), connectors,
and workflows.

An SFTP server bills by the hour whether it is online or stopped: it is deleted as it is.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listed, Listing, resource


@resource("transfer.server")
class Server(Listed):
    in_vpc = True  # its network interfaces sit in the VPC's subnets
    listing = Listing("list_servers", "Servers", id="ServerId", arn="Arn", state="State")
    deleting = Deleting("delete_server", {"ServerId": "id"})


@resource("transfer.connector")
class Connector(Listed):
    listing = Listing("list_connectors", "Connectors", id="ConnectorId", arn="Arn", name="Url")
    deleting = Deleting("delete_connector", {"ConnectorId": "id"})


# A server names the workflow it runs after uploads.
@resource("transfer.workflow", depends_on=["transfer.server"])
class Workflow(Listed):
    listing = Listing("list_workflows", "Workflows", id="WorkflowId", arn="Arn", name="Description || WorkflowId")
    deleting = Deleting("delete_workflow", {"WorkflowId": "id"})
