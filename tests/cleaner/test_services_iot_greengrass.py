"""The cleaner's IoT Core and Greengrass V2 types, in a member account.

IoT Core is played by moto; what moto lacks (Greengrass V2, and IoT's authorizers, provisioning
templates and CA certificates) by `FakeService` (iot_batch_fakes.py): tables of dicts that stand-in
answers change and read, so a sweep really sees things go, and in which order.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from cleaner.registry import NotYet
from cleaner.services import greengrass, iot, iot_rules
from tests.cleaner.iot_batch_fakes import (
    FakeService,
    account_fixture,  # noqa: F401 (the `account` fixture)
    refuse,
)
from tests.cleaner.test_services_app import RecordingContext, sweep

# --- IoT Core ------------------------------------------------------------------------------------


IOT_MODULES = (iot, iot_rules)


def iot_extras_fake(context: RecordingContext) -> FakeService:
    """IoT calls moto lacks: custom authorizers, provisioning templates, CA certificates."""
    fake = FakeService()

    def inactive_only(operation):
        return lambda row, params: row["status"] == "ACTIVE" and refuse(operation, "It is ACTIVE")

    context.stand_ins.update(
        {
            "ListAuthorizers": fake.lists("authorizers", "authorizers"),
            "DescribeAuthorizer": lambda p: {"authorizerDescription": fake.tables["authorizers"][p["authorizerName"]]},
            "UpdateAuthorizer": fake.updates("authorizers", "authorizerName", status="INACTIVE"),
            "DeleteAuthorizer": fake.deletes(
                "authorizers", "authorizerName", "DeleteAuthorizer", inactive_only("DeleteAuthorizer")
            ),
            "ListProvisioningTemplates": fake.lists("templates", "templates"),
            "DeleteProvisioningTemplate": fake.deletes("templates", "templateName", "DeleteProvisioningTemplate"),
            "ListCACertificates": fake.lists("ca", "certificates"),
            "UpdateCACertificate": fake.updates("ca", "certificateId", status="INACTIVE"),
            "DeleteCACertificate": fake.deletes(
                "ca", "certificateId", "DeleteCACertificate", inactive_only("DeleteCACertificate")
            ),
        }
    )
    return fake


def iot_footprint(context: RecordingContext, fake: FakeService, prefix: str = "sensor") -> dict:
    client = context.client("iot")
    client.create_thing_type(thingTypeName=f"{prefix}-type")
    thing = client.create_thing(thingName=f"{prefix}-1", thingTypeName=f"{prefix}-type")
    client.create_thing(thingName=f"{prefix}-2")
    cert = client.create_keys_and_certificate(setAsActive=True)
    document = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]}
    )
    client.create_policy(policyName=f"{prefix}-policy", policyDocument=document)
    client.create_policy_version(policyName=f"{prefix}-policy", policyDocument=document, setAsDefault=True)
    client.attach_policy(policyName=f"{prefix}-policy", target=cert["certificateArn"])
    client.attach_thing_principal(thingName=f"{prefix}-1", principal=cert["certificateArn"])
    client.create_thing_group(thingGroupName=f"{prefix}-fleet")
    client.create_billing_group(billingGroupName=f"{prefix}-billing")
    client.create_topic_rule(
        ruleName=f"{prefix}_to_lambda",
        topicRulePayload={"sql": "SELECT * FROM 'sensors'", "actions": [], "ruleDisabled": False},
    )
    client.create_job(jobId=f"{prefix}-update", targets=[thing["thingArn"]], document="{}")
    client.create_role_alias(roleAlias=f"{prefix}-alias", roleArn="arn:aws:iam::123456789012:role/iot")
    fake.add("authorizers", f"{prefix}-auth", authorizerName=f"{prefix}-auth", authorizerArn="arn:a", status="ACTIVE")
    fake.add("templates", f"{prefix}-fleet-prov", templateName=f"{prefix}-fleet-prov", templateArn="arn:t")
    ca = (prefix.encode().hex() * 64)[:64]  # AWS's certificate ids are 64 hex digits
    fake.add("ca", ca, certificateId=ca, certificateArn="arn:ca", status="ACTIVE")
    return {"certificate": cert["certificateId"], "certificate_arn": cert["certificateArn"]}


def test_iot_certificates_things_and_policies_are_let_go_of_each_other_and_deleted(account):
    fake = iot_extras_fake(account)
    made = iot_footprint(account, fake)
    client = account.client("iot")

    assert sweep(account, *IOT_MODULES) == {}
    assert client.list_things()["things"] == []
    assert client.list_certificates()["certificates"] == []
    assert client.list_policies()["policies"] == []
    assert client.list_thing_types()["thingTypes"] == []
    assert client.list_thing_groups()["thingGroups"] == []
    assert client.list_topic_rules()["rules"] == []
    assert client.list_role_aliases()["roleAliases"] == []
    assert client.list_billing_groups()["billingGroups"] == []
    assert not any(fake.tables.values())
    cert, arn = made["certificate"], made["certificate_arn"]
    assert account.index("UpdateCertificate", certificateId=cert, newStatus="INACTIVE") < account.index(
        "DeleteCertificate", certificateId=cert, forceDelete=True
    )
    assert account.index("DetachThingPrincipal", principal=arn) < account.index("DeleteThing", thingName="sensor-1")
    assert account.index("DetachPolicy", target=arn) < account.index("DeletePolicy")
    assert account.index("DeletePolicyVersion", policyName="sensor-policy") < account.index("DeletePolicy")
    assert account.index("DeprecateThingType") < account.index("DeleteThingType")
    assert account.last("DeleteThing") < account.index("DeleteThingType")
    assert account.params_of("DeleteJob") == [{"jobId": "sensor-update", "force": True}]
    assert account.index("DeleteCertificate") < account.index("DeleteCACertificate")
    assert account.index("UpdateAuthorizer", status="INACTIVE") < account.index("DeleteAuthorizer")


def test_a_thing_type_deprecated_less_than_five_minutes_ago_is_not_yet_deletable(account):
    account.client("iot").create_thing_type(thingTypeName="meter")
    deprecated = datetime.now(UTC)
    account.stand_ins["DescribeThingType"] = {"thingTypeMetadata": {"deprecated": True, "deprecationDate": deprecated}}
    (item,) = iot.ThingType(account).list()
    with pytest.raises(NotYet) as held:
        iot.ThingType(account).delete(item)
    assert held.value.until == deprecated + iot.DEPRECATION_WAIT
    assert "DeleteThingType" not in account.operations()


def test_a_dynamic_thing_group_is_deleted_by_its_own_call(account):
    groups = {"by-firmware": {"queryString": "attributes.fw:1.0"}, "plain": {}}
    account.stand_ins.update(
        {
            "ListThingGroups": {"thingGroups": [{"groupName": name, "groupArn": f"arn:{name}"} for name in groups]},
            "DescribeThingGroup": lambda params: groups[params["thingGroupName"]],
            "DeleteDynamicThingGroup": {},
            "DeleteThingGroup": {},
        }
    )
    resource = iot.ThingGroup(account)
    for item in resource.list():
        resource.delete(item)
    assert account.params_of("DeleteDynamicThingGroup") == [{"thingGroupName": "by-firmware"}]
    assert account.params_of("DeleteThingGroup") == [{"thingGroupName": "plain"}]


def test_a_certificate_offered_to_another_account_is_taken_back_before_it_goes(account):
    cert = account.client("iot").create_keys_and_certificate(setAsActive=False)
    account.stand_ins.update(
        {
            "ListCertificates": {"certificates": [{**cert, "status": "PENDING_TRANSFER"}]},
            "CancelCertificateTransfer": {},
        }
    )
    resource = iot.Certificate(account)
    (item,) = resource.list()
    resource.prepare(item)
    assert account.params_of("CancelCertificateTransfer") == [{"certificateId": cert["certificateId"]}]
    assert "UpdateCertificate" not in account.operations()


# --- Greengrass V2 (stand-ins: moto has Greengrass V1 only) --------------------------------------


def greengrass_fake(context: RecordingContext) -> FakeService:
    fake = FakeService()

    def not_active(row, params):
        if row["deploymentStatus"] == "ACTIVE":
            refuse("DeleteDeployment", "Cancel the deployment first", "ConflictException")

    def cancel(params):
        fake.tables["deployments"][params["deploymentId"]]["deploymentStatus"] = "CANCELED"
        return {"message": "canceled"}

    def versions(params):
        found = [row for row in fake.rows("components") if row["arn"].startswith(params["arn"] + ":versions:")]
        return {"componentVersions": found}

    def components(params):
        assert params["scope"] == "PRIVATE"  # AWS's public components are never asked for
        names = sorted({row["componentName"] for row in fake.rows("components")})
        return {
            "components": [{"arn": f"arn:aws:greengrass:c:components:{name}", "componentName": name} for name in names]
        }

    context.stand_ins.update(
        {
            "ListDeployments": fake.lists("deployments", "deployments"),
            "CancelDeployment": cancel,
            "DeleteDeployment": fake.deletes("deployments", "deploymentId", "DeleteDeployment", not_active),
            "ListCoreDevices": fake.lists("cores", "coreDevices"),
            "DeleteCoreDevice": fake.deletes("cores", "coreDeviceThingName", "DeleteCoreDevice"),
            "ListComponents": components,
            "ListComponentVersions": versions,
            "DeleteComponent": fake.deletes("components", "arn", "DeleteComponent"),
        }
    )
    return fake


def greengrass_footprint(fake: FakeService, prefix: str = "edge") -> None:
    fake.add("deployments", f"{prefix}-d1", deploymentId=f"{prefix}-d1", deploymentName="v1", deploymentStatus="ACTIVE")
    fake.add("deployments", f"{prefix}-d0", deploymentId=f"{prefix}-d0", deploymentName="v0", deploymentStatus="FAILED")
    fake.add("cores", f"{prefix}-core", coreDeviceThingName=f"{prefix}-core", status="HEALTHY")
    for version in ("1.0.0", "1.1.0"):
        arn = f"arn:aws:greengrass:c:components:{prefix}.Hello:versions:{version}"
        fake.add("components", arn, arn=arn, componentName=f"{prefix}.Hello", componentVersion=version)


def test_greengrass_deployments_are_cancelled_then_deleted_before_devices_and_component_versions(account):
    fake = greengrass_fake(account)
    greengrass_footprint(fake)
    assert {item.name for item in greengrass.ComponentVersion(account).list()} == {
        "edge.Hello:1.0.0",
        "edge.Hello:1.1.0",
    }
    assert greengrass.Deployment.iam_prefix == "greengrass"

    assert sweep(account, greengrass) == {}
    assert not any(fake.tables.values())
    assert account.params_of("ListDeployments")[0] == {"historyFilter": "ALL"}
    assert account.params_of("CancelDeployment") == [{"deploymentId": "edge-d1"}]
    assert account.index("CancelDeployment") < account.index("DeleteDeployment", deploymentId="edge-d1")
    assert account.last("DeleteDeployment") < account.first("DeleteCoreDevice")
    assert account.last("DeleteDeployment") < account.first("DeleteComponent")
