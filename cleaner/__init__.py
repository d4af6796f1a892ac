"""The sweep engine that deletes every resource in the sandbox accounts."""
