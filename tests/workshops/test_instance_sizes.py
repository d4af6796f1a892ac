"""A workshop names the instance sizes its labs need; GPU and metal sizes only by an SA's explicit choice,
and the guardrails open exactly the sizes current workshops name."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories import WorkshopFactory, workshop_in
from workshops.models import Stage
from workshops.sandbox import guardrails, sizes

pytestmark = pytest.mark.django_db


def test_a_new_workshop_allows_the_small_general_purpose_sizes():
    workshop = WorkshopFactory()
    assert workshop.ec2_instance_types == list(sizes.DEFAULT_EC2_INSTANCE_TYPES)
    assert not any(sizes.is_accelerated(s) for s in workshop.ec2_instance_types + workshop.sagemaker_instance_types)


@pytest.mark.parametrize(
    ("size", "accelerated"),
    [
        ("p5.48xlarge", True),
        ("g5.xlarge", True),
        ("g4dn.xlarge", True),
        ("inf2.xlarge", True),
        ("trn1.2xlarge", True),
        ("m5.metal", True),
        ("c7i.metal-24xl", True),
        ("ml.p4d.24xlarge", True),
        ("ml.g5.xlarge", True),
        ("t3.micro", False),
        ("m7g.large", False),
        ("ml.m5.large", False),
        ("db.r6g.large", False),
        ("system", False),
    ],
)
def test_gpu_accelerator_and_metal_sizes_are_told_apart(size, accelerated):
    assert sizes.is_accelerated(size) is accelerated


def test_a_gpu_size_needs_the_explicit_choice():
    workshop = WorkshopFactory.build(ec2_instance_types=["t3.micro", "g5.xlarge"])
    with pytest.raises(ValidationError) as refused:
        workshop.clean()
    assert "g5.xlarge" in str(refused.value.message_dict["ec2_instance_types"])
    workshop.accelerated_instances_allowed = True
    workshop.clean()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ec2_instance_types", []),
        ("ec2_instance_types", ["t3 micro"]),
        ("rds_instance_classes", ["t3.micro"]),
        ("sagemaker_instance_types", ["m5.large"]),
        ("sagemaker_instance_types", "ml.m5.large"),
    ],
)
def test_a_size_aws_would_not_recognise_is_a_clear_error(field, value):
    workshop = WorkshopFactory.build(**{field: value})
    with pytest.raises(ValidationError) as refused:
        workshop.full_clean(exclude=["topic"])
    assert field in refused.value.message_dict


def test_the_guardrails_open_the_sizes_of_current_workshops_and_no_others():
    assert guardrails.allowed_sizes()["ec2_instance_types"] == sorted(sizes.DEFAULT_EC2_INSTANCE_TYPES)
    workshop_in(Stage.RUNNING, ec2_instance_types=["t3.micro", "g5.xlarge"], accelerated_instances_allowed=True)
    workshop_in(Stage.DRAFT, ec2_instance_types=["p5.48xlarge"], accelerated_instances_allowed=True)
    workshop_in(Stage.CLOSED, ec2_instance_types=["p4d.24xlarge"], accelerated_instances_allowed=True)
    allowed = guardrails.allowed_sizes()
    assert allowed["ec2_instance_types"] == ["g5.xlarge", "t3.micro"]  # the running one only
    assert allowed["rds_instance_classes"] == sorted(sizes.DEFAULT_RDS_INSTANCE_CLASSES)


def test_the_spending_policy_fits_with_many_workshops_naming_many_sizes():
    many = [f"m{n}.{size}" for n in range(5, 8) for size in ("large", "xlarge", "2xlarge", "4xlarge")]
    document = guardrails.spending_document(
        role_name="x" * 64,
        sizes={
            "ec2_instance_types": [*sizes.DEFAULT_EC2_INSTANCE_TYPES, *many],
            "rds_instance_classes": [*sizes.DEFAULT_RDS_INSTANCE_CLASSES, *(f"db.{s}" for s in many)],
            "sagemaker_instance_types": [*sizes.DEFAULT_SAGEMAKER_INSTANCE_TYPES, *(f"ml.{s}" for s in many)],
        },
    )
    assert len(guardrails.policy_json(document)) <= guardrails.MAX_POLICY_CHARACTERS


def test_a_workshop_names_only_services_the_cleaner_can_clean_and_its_form_says_which():
    from workshops.forms import WorkshopForm

    form = WorkshopForm()
    assert (
        "states" in form.fields["aws_services"].help_text
        and "glue" in form.fields["aws_services"].help_text
        and "gamelift" not in form.fields["aws_services"].help_text
    )
    form = WorkshopForm(data={"aws_services": "ec2\ngamelift\nlambda"})
    form.is_valid()
    assert "The cleaner cannot clean gamelift" in form.errors["aws_services"][0]
    form = WorkshopForm(data={"aws_services": "lambda\nec2\nlambda"})
    form.is_valid()
    assert "aws_services" not in form.errors and form.cleaned_data["aws_services"] == ["ec2", "lambda"]
