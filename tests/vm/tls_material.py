"""Throw-away TLS material for the VM suite, made with the ``openssl`` CLI (no Python dependency).

``make_ca`` creates a certificate authority, ``issue`` a server certificate it signs, and
``self_signed`` a server certificate no CA vouches for (the broken twin of an issued one).
Keys are EC P-256, signatures SHA-256, and every certificate is valid for
``VALIDITY_DAYS`` from the moment it is made. A server certificate carries a
subjectAltName (its DNS names and IP addresses: verifying clients such as
``mariadb --ssl-verify-server-cert`` or curl match those, not the common name), the
serverAuth extended key usage, and ``CA:FALSE``.

Each function writes ``<stem>.crt`` and ``<stem>.key`` into the directory it is given and
refuses to overwrite an existing file, so two certificates never share a path by accident.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

VALIDITY_DAYS = 3
_KEY_OPTIONS = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-sha256")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")
_DNS_NAME = re.compile(r"(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")


@dataclass(frozen=True)
class CertificateAuthority:
    """A self-signed CA certificate and its key, on disk."""

    name: str
    """The CA's common name."""
    cert_path: Path
    key_path: Path
    cert_pem: str
    """The CA certificate in PEM: what a client trusts (``--ssl-ca``, ``--cacert``)."""


@dataclass(frozen=True)
class Leaf:
    """A server certificate and its key, on disk and as PEM text."""

    common_name: str
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    cert_path: Path
    key_path: Path
    cert_pem: str
    key_pem: str
    issuer: CertificateAuthority | None
    """The CA that signed it; None for a self-signed certificate."""


def make_ca(directory: Path, name: str) -> CertificateAuthority:
    """A new CA named ``name``: ``ca-<name>.crt`` and ``ca-<name>.key`` in ``directory``."""
    _check_name("name", name)
    cert_path, key_path = _fresh_paths(Path(directory), f"ca-{name}")
    config = _write_config(cert_path.with_suffix(".cnf"), name, (
        "basicConstraints = critical, CA:TRUE, pathlen:0",
        "keyUsage = critical, keyCertSign, cRLSign",
        "subjectKeyIdentifier = hash",
    ), alt_names=())
    _openssl("req", "-x509", "-new", *_KEY_OPTIONS, "-days", str(VALIDITY_DAYS), "-set_serial", _serial(),
             "-config", str(config), "-extensions", "extensions", "-keyout", str(key_path), "-out", str(cert_path))
    config.unlink()
    key_path.chmod(0o600)
    return CertificateAuthority(name=name, cert_path=cert_path, key_path=key_path, cert_pem=cert_path.read_text())


def issue(ca: CertificateAuthority, directory: Path, common_name: str, *,
          dns_names: Sequence[str] = (), ip_addresses: Sequence[str] = ()) -> Leaf:
    """A server certificate for ``dns_names`` and ``ip_addresses`` signed by ``ca``.

    Written as ``<ca name>-<common name>.crt`` and ``.key`` in ``directory``; at least one DNS
    name or IP address is required.
    """
    stem = f"{ca.name}-{common_name}"
    return _leaf(Path(directory), stem, common_name, dns_names, ip_addresses, ca)


def self_signed(directory: Path, common_name: str, *,
                dns_names: Sequence[str] = (), ip_addresses: Sequence[str] = ()) -> Leaf:
    """A server certificate for ``dns_names`` and ``ip_addresses`` that signs itself (no CA vouches for it).

    Written as ``self-signed-<common name>.crt`` and ``.key`` in ``directory``; at least one DNS
    name or IP address is required.
    """
    return _leaf(Path(directory), f"self-signed-{common_name}", common_name, dns_names, ip_addresses, None)


def _leaf(directory: Path, stem: str, common_name: str, dns_names: Sequence[str], ip_addresses: Sequence[str],
          ca: CertificateAuthority | None) -> Leaf:
    _check_name("common_name", common_name)
    if isinstance(dns_names, str) or isinstance(ip_addresses, str):
        raise TypeError("dns_names and ip_addresses are sequences of strings, not one string")
    dns_names, ip_addresses = tuple(dns_names), tuple(ip_addresses)
    bad_dns = [name for name in dns_names if not _DNS_NAME.fullmatch(name)]
    if bad_dns:
        raise ValueError(f"dns_names must be DNS names. Got: {bad_dns}")
    for address in ip_addresses:
        ipaddress.ip_address(address)
    if not dns_names and not ip_addresses:
        raise ValueError(f"a server certificate needs a DNS name or an IP address to be verified. Got neither for "
                         f"{common_name!r}")
    cert_path, key_path = _fresh_paths(directory, stem)
    alt_names = tuple(f"DNS.{index} = {name}" for index, name in enumerate(dns_names, 1)) + tuple(
        f"IP.{index} = {address}" for index, address in enumerate(ip_addresses, 1))
    config = _write_config(cert_path.with_suffix(".cnf"), common_name, (
        "basicConstraints = critical, CA:FALSE",
        "keyUsage = critical, digitalSignature",
        "extendedKeyUsage = serverAuth",
        "subjectKeyIdentifier = hash",
        "subjectAltName = @alt_names",
    ), alt_names=alt_names)
    validity = ("-days", str(VALIDITY_DAYS), "-set_serial", _serial())
    if ca is None:
        _openssl("req", "-x509", "-new", *_KEY_OPTIONS, *validity, "-config", str(config),
                 "-extensions", "extensions", "-keyout", str(key_path), "-out", str(cert_path))
    else:
        request = cert_path.with_suffix(".csr")
        _openssl("req", "-new", *_KEY_OPTIONS, "-config", str(config), "-keyout", str(key_path), "-out", str(request))
        _openssl("x509", "-req", "-in", str(request), "-CA", str(ca.cert_path), "-CAkey", str(ca.key_path),
                 *validity, "-sha256", "-extfile", str(config), "-extensions", "extensions", "-out", str(cert_path))
        request.unlink()
    config.unlink()
    key_path.chmod(0o600)
    return Leaf(common_name=common_name, dns_names=dns_names, ip_addresses=ip_addresses, cert_path=cert_path,
                key_path=key_path, cert_pem=cert_path.read_text(), key_pem=key_path.read_text(), issuer=ca)


def _check_name(field: str, value: str) -> None:
    if not _NAME.fullmatch(value):
        raise ValueError(f"{field} must be 1 to 64 letters, digits, spaces, '.', '_' or '-'. Got: {value!r}")


def _fresh_paths(directory: Path, stem: str) -> tuple[Path, Path]:
    stem = stem.replace(" ", "_")
    directory.mkdir(parents=True, exist_ok=True)
    paths = directory / f"{stem}.crt", directory / f"{stem}.key"
    existing = [str(path) for path in paths if path.exists()]
    if existing:
        raise FileExistsError(f"refusing to overwrite {', '.join(existing)}")
    return paths


def _write_config(path: Path, common_name: str, extensions: Sequence[str], *, alt_names: Sequence[str]) -> Path:
    """An openssl config of our own, so the host's openssl.cnf adds no extension of its own."""
    sections = [
        "[req]", "prompt = no", "distinguished_name = subject", "",
        "[subject]", f"CN = {common_name}", "",
        "[extensions]", *extensions, "",
    ]
    if alt_names:
        sections += ["[alt_names]", *alt_names, ""]
    path.write_text("\n".join(sections))
    return path


def _serial() -> str:
    return str(secrets.randbits(127) | 1)


def _openssl(*arguments: str) -> None:
    result = subprocess.run(["openssl", *arguments], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(arguments)} failed ({result.returncode}):\n{result.stderr}")
