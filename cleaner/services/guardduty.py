"""GuardDuty: the detector of each region (its filters, IP sets and publishing destinations go with it).

A detector that the Organization's GuardDuty administrator account manages is its: a member may
not delete it (and should not: it reports to the Organization), so it is never touched. Told by the
administrator relationship, not by anything an attendee names.
"""

from __future__ import annotations

from collections.abc import Iterator

from cleaner.registry import Item, Resource, resource


@resource("guardduty.detector")
class Detector(Resource):
    def list(self) -> Iterator[Item]:
        for page in self.client.get_paginator("list_detectors").paginate():
            for detector_id in page["DetectorIds"]:
                detector = self.client.get_detector(DetectorId=detector_id)
                administrator = self.client.get_administrator_account(DetectorId=detector_id).get("Administrator") or {}
                protected = ""
                if administrator.get("AccountId") and administrator.get("RelationshipStatus") == "Enabled":
                    protected = f"managed by the Organization's GuardDuty administrator {administrator['AccountId']}"
                yield Item(
                    id=detector_id,
                    name=detector_id,
                    tags=detector.get("Tags") or {},
                    extra={"status": detector.get("Status")},
                    protected=protected,
                )

    def delete(self, item: Item) -> None:
        self.client.delete_detector(DetectorId=item.id)
