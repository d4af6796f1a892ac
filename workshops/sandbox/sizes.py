"""The instance sizes a workshop lets its attendees launch: EC2 types, RDS classes, SageMaker types.

An attendee with wide rights can start a p5.48xlarge (about USD 100 an hour) as easily as a
t3.micro. A workshop names the sizes its labs need (default: a small general-purpose set) and the
guardrails deny every other size, through the condition keys AWS has for them (documents.py).
GPU, machine-learning accelerator and bare-metal sizes are never a default: a workshop names them
only with `accelerated_instances_allowed` ticked, an SA's explicit choice.

Services without a size condition key (Redshift, OpenSearch, MSK, EMR, …) have none to cap; the
cleaner-derived allow-list and the budgets are what hold them.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Burstable and current general-purpose sizes up to "large": enough for the labs of every topic.
DEFAULT_EC2_INSTANCE_TYPES = (
    "t3.micro",
    "t3.small",
    "t3.medium",
    "t3.large",
    "t4g.micro",
    "t4g.small",
    "t4g.medium",
    "t4g.large",
    "m6i.large",
    "m7g.large",
)
DEFAULT_RDS_INSTANCE_CLASSES = (
    "db.t3.micro",
    "db.t3.small",
    "db.t3.medium",
    "db.t4g.micro",
    "db.t4g.small",
    "db.t4g.medium",
)
# "system" is the size of SageMaker Studio's own JupyterServer app, which every Studio domain starts.
DEFAULT_SAGEMAKER_INSTANCE_TYPES = ("system", "ml.t3.medium", "ml.t3.large", "ml.m5.large", "ml.m5.xlarge")

EC2_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
RDS_CLASS = re.compile(r"^db\.[a-z][a-z0-9-]*\.[a-z0-9]+$")
SAGEMAKER_TYPE = re.compile(r"^(system|ml\.[a-z][a-z0-9-]*\.[a-z0-9]+)$")
# GPU (p, g, gr), inference and training accelerators (inf, trn, dl), FPGAs and video (f, vt).
ACCELERATED_FAMILY = re.compile(r"^(p|g|gr|inf|trn|dl|f|vt)\d")


def default_ec2_instance_types() -> list[str]:
    return list(DEFAULT_EC2_INSTANCE_TYPES)


def default_rds_instance_classes() -> list[str]:
    return list(DEFAULT_RDS_INSTANCE_CLASSES)


def default_sagemaker_instance_types() -> list[str]:
    return list(DEFAULT_SAGEMAKER_INSTANCE_TYPES)


def is_accelerated(size: str) -> bool:
    """A GPU, accelerator or bare-metal size: what needs an SA's explicit choice."""
    family, _, kind = size.removeprefix("ml.").removeprefix("db.").partition(".")
    return bool(ACCELERATED_FAMILY.match(family)) or kind == "metal" or kind.startswith("metal-")


def _validate(value, pattern: re.Pattern, example: str) -> None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValidationError(_("Name at least one size, e.g. %(example)s.") % {"example": example})
    wrong = [v for v in value if not pattern.match(v)]
    if wrong:
        raise ValidationError(
            _("Not a size AWS names this way: %(sizes)s (e.g. %(example)s).")
            % {"sizes": ", ".join(wrong[:5]), "example": example}
        )


def validate_ec2_instance_types(value) -> None:
    _validate(value, EC2_TYPE, "t3.micro")


def validate_rds_instance_classes(value) -> None:
    _validate(value, RDS_CLASS, "db.t3.micro")


def validate_sagemaker_instance_types(value) -> None:
    _validate(value, SAGEMAKER_TYPE, "ml.t3.medium")


SIZE_FIELDS = ("ec2_instance_types", "rds_instance_classes", "sagemaker_instance_types")


def accelerated_sizes_refusal(workshop) -> dict[str, str]:
    """The size fields naming GPU or metal sizes without the SA's explicit choice, with why; {} when fine."""
    if workshop.accelerated_instances_allowed:
        return {}
    errors = {}
    for field in SIZE_FIELDS:
        chosen = [size for size in getattr(workshop, field) or [] if isinstance(size, str) and is_accelerated(size)]
        if chosen:
            errors[field] = _(
                "%(sizes)s: GPU, accelerator and bare-metal sizes cost tens of dollars an hour; tick "
                "“GPU and bare-metal sizes allowed” to offer them."
            ) % {"sizes": ", ".join(chosen[:5])}
    return errors
