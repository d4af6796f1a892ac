"""What commits the programme's money beyond the workshop: denied to attendees in every sandbox account.

A cleanup deletes what an attendee made; it cannot undo a purchase. Each group below is a kind of
commitment AWS sells (a term, an upfront fee, a subscription, a registration), with the actions
that make or change one, as the Service Authorization Reference lists them per service. A prefix
wildcard (`ec2:Purchase*`) stands for every purchase action of its service, today's and later ones.
"""

from __future__ import annotations

COMMITMENT_ACTIONS: dict[str, tuple[str, ...]] = {
    # Reserved capacity for a term (one or three years): Reserved Instances and nodes, bought or
    # exchanged, hosts reserved, capacity reservations and blocks (billed whether used or not).
    "reservations": (
        "ec2:Purchase*",
        "ec2:AcceptReservedInstancesExchangeQuote",
        "ec2:ModifyReservedInstances",
        "ec2:CreateReservedInstancesListing",
        "ec2:CreateCapacityReservation",
        "ec2:CreateCapacityReservationFleet",
        "ec2:CreateInterruptibleCapacityReservationAllocation",
        "rds:Purchase*",
        "rds:CreateDBCapacityReservation",
        "redshift:Purchase*",
        "redshift:AcceptReservedNodeExchange",
        "redshift-serverless:CreateReservation",
        "elasticache:Purchase*",
        "memorydb:Purchase*",
        "es:Purchase*",
        "dynamodb:Purchase*",
        "glacier:Purchase*",
        "athena:CreateCapacityReservation",
    ),
    # Savings Plans: an hourly spend committed for a term (compute, EC2, SageMaker; CloudFront's own).
    "savings plans": (
        "savingsplans:CreateSavingsPlan",
        "savingsplans:ReturnSavingsPlan",
        "savingsplans:DeleteQueuedSavingsPlan",
        "cloudfront:CreateSavingsPlan",
        "cloudfront:UpdateSavingsPlan",
    ),
    # Machine-learning capacity bought ahead: SageMaker training plans, Bedrock provisioned throughput
    # (hourly, with optional terms) and the agreements that open a paid foundation model.
    "machine learning capacity": (
        "sagemaker:CreateTrainingPlan",
        "sagemaker:ExtendTrainingPlan",
        "sagemaker:CreateReservedCapacity",
        "bedrock:CreateProvisionedModelThroughput",
        "bedrock:UpdateProvisionedModelThroughput",
        "bedrock:CreateFoundationModelAgreement",
    ),
    # Marketplace: subscriptions and agreements bill from the seller, outside anything the account holds.
    "marketplace": (
        "aws-marketplace:Subscribe",
        "aws-marketplace:AcceptAgreementRequest",
        "aws-marketplace:CreateAgreementRequest",
        "aws-marketplace:AcceptAgreementPaymentRequest",
        "aws-marketplace:UpdatePurchaseOrders",
    ),
    # Domains: a registration, renewal or transfer is a year's fee, and the domain outlives the account.
    "domains": (
        "route53domains:RegisterDomain",
        "route53domains:RenewDomain",
        "route53domains:TransferDomain",
        "route53domains:TransferDomainToAnotherAwsAccount",
    ),
    # Shield Advanced: USD 3,000 a month on a one-year term, from the subscription on.
    "shield advanced": (
        "shield:CreateSubscription",
        "shield:UpdateSubscription",
    ),
    # Support plans and other paid subscriptions an account can take out for itself.
    "subscriptions": (
        "supportplans:CreateSupportAgreement",
        "supportplans:StartSupportPlanUpdate",
        "quicksight:Subscribe",
        "qbusiness:CreateSubscription",
        "freertos:CreateSubscription",
        "user-subscriptions:CreatePurchaseSession",
    ),
    # Media and device offerings sold by the month, and hardware shipped to a door.
    "offerings and hardware": (
        "medialive:PurchaseOffering",
        "mediaconnect:PurchaseOffering",
        "devicefarm:PurchaseOffering",
        "devicefarm:RenewOffering",
        "outposts:CreateOrder",
        "snowball:CreateJob",
    ),
    # The account's billing itself: who pays, and how.
    "billing": (
        "aws-portal:ModifyBilling",
        "aws-portal:ModifyPaymentMethods",
    ),
}


def commitment_actions() -> list[str]:
    """Every commitment action, once, in a stable order (the policy must not change between runs)."""
    return sorted({action for group in COMMITMENT_ACTIONS.values() for action in group})
