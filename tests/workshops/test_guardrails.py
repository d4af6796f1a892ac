"""Guardrails on the sandbox OU, against moto's Organization: created, updated and attached once,
left alone when they match, a dry run that only tells, a policy that denies the right things,
clear errors, the SA-only admin page, and a refresh when workshops start or stop using regions."""

import io
import json
from unittest import mock

import pytest
from botocore.exceptions import ClientError
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import WorkshopFactory, workshop_in
from workshops import services
from workshops.models import Stage
from workshops.sandbox import guardrails
from workshops.sandbox.guardrails import (
    POLICY_NAME,
    SPENDING_POLICY_NAME,
    GuardrailsError,
    guardrails_apply,
    guardrails_inspect,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox_ou]

GUARDRAILS_PAGE = "admin:workshops_sandboxaccount_guardrails"
# AWS attaches FullAWSAccess to every new OU; the guardrails deny on top of it and never detach it,
# or everything in the sandboxes would be denied.
ATTACHED = sorted(["FullAWSAccess", POLICY_NAME, SPENDING_POLICY_NAME])


@pytest.fixture
def workshops_in_regions(db):
    return [
        workshop_in(Stage.REGISTRATION_OPEN, aws_regions=["eu-west-1"]),
        workshop_in(Stage.RUNNING, aws_regions=["eu-central-1", "eu-west-1"]),
    ]


def statement(document: dict, sid: str) -> dict:
    return next(s for s in document["Statement"] if s["Sid"] == sid)


def run_command(*args) -> str:
    out = io.StringIO()
    call_command("apply_guardrails", *args, stdout=out)
    return out.getvalue()


# --- Applying --------------------------------------------------------------------------------------


def test_the_first_run_enables_scps_creates_the_policy_and_attaches_it_to_the_sandbox_ou(org, workshops_in_regions):
    assert not org.scp_enabled()
    report = guardrails_apply()
    assert len(report.done) == 5  # enable; create and attach each of the two policies
    assert org.scp_enabled()
    assert org.attached_to_ou() == ATTACHED
    assert statement(org.policy(), "DenyOutsideTheWorkshopRegions")["Condition"]["StringNotEquals"] == {
        "aws:RequestedRegion": ["eu-central-1", "eu-west-1"]
    }
    assert guardrails_inspect().in_sync


def test_a_second_run_changes_nothing(org, workshops_in_regions):
    guardrails_apply()
    before = org.policy()
    with (
        mock.patch.object(org.client, "update_policy") as update,
        mock.patch.object(org.client, "attach_policy") as attach,
    ):
        report = guardrails_apply()
    assert report.done == [] and report.state.in_sync
    update.assert_not_called()
    attach.assert_not_called()
    assert org.policy() == before
    assert len(org.guardrail_policies()) == 1
    assert "up to date" in run_command()


def test_a_changed_region_list_updates_the_policy_in_place(org, workshops_in_regions):
    guardrails_apply()
    (first,) = org.guardrail_policies()
    workshop_in(Stage.REGISTRATION_CLOSED, aws_regions=["us-east-1"])

    report = guardrails_apply()

    assert report.done == [f"updated the content of {POLICY_NAME}"]
    (same,) = org.guardrail_policies()
    assert same["Id"] == first["Id"]
    regions = statement(org.policy(), "DenyOutsideTheWorkshopRegions")["Condition"]["StringNotEquals"]
    assert regions == {"aws:RequestedRegion": ["eu-central-1", "eu-west-1", "us-east-1"]}
    assert org.attached_to_ou() == ATTACHED


def test_regions_close_when_their_workshop_finishes(org, workshops_in_regions):
    guardrails_apply()
    running = workshops_in_regions[1]
    running.stage = Stage.CLOSED
    running.save(update_fields=["stage"])
    guardrails_apply()
    assert statement(org.policy(), "DenyOutsideTheWorkshopRegions")["Condition"]["StringNotEquals"] == {
        "aws:RequestedRegion": ["eu-west-1"]
    }


