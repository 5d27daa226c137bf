"""The verifier's cdktf-free copies of the constructs' constants (``secure_web.verify.expected``) equal them."""

from __future__ import annotations

import dataclasses

import pytest

from secure_web import monitored_host, replicated_mysql, secure_web_tier
from secure_web.verify import expected
from secure_web.verify.settings import VerifySettings

CONSTRUCT_VALUES = {
    "ALLOWED_SSL_POLICIES": secure_web_tier.ALLOWED_SSL_POLICIES,
    "WORLD": secure_web_tier.WORLD,
    "DEFAULT_APP_PORT": next(field.default for field in dataclasses.fields(secure_web_tier.SecureWebTierProps)
                             if field.name == "app_port"),
    "MYSQL_PORT": replicated_mysql.MYSQL_PORT,
    "MIN_BACKUP_RETENTION_DAYS": replicated_mysql.BACKUP_RETENTION_RANGE[0],
    "AGENT_MANAGED_POLICIES": monitored_host.AGENT_MANAGED_POLICIES,
}
"""Each copy in ``secure_web.verify.expected``, by name, and the value the constructs use."""


@pytest.mark.parametrize("name", sorted(CONSTRUCT_VALUES))
def test_copy_equals_the_constructs_value(name):
    assert getattr(expected, name) == CONSTRUCT_VALUES[name]


def test_every_copy_is_pinned():
    assert {name for name in vars(expected) if name.isupper()} == set(CONSTRUCT_VALUES)


def test_settings_default_to_the_constructs_defaults():
    settings = VerifySettings()
    assert settings.app_port == CONSTRUCT_VALUES["DEFAULT_APP_PORT"]
    assert settings.min_backup_retention_days == CONSTRUCT_VALUES["MIN_BACKUP_RETENTION_DAYS"]
