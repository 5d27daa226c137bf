"""boto3 clients for the verifier, one per service, from one session."""

from __future__ import annotations

from collections.abc import Mapping

import boto3
from botocore.client import BaseClient
from botocore.config import Config

_RETRIES = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=10, read_timeout=30)


class Clients:
    """Creates each service's client once; ``overrides`` replaces chosen services (tests stub with them)."""

    def __init__(self, session: boto3.Session, *, region: str, endpoint_url: str | None = None,
                 overrides: Mapping[str, BaseClient] | None = None) -> None:
        self._session = session
        self.region = region
        self._endpoint_url = endpoint_url
        self._clients: dict[str, BaseClient] = dict(overrides or {})

    def __call__(self, service: str) -> BaseClient:
        """The client of ``service`` (a boto3 service name such as ``elbv2``)."""
        if service not in self._clients:
            self._clients[service] = self._session.client(
                service, region_name=self.region, endpoint_url=self._endpoint_url, config=_RETRIES
            )
        return self._clients[service]
