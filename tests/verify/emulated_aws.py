"""Helpers for the verifier suite: fake-credential sessions, the emulated deployment, SSM answers.

SSM ``DescribeInstanceInformation`` is not emulated by moto, so the verifier's SSM client
answers that one operation as the real API does, checked against the API model like a
botocore Stubber's answers; its other operations (GetParameter) reach moto
(docs/verifier.md, "Emulated and stubbed").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import boto3
import botocore.loaders
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.validate import ParamValidator

from moto_deployment import REGION
from secure_web.verify import Clients, Deployment, VerifySettings, run_checks
from secure_web.verify.checks import CheckResult
from secure_web.verify.outputs import DeploymentOutputs


@dataclass
class CallRecorder:
    """Every (boto3 service, operation) the clients of one session were asked to call."""

    calls: set[tuple[str, str]] = field(default_factory=set)

    def __call__(self, params: dict[str, object], model, **_: object) -> None:
        self.calls.add((model.service_model.service_name, model.name))


_SHARED_LOADER = botocore.loaders.create_loader()


def aws_session() -> boto3.Session:
    """A session on moto's fake credentials; sessions share one loader, so models are parsed once."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _SHARED_LOADER)
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION,
                         botocore_session=core)


@dataclass
class EmulatedDeployment:
    """A deployment in moto, and how to verify it."""

    endpoint: str
    outputs: DeploymentOutputs
    raw_outputs: dict[str, str]
    suffix: str
    recorder: CallRecorder = field(default_factory=CallRecorder)

    def clients(self, *, ssm_online: bool = True) -> Clients:
        """moto for every service but SSM, which answers like the real API for the hosts."""
        session = aws_session()
        session.events.register("provide-client-params.*.*", self.recorder)
        ssm = session.client("ssm", region_name=REGION, endpoint_url=self.endpoint)
        answer_only(ssm, "DescribeInstanceInformation",
                    ssm_instance_information(self.instance_ids(), online=ssm_online))
        return Clients(session, region=REGION, endpoint_url=self.endpoint, overrides={"ssm": ssm})

    def instance_ids(self) -> list[str]:
        autoscaling = aws_session().client("autoscaling", region_name=REGION, endpoint_url=self.endpoint)
        groups = autoscaling.describe_auto_scaling_groups(
            AutoScalingGroupNames=[self.outputs.web_autoscaling_group, self.outputs.app_autoscaling_group])
        return [instance["InstanceId"] for group in groups["AutoScalingGroups"] for instance in group["Instances"]]

    def verify(self, settings: VerifySettings | None = None, *, ssm_online: bool = True) -> list[CheckResult]:
        return run_checks(Deployment(self.outputs, self.clients(ssm_online=ssm_online), settings=settings))


def answer_only(client, operation: str, response: dict[str, object]) -> None:
    """``client`` answers ``operation`` with ``response`` (valid for the API model) and sends every other call on."""
    report = ParamValidator().validate(response, client.meta.service_model.operation_model(operation).output_shape)
    if report.has_errors():
        raise ValueError(f"{operation}: the canned answer does not fit the API model:\n{report.generate_report()}")

    def answer(**_: object) -> tuple[AWSResponse, dict[str, object]]:
        return AWSResponse(None, 200, {}, None), response

    client.meta.events.register_first(f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}",
                                      answer)


def ssm_instance_information(instance_ids: list[str], *, online: bool) -> dict[str, object]:
    """A DescribeInstanceInformation response as SSM gives it for managed EC2 instances."""
    now = datetime.now(timezone.utc)
    return {"InstanceInformationList": [
        {"InstanceId": instance_id, "PingStatus": "Online" if online else "ConnectionLost",
         "LastPingDateTime": now, "AgentVersion": "3.3.1142.0", "IsLatestVersion": False,
         "PlatformType": "Linux", "PlatformName": "Debian GNU/Linux", "PlatformVersion": "12",
         "ResourceType": "EC2Instance", "IPAddress": "10.0.10.12", "ComputerName": "ip-10-0-10-12"}
        for instance_id in instance_ids
    ]}
