"""EventBridge Pipes: pipes. (Rules and buses are in events.py, Scheduler's schedules there too.)

Deleting a pipe is asynchronous: a DELETING pipe is listed and not asked again.
"""

from __future__ import annotations

from cleaner.registry import Deleting, Listed, Listing, resource


@resource("pipes.pipe")
class Pipe(Listed):
    listing = Listing(
        "list_pipes",
        "Pipes",
        id="Name",
        arn="Arn",
        created="CreationTime",
        state="CurrentState",
        going=frozenset({"DELETING"}),
    )
    deleting = Deleting("delete_pipe", {"Name": "id"})