def test_a_policy_edited_by_hand_is_shown_as_a_diff_and_put_back(org, workshops_in_regions):
    guardrails_apply()
    (summary,) = org.guardrail_policies()
    loose = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    org.client.update_policy(PolicyId=summary["Id"], Content=json.dumps(loose))

    state = guardrails_inspect()
    assert not state.in_sync
    assert '-      "Effect": "Allow"' in state.diff
    assert '+      "Sid": "DenyLeavingTheOrganization"' in state.diff

    guardrails_apply()
    assert org.policy() == state.desired


def test_a_dry_run_prints_the_policy_and_what_would_change_and_changes_nothing(org, workshops_in_regions):
    out = run_command("--dry-run")
    assert org.guardrail_policies() == []
    assert not org.scp_enabled()
    assert "would enable service control policies" in out
    assert f"would create the policy {POLICY_NAME}" in out
    assert f"would attach the policy {POLICY_NAME} to the sandbox OU {org.sandbox_ou}" in out
    printed, _end = json.JSONDecoder().raw_decode(out[out.index("{") :])
    assert printed == guardrails_inspect().desired
    assert "Dry run, nothing changed" in out


def test_the_command_applies_and_says_what_it_did(org, workshops_in_regions):
    out = run_command()
    assert "Guardrails applied" in out
    assert "eu-central-1, eu-west-1" in out
    assert org.attached_to_ou() == ATTACHED


# --- What the policy denies -------------------------------------------------------------------------


def test_the_policy_denies_other_regions_leaving_closing_and_touching_the_access_role(org, settings):
    settings.CPP_SANDBOX_ROLE_NAME = "CppPortalAccess"
    workshop_in(Stage.RUNNING, aws_regions=["eu-west-1", "eu-north-1"])
    guardrails_apply()
    document = org.policy()
    role_arn = "arn:aws:iam::*:role/CppPortalAccess"
    assert all(s["Effect"] == "Deny" for s in document["Statement"])

    regions = statement(document, "DenyOutsideTheWorkshopRegions")
    assert regions["Resource"] == "*" and "Action" not in regions
    for global_service in ("iam:*", "organizations:*", "sts:*", "cloudfront:*", "route53:*", "support:*", "budgets:*"):
        assert global_service in regions["NotAction"]
    assert not any(a.startswith(("ec2:Run", "s3:*", "lambda:")) for a in regions["NotAction"])
    assert regions["Condition"] == {
        "StringNotEquals": {"aws:RequestedRegion": ["eu-north-1", "eu-west-1"]},
        "ArnNotLike": {"aws:PrincipalArn": [role_arn]},
    }

    leaving = statement(document, "DenyLeavingTheOrganization")
    assert leaving["Action"] == ["organizations:LeaveOrganization"] and "Condition" not in leaving
    closing = statement(document, "DenyClosingOrRedirectingTheAccount")
    assert "account:CloseAccount" in closing["Action"] and "Condition" not in closing

    role = statement(document, "DenyChangingTheAccessRole")
    assert role["Action"] == ["iam:*"]
    assert role["Resource"] == [role_arn]
    assert role["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": [role_arn]}}


def test_the_policy_fits_the_scp_size_limit_with_every_region_allowed(db):
    from cpp_portal.aws import COMMERCIAL_REGIONS

    document = guardrails.guardrails_document(regions=list(COMMERCIAL_REGIONS), role_name="x" * 64)
    assert len(guardrails.policy_json(document)) <= guardrails.MAX_POLICY_CHARACTERS


