"""The network group's types against moto, in a member account: EC2's extras, classic load balancers,
Network Firewall and Global Accelerator, and the listings an endpoint does not offer.

Same harness as test_services_app.py. Where moto lacks an API, stateful stand-ins answer for it
(data_network_fakes.py), so a sweep really sees things go.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from cleaner.registry import NotYet
from cleaner.services import ec2 as ec2_module
from cleaner.services import ec2_extras, elb_classic, globalaccelerator, network_firewall
from tests.cleaner.data_network_fakes import (
    account_fixture,  # noqa: F401 (the `account` fixture)
    assert_all_before,
    listed,
    removed,
    vpc_with_subnets,
)
from tests.cleaner.test_services_app import REGION, RecordingContext, sweep
from tests.cleaner.topics import sweep_topic

# --- EC2 extras, classic load balancers ------------------------------------------------------------


def nothing_else_moto_lacks(context: RecordingContext) -> None:
    """Empty answers for the EC2 listings moto lacks that a test does not fill itself."""
    context.stand_ins.setdefault("DescribePlacementGroups", {"PlacementGroups": []})
    context.stand_ins.setdefault("DescribeCapacityReservations", {"CapacityReservations": []})
    context.stand_ins.setdefault("DescribeClientVpnEndpoints", {"ClientVpnEndpoints": []})


def test_dedicated_hosts_and_placement_groups_wait_for_their_instances(account):
    ec2 = account.client("ec2")
    host = ec2.allocate_hosts(AvailabilityZone=f"{REGION}a", InstanceType="r5.large", Quantity=1)["HostIds"][0]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image,
        InstanceType="r5.large",
        MinCount=1,
        MaxCount=1,
        Placement={"HostId": host, "Tenancy": "host", "GroupName": "hana-cluster"},
    )["Instances"][0]["InstanceId"]
    groups = {"hana-cluster": {"GroupName": "hana-cluster", "State": "available", "Strategy": "cluster"}}
    account.stand_ins.update(
        {
            "DescribePlacementGroups": listed(groups, "PlacementGroups"),
            "DeletePlacementGroup": removed(groups, "GroupName"),
        }
    )
    nothing_else_moto_lacks(account)

    # The engine itself, with only the types at play (EC2's AMI and snapshot listings are slow in moto).
    swept = sweep_topic({REGION: account}, [ec2_module.Instance, ec2_extras.DedicatedHost, ec2_extras.PlacementGroup])
    assert swept.left() == {}
    swept.assert_dependencies_respected()

    assert account.params_of("ReleaseHosts") == [{"HostIds": [host]}]
    assert account.index("TerminateInstances", InstanceIds=[instance]) < account.first("ReleaseHosts")
    assert account.first("TerminateInstances") < account.first("DeletePlacementGroup")
    assert groups == {}
    assert [h["State"] for h in ec2.describe_hosts()["Hosts"]] in ([], ["released"])


def test_capacity_reservations_are_cancelled_and_a_capacity_block_waits_for_its_end(account):
    ends = datetime.now(UTC) + timedelta(days=2)
    reservations = {
        "cr-1": {"CapacityReservationId": "cr-1", "State": "active", "InstanceType": "r5.large"},
        "cr-2": {"CapacityReservationId": "cr-2", "State": "cancelled", "InstanceType": "r5.large"},
        "cr-3": {
            "CapacityReservationId": "cr-3",
            "State": "active",
            "ReservationType": "capacity-block",
            "EndDate": ends,
        },
    }

    def cancel(params):
        reservations[params["CapacityReservationId"]]["State"] = "cancelled"
        return {"Return": True}

    account.stand_ins.update(
        {
            "DescribeCapacityReservations": lambda params: {"CapacityReservations": list(reservations.values())},
            "CancelCapacityReservation": cancel,
        }
    )
    resource = ec2_extras.CapacityReservation(account)
    found = {item.id: item for item in resource.list()}
    assert set(found) == {"cr-1", "cr-3"}  # a cancelled one is gone, as far as the bill goes

    resource.delete(found["cr-1"])
    with pytest.raises(NotYet) as refused:
        resource.delete(found["cr-3"])

    assert refused.value.until == ends
    assert account.params_of("CancelCapacityReservation") == [{"CapacityReservationId": "cr-1"}]
    assert [item.id for item in resource.list()] == ["cr-3"]


def test_client_vpn_endpoints_lose_their_target_networks_first(account):
    endpoints = {
        "cvpn-endpoint-1": {
            "ClientVpnEndpointId": "cvpn-endpoint-1",
            "Status": {"Code": "available"},
            "CreationTime": "2026-12-08 09:00:00",
            "Description": "sap admins",
        }
    }
    networks = {
        "cvpn-assoc-1": {"AssociationId": "cvpn-assoc-1", "Status": {"Code": "associated"}},
        "cvpn-assoc-2": {"AssociationId": "cvpn-assoc-2", "Status": {"Code": "disassociated"}},
    }

    def disassociate(params):
        networks[params["AssociationId"]]["Status"] = {"Code": "disassociated"}
        return {"AssociationId": params["AssociationId"], "Status": {"Code": "disassociating"}}

    def delete(params):
        if any(n["Status"]["Code"] == "associated" for n in networks.values()):
            raise ClientError({"Error": {"Code": "IncorrectState", "Message": "still associated"}}, "Delete")
        return removed(endpoints, "ClientVpnEndpointId")(params)

    account.stand_ins.update(
        {
            "DescribeClientVpnEndpoints": lambda params: {"ClientVpnEndpoints": list(endpoints.values())},
            "DescribeClientVpnTargetNetworks": lambda params: {"ClientVpnTargetNetworks": list(networks.values())},
            "DisassociateClientVpnTargetNetwork": disassociate,
            "DeleteClientVpnEndpoint": delete,
        }
    )
    nothing_else_moto_lacks(account)

    (found,) = ec2_extras.ClientVpnEndpoint(account).list()
    assert (found.name, found.created) == ("sap admins", datetime(2026, 12, 8, 9, tzinfo=UTC))
    assert sweep(account, ec2_extras) == {}
    assert account.params_of("DisassociateClientVpnTargetNetwork") == [
        {"ClientVpnEndpointId": "cvpn-endpoint-1", "AssociationId": "cvpn-assoc-1"}
    ]
    assert endpoints == {}


def test_flow_logs_go_and_endpoint_services_reject_their_connections_before_they_go(account):
    ec2 = account.client("ec2")
    vpc, subnets = vpc_with_subnets(account)
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName="vpc-flows",
        DeliverLogsPermissionArn=f"arn:aws:iam::{account.account_id}:role/flow-logs",
    )
    balancer = account.client("elbv2").create_load_balancer(Name="sap-nlb", Subnets=subnets, Type="network")
    service = ec2.create_vpc_endpoint_service_configuration(
        NetworkLoadBalancerArns=[balancer["LoadBalancers"][0]["LoadBalancerArn"]], AcceptanceRequired=True
    )["ServiceConfiguration"]["ServiceId"]
    connections = {
        "vpce-other-account": {"VpcEndpointId": "vpce-other-account", "VpcEndpointState": "available"},
        "vpce-rejected": {"VpcEndpointId": "vpce-rejected", "VpcEndpointState": "rejected"},
    }

    def reject(params):
        for endpoint in params["VpcEndpointIds"]:
            connections[endpoint]["VpcEndpointState"] = "rejected"
        return {"Unsuccessful": []}

    account.stand_ins.update(
        {
            "DescribeVpcEndpointConnections": lambda params: {"VpcEndpointConnections": list(connections.values())},
            "RejectVpcEndpointConnections": reject,
        }
    )
    nothing_else_moto_lacks(account)

    assert sweep(account, ec2_extras) == {}

    assert account.params_of("RejectVpcEndpointConnections") == [
        {"ServiceId": service, "VpcEndpointIds": ["vpce-other-account"]}
    ]
    assert_all_before(account, "RejectVpcEndpointConnections", "DeleteVpcEndpointServiceConfigurations")
    assert ec2.describe_vpc_endpoint_service_configurations()["ServiceConfigurations"] == []
    assert ec2.describe_flow_logs()["FlowLogs"] == []


def test_classic_load_balancers_are_deleted_with_their_tags_read(account):
    client = account.client("elb")
    client.create_load_balancer(
        LoadBalancerName="sap-web",
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 8000}],
        AvailabilityZones=[f"{REGION}a"],
        Tags=[{"Key": "workshop", "Value": "sap"}],
    )

    (found,) = elb_classic.ClassicLoadBalancer(account).list()
    assert found.tags == {"workshop": "sap"}
    assert sweep(account, elb_classic) == {}
    assert account.params_of("DeleteLoadBalancer") == [{"LoadBalancerName": "sap-web"}]
    assert client.describe_load_balancers()["LoadBalancerDescriptions"] == []


# --- Network Firewall, Global Accelerator -----------------------------------------------------------


def network_firewall_stand_ins(context: RecordingContext) -> dict[str, dict]:
    """A firewall under delete protection, its policy, a rule group and a TLS configuration (moto
    lists firewalls but deletes nothing); deleting what is still in use is refused, as AWS does."""
    arn = f"arn:aws:network-firewall:{context.region}:{context.account_id}"
    stores = {
        "firewalls": {
            f"{arn}:firewall/edge": {
                "FirewallName": "edge",
                "FirewallArn": f"{arn}:firewall/edge",
                "DeleteProtection": True,
            }
        },
        "policies": {f"{arn}:firewall-policy/edge": {"Name": "edge", "Arn": f"{arn}:firewall-policy/edge"}},
        "groups": {f"{arn}:stateful-rulegroup/block": {"Name": "block", "Arn": f"{arn}:stateful-rulegroup/block"}},
        "tls": {f"{arn}:tls-configuration/inspect": {"Name": "inspect", "Arn": f"{arn}:tls-configuration/inspect"}},
    }

    def describe_firewall(params):
        firewall = stores["firewalls"][params["FirewallArn"]]
        return {
            "Firewall": {**firewall, "Tags": [{"Key": "sap", "Value": "edge"}]},
            "FirewallStatus": {"Status": "READY"},
        }

    def unprotect(params):
        stores["firewalls"][params["FirewallArn"]]["DeleteProtection"] = params["DeleteProtection"]
        return {}

    def delete_firewall(params):
        if stores["firewalls"][params["FirewallArn"]]["DeleteProtection"]:
            raise ClientError({"Error": {"Code": "InvalidOperationException", "Message": "protected"}}, "Delete")
        return removed(stores["firewalls"], "FirewallArn")(params)

    def refused_while(store: str, param: str, used_by: str):
        def delete(params):
            if stores[used_by]:
                raise ClientError({"Error": {"Code": "InvalidOperationException", "Message": "in use"}}, "Delete")
            return removed(stores[store], param)(params)

        return delete

    context.stand_ins.update(
        {
            "ListFirewalls": lambda p: {
                "Firewalls": [
                    {"FirewallName": f["FirewallName"], "FirewallArn": f["FirewallArn"]}
                    for f in stores["firewalls"].values()
                ]
            },
            "DescribeFirewall": describe_firewall,
            "UpdateFirewallDeleteProtection": unprotect,
            "DeleteFirewall": delete_firewall,
            "ListFirewallPolicies": listed(stores["policies"], "FirewallPolicies"),
            "DescribeFirewallPolicy": lambda p: {"FirewallPolicyResponse": {"FirewallPolicyStatus": "ACTIVE"}},
            "DeleteFirewallPolicy": refused_while("policies", "FirewallPolicyArn", "firewalls"),
            "ListRuleGroups": listed(stores["groups"], "RuleGroups"),
            "DescribeRuleGroup": lambda p: {"RuleGroupResponse": {"RuleGroupStatus": "ACTIVE"}},
            "DeleteRuleGroup": refused_while("groups", "RuleGroupArn", "policies"),
            "ListTLSInspectionConfigurations": listed(stores["tls"], "TLSInspectionConfigurations"),
            "DeleteTLSInspectionConfiguration": refused_while("tls", "TLSInspectionConfigurationArn", "policies"),
        }
    )
    return stores


def test_network_firewalls_lose_delete_protection_then_policies_then_rule_groups_go(account):
    stores = network_firewall_stand_ins(account)

    assert sweep(account, network_firewall) == {}

    (firewall,) = account.params_of("DeleteFirewall")
    assert account.params_of("UpdateFirewallDeleteProtection") == [{**firewall, "DeleteProtection": False}]
    assert_all_before(account, "UpdateFirewallDeleteProtection", "DeleteFirewall")
    assert_all_before(account, "DeleteFirewall", "DeleteFirewallPolicy")
    assert_all_before(account, "DeleteFirewallPolicy", "DeleteRuleGroup")
    assert_all_before(account, "DeleteFirewallPolicy", "DeleteTLSInspectionConfiguration")
    assert account.params_of("ListRuleGroups") and all(
        p == {"Scope": "ACCOUNT"} for p in account.params_of("ListRuleGroups")
    )
    assert all(store == {} for store in stores.values())


def global_accelerator_stand_ins(context: RecordingContext) -> dict[str, dict]:
    """An enabled accelerator with a listener and an endpoint group. Disabling takes AWS a while
    (IN_PROGRESS for one listing, then DEPLOYED); deleting before that, or with a listener, is refused."""
    arn = "arn:aws:globalaccelerator::1:accelerator/sap"
    stores = {
        "accelerators": {arn: {"AcceleratorArn": arn, "Name": "sap-global", "Enabled": True, "Status": "DEPLOYED"}},
        "listeners": {
            f"{arn}/listener/l1": {
                "ListenerArn": f"{arn}/listener/l1",
                "PortRanges": [{"FromPort": 443, "ToPort": 443}],
            }
        },
        "groups": {
            f"{arn}/listener/l1/endpoint-group/g1": {
                "EndpointGroupArn": f"{arn}/listener/l1/endpoint-group/g1",
                "EndpointGroupRegion": "eu-west-1",
            }
        },
    }

    def list_accelerators(params):
        answer = [dict(a) for a in stores["accelerators"].values()]
        for accelerator in stores["accelerators"].values():
            if accelerator["Status"] == "IN_PROGRESS":
                accelerator["Status"] = DEPLOYED
        return {"Accelerators": answer}

    def update(params):
        stores["accelerators"][params["AcceleratorArn"]].update(Enabled=params["Enabled"], Status="IN_PROGRESS")
        return {"Accelerator": stores["accelerators"][params["AcceleratorArn"]]}

    def delete_accelerator(params):
        accelerator = stores["accelerators"][params["AcceleratorArn"]]
        if accelerator["Enabled"] or accelerator["Status"] != DEPLOYED or stores["listeners"]:
            raise ClientError({"Error": {"Code": "AcceleratorNotDisabledException", "Message": "not yet"}}, "Delete")
        return removed(stores["accelerators"], "AcceleratorArn")(params)

    def delete_listener(params):
        if stores["groups"]:
            raise ClientError({"Error": {"Code": "AssociatedEndpointGroupFoundException", "Message": "x"}}, "Delete")
        return removed(stores["listeners"], "ListenerArn")(params)

    context.stand_ins.update(
        {
            "ListAccelerators": list_accelerators,
            "UpdateAccelerator": update,
            "DeleteAccelerator": delete_accelerator,
            "ListListeners": listed(stores["listeners"], "Listeners"),
            "DeleteListener": delete_listener,
            "ListEndpointGroups": listed(stores["groups"], "EndpointGroups"),
            "DeleteEndpointGroup": removed(stores["groups"], "EndpointGroupArn"),
        }
    )
    return stores


DEPLOYED = "DEPLOYED"


def test_global_accelerators_are_called_in_us_west_2_and_disabled_then_deleted_once_deployed(account):
    stores = global_accelerator_stand_ins(account)

    assert globalaccelerator.Accelerator(account).client.meta.region_name == "us-west-2"
    assert sweep(account, globalaccelerator) == {}

    assert account.params_of("UpdateAccelerator") == [
        {"AcceleratorArn": "arn:aws:globalaccelerator::1:accelerator/sap", "Enabled": False}
    ]
    assert_all_before(account, "DeleteEndpointGroup", "DeleteListener")
    assert_all_before(account, "DeleteListener", "DeleteAccelerator")
    # Asked only once AWS had deployed the change: never refused.
    assert len(account.params_of("DeleteAccelerator")) == 1
    assert all(store == {} for store in stores.values())


# --- Listings an endpoint does not offer -------------------------------------------------------------


def _answer(status: int, code: str, message: str = "") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "List"
    )


@pytest.mark.parametrize(
    ("error", "offered"),
    [
        (_answer(404, "404"), False),  # the service is not there at all (moto lacks Global Accelerator, DLM)
        (_answer(400, "400", "<Response><Errors><Error><Code>InvalidAction</Code>…"), False),  # XML to a JSON client
        (_answer(400, "ValidationException", "<Code>InvalidAction</Code>"), True),  # a real answer about the call
        (_answer(404, "ResourceNotFoundException"), True),
        (_answer(403, "AccessDeniedException"), True),
    ],
)
def test_a_listing_the_endpoint_lacks_is_not_offered_and_any_other_error_stays_an_error(error, offered):
    from cleaner.services._offered import offered as offering

    def listing():
        with offering("dax.subnet_group"):
            raise error

    expected = ClientError if offered else NotImplementedError
    with pytest.raises(expected):
        listing()
