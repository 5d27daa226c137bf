"""Which of our constructs made each resource, recorded in the synthesized JSON.

The compliance gate keys the library's reasoned skips to our constructs, never to
cdktf's hashed addresses: a skip names a construct kind (``SecureWebTier``) and a path
inside it (``access-logs/bucket``). For that the stack records, under its ``//``
comment key (ignored by Terraform)::

    "//": {"secure_web": {"resources": {
        "<construct path of the resource>": {"construct": "SecureWebTier", "path": "access-logs/bucket"}}}}

for every resource and data source created through ``secure_web.aws.resource_module``
(our constructs' one way to create them) inside one of our public constructs; the kind
and path are those of the innermost one. A consumer's own resources are never recorded.

Cost: creating a resource records two Python references; each scope's path is read once,
when the stack synthesizes (one lazy value per stack), so synth stays fast. Every public
construct creates resources itself, so the public constructs are found among those scopes.
"""

from __future__ import annotations

import weakref
from typing import Any

RECORD_OVERRIDE = "//.secure_web.resources"
PUBLIC_CONSTRUCTS = ("Network", "SecureWebTier", "MonitoredHost", "ReplicatedMySQL", "AlarmTopic",
                     "DnsValidatedCertificate")

_RECORDERS: "weakref.WeakKeyDictionary[Any, _Recorder]" = weakref.WeakKeyDictionary()


def record(scope: Any, construct_id: str) -> None:
    """Remember that a resource ``construct_id`` was created in ``scope``; resolved at synth."""
    from .tree import stack_of  # cdktf is imported only once a resource exists

    stack = stack_of(scope)
    recorder = _RECORDERS.get(stack)
    if recorder is None:
        recorder = _RECORDERS[stack] = _Recorder.attach(stack)
    recorder.created.append((scope, construct_id))


def _public_classes() -> tuple[type, ...]:
    from .alarms import AlarmTopic
    from .certificate import DnsValidatedCertificate
    from .monitored_host import MonitoredHost
    from .network import Network
    from .replicated_mysql import ReplicatedMySQL
    from .secure_web_tier import SecureWebTier

    return (Network, SecureWebTier, MonitoredHost, ReplicatedMySQL, AlarmTopic, DnsValidatedCertificate)


def _kind(construct: Any, classes: tuple[type, ...]) -> str | None:
    for cls in classes:
        if isinstance(construct, cls):
            return cls.__name__
    return None


class _Recorder:
    """The records of one stack, produced as a lazy value when cdktf synthesizes it."""

    def __init__(self) -> None:
        self.created: list[tuple[Any, str]] = []

    @classmethod
    def attach(cls, stack: Any) -> "_Recorder":
        import cdktf
        import jsii

        recorder = cls()

        @jsii.implements(cdktf.IAnyProducer)
        class Producer:
            def produce(self, context: Any) -> Any:
                return recorder.records()

        stack.add_override(RECORD_OVERRIDE, cdktf.Lazy.any_value(Producer()))
        return recorder

    def records(self) -> dict[str, dict[str, str]]:
        from .tree import path_of

        classes = _public_classes()
        paths: dict[int, str] = {}
        owners: list[tuple[str, str]] = []
        for scope, _ in self.created:
            if id(scope) not in paths:
                paths[id(scope)] = path_of(scope)
                kind = _kind(scope, classes)
                if kind is not None:
                    owners.append((paths[id(scope)], kind))
        # Every public construct creates resources itself, so it is one of the scopes; innermost first.
        owners.sort(key=lambda owner: len(owner[0]), reverse=True)
        records = {}
        for scope, construct_id in self.created:
            scope_path = paths[id(scope)]
            owner = next(((path, kind) for path, kind in owners
                          if scope_path == path or scope_path.startswith(path + "/")), None)
            if owner is None:
                continue
            owner_path, kind = owner
            path = f"{scope_path}/{construct_id}"
            records[path] = {"construct": kind, "path": path[len(owner_path) + 1:]}
        return dict(sorted(records.items()))