def test_attendees_cannot_lift_their_boundary_or_edit_a_current_boundary_policy(db):
    workshop_in(Stage.RUNNING, permissions_boundary_arn="arn:aws:iam::123456789012:policy/cpp/attendee-cap")
    workshop_in(Stage.REGISTRATION_OPEN, permissions_boundary_arn="arn:aws:iam::aws:policy/PowerUserAccess")
    workshop_in(Stage.CLOSED, permissions_boundary_arn="arn:aws:iam::123456789012:policy/old-cap")
    assert guardrails.boundary_policies() == ["arn:aws:iam::*:policy/cpp/attendee-cap"]

    document = guardrails.guardrails_document(
        regions=["eu-west-1"], role_name="cpp-access", boundaries=guardrails.boundary_policies()
    )
    not_the_access_role = {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/cpp-access"]}}
    users = statement(document, "DenyLiftingAttendeeBoundaries")
    assert {"iam:DeleteUserPermissionsBoundary", "iam:PutUserPermissionsBoundary", "iam:UntagUser"} <= set(
        users["Action"]
    )
    assert users["Condition"] == {"StringEquals": {"aws:ResourceTag/cpp:managed": "true"}, **not_the_access_role}
    policies = statement(document, "DenyEditingBoundaryPolicies")
    assert policies["Resource"] == ["arn:aws:iam::*:policy/cpp/attendee-cap"]
    assert "iam:CreatePolicyVersion" in policies["Action"] and "iam:SetDefaultPolicyVersion" in policies["Action"]
    assert policies["Condition"] == not_the_access_role
    # No boundary policy in use: no rule naming policies.
    plain = guardrails.guardrails_document(regions=["eu-west-1"], role_name="cpp-access")
    assert "DenyEditingBoundaryPolicies" not in [s["Sid"] for s in plain["Statement"]]


def test_the_policy_still_fits_with_every_region_and_several_boundary_policies(db):
    from cpp_portal.aws import COMMERCIAL_REGIONS

    boundaries = [f"arn:aws:iam::*:policy/workshops/attendee-boundary-{n:02d}" for n in range(10)]
    document = guardrails.guardrails_document(
        regions=list(COMMERCIAL_REGIONS), role_name="x" * 64, boundaries=boundaries
    )
    assert len(guardrails.policy_json(document)) <= guardrails.MAX_POLICY_CHARACTERS


def test_only_published_unfinished_workshops_open_regions_else_the_default(db, settings):
    settings.CPP_SANDBOX_DEFAULT_REGIONS = ["eu-west-3"]
    WorkshopFactory(aws_regions=["us-west-2"])  # a draft
    for stage in (Stage.CLOSED, Stage.CANCELLED, Stage.ANONYMISED):
        workshop_in(stage, aws_regions=["ap-south-1"])
    assert guardrails.allowed_regions() == ["eu-west-3"]
    settings.CPP_SANDBOX_DEFAULT_REGIONS = ["eu-west-1", "eu-central-1"]
    assert guardrails.allowed_regions() == ["eu-central-1", "eu-west-1"]
    workshop_in(Stage.REGISTRATION_OPEN, aws_regions=["sa-east-1"])
    assert guardrails.allowed_regions() == ["sa-east-1"]


# --- Errors ---------------------------------------------------------------------------------------


def test_a_missing_ou_is_a_clear_error_and_a_failing_command(org, settings):
    settings.CPP_SANDBOX_OU_ID = "ou-zzzz-zzzzzzzz"
    with pytest.raises(GuardrailsError, match="ou-zzzz-zzzzzzzz does not exist: check CPP_SANDBOX_OU_ID"):
        guardrails_apply()
    with pytest.raises(CommandError, match="does not exist"):
        run_command()
    assert org.guardrail_policies() == []


def test_an_unset_ou_is_a_clear_error(db, settings):
    settings.CPP_SANDBOX_OU_ID = ""
    with pytest.raises(CommandError, match="CPP_SANDBOX_OU_ID is not set"):
        run_command("--dry-run")


def test_access_denied_says_which_identity_may_do_this(org, workshops_in_regions):
    denied = ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "You don't have permissions to access this resource."}},
        "CreatePolicy",
    )
    with mock.patch.object(org.client, "create_policy", side_effect=denied), pytest.raises(CommandError) as error:
        run_command()
    assert "management account" in str(error.value)
    assert "AccessDeniedException" in str(error.value)
    assert org.guardrail_policies() == []


# --- Stage changes keep them current ----------------------------------------------------------------


def test_publishing_a_workshop_opens_its_regions(org, sa, django_capture_on_commit_callbacks):
    workshop = WorkshopFactory(owners=[sa], aws_regions=["ca-central-1"])
    with django_capture_on_commit_callbacks(execute=True):
        services.workshop_publish(workshop_id=workshop.pk, actor=sa)
    assert statement(org.policy(), "DenyOutsideTheWorkshopRegions")["Condition"]["StringNotEquals"] == {
        "aws:RequestedRegion": ["ca-central-1"]
    }


def test_an_aws_failure_never_stops_a_stage_change(db, sa, settings, django_capture_on_commit_callbacks, caplog):
    settings.CPP_SANDBOX_OU_ID = "ou-abcd-12345678"
    workshop = WorkshopFactory(owners=[sa])
    with (
        mock.patch.object(guardrails, "guardrails_apply", side_effect=GuardrailsError("AWS said no")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.workshop_publish(workshop_id=workshop.pk, actor=sa)
    workshop.refresh_from_db()
    assert workshop.stage == Stage.REGISTRATION_OPEN
    assert workshop.stage_changes.get().side_effects_done_at is not None
    assert "guardrails not refreshed: AWS said no" in caplog.text


# --- The admin page -----------------------------------------------------------------------------------


def test_the_pool_list_leads_an_sa_to_the_guardrails(client, sa):
    client.force_login(sa)
    page = client.get(reverse("admin:workshops_sandboxaccount_changelist"))
    assert reverse(GUARDRAILS_PAGE) in page.content.decode()


def test_an_sa_sees_the_diff_and_applies_only_on_the_confirmed_post(client, sa, org, workshops_in_regions):
    client.force_login(sa)
    page = client.get(reverse(GUARDRAILS_PAGE))
    body = page.content.decode()
    assert page.status_code == 200
    assert "not created yet" in body
    assert f"attach the policy {POLICY_NAME} to the sandbox OU" in body
    assert "DenyOutsideTheWorkshopRegions" in body
    assert 'name="confirmed" value="yes"' in body

    client.post(reverse(GUARDRAILS_PAGE))  # not confirmed: nothing happens
    assert org.guardrail_policies() == []

    response = client.post(reverse(GUARDRAILS_PAGE), {"confirmed": "yes"})
    assert response.status_code == 302
    assert org.attached_to_ou() == ATTACHED
    after = client.get(response.url).content.decode()
    assert "Guardrails applied" in after
    assert "up to date" in after
    assert 'name="confirmed"' not in after


def test_the_page_shows_an_aws_error_instead_of_failing(client, sa, org, settings):
    settings.CPP_SANDBOX_OU_ID = "ou-zzzz-zzzzzzzz"
    client.force_login(sa)
    page = client.get(reverse(GUARDRAILS_PAGE))
    assert page.status_code == 200
    assert "check CPP_SANDBOX_OU_ID" in page.content.decode()


def test_an_account_manager_cannot_see_or_apply_the_guardrails(client, am, org):
    client.force_login(am)
    assert client.get(reverse(GUARDRAILS_PAGE)).status_code == 403
    assert client.post(reverse(GUARDRAILS_PAGE), {"confirmed": "yes"}).status_code == 403
    assert org.guardrail_policies() == []


def test_an_ou_without_room_for_the_policies_is_refused_and_nothing_changes(org, workshops_in_regions):
    # Someone else's SCPs on the OU count against AWS's five: attaching past them would fail half-way.
    for n in range(3):
        policy = org.client.create_policy(
            Name=f"someone-elses-{n}",
            Description="",
            Type="SERVICE_CONTROL_POLICY",
            Content='{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"cloudhsm:*","Resource":"*"}]}',
        )["Policy"]["PolicySummary"]["Id"]
        org.client.attach_policy(PolicyId=policy, TargetId=org.sandbox_ou)
    with pytest.raises(GuardrailsError, match="would carry 6 service control policies; AWS allows 5"):
        guardrails_apply()
    assert org.guardrail_policies() == []
    assert SPENDING_POLICY_NAME not in org.attached_to_ou()
