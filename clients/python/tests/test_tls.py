"""The client over TLS and mutual TLS, against the real server started with certificates made here
(a throwaway CA, a server certificate for localhost, and client certificates)."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import pathlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import Server
from provenance_client import AsyncRegistry, Registry, pb
from provenance_client.errors import RegistryError, Unauthenticated


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class Authority:
    """A certificate authority that writes PEM files into `directory`."""

    def __init__(self, directory: pathlib.Path, name: str) -> None:
        self.directory = directory
        self.name = name
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )
        self.pem = self._write(f"{name}-ca.pem", self.certificate.public_bytes(serialization.Encoding.PEM))

    def _write(self, file: str, data: bytes) -> pathlib.Path:
        path = self.directory / file
        path.write_bytes(data)
        path.chmod(0o600)
        return path

    def issue(self, file: str, common_name: str, *, server: bool) -> tuple[pathlib.Path, pathlib.Path, str]:
        """Certificate and key files, and the certificate's SHA-256 (DER) in hex."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
            ).add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        else:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
            )
        certificate = builder.sign(self.key, hashes.SHA256())
        cert_path = self._write(f"{file}.pem", certificate.public_bytes(serialization.Encoding.PEM))
        key_path = self._write(
            f"{file}.key",
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
        fingerprint = hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
        return cert_path, key_path, fingerprint


@pytest.fixture(scope="module")
def mutual(tmp_path_factory):
    """A server with TLS and mutual TLS; the buyer's procurement certificate maps to its auditor."""
    directory = tmp_path_factory.mktemp("tls")
    server_ca = Authority(directory, "server")
    client_ca = Authority(directory, "client")
    server_cert, server_key, _ = server_ca.issue("server", "localhost", server=True)
    procurement = client_ca.issue("procurement", "procurement", server=False)
    unlisted = client_ca.issue("unlisted", "unlisted", server=False)

    def configure(server: Server) -> list[str]:
        identities = directory / "clients.toml"
        identities.write_text(
            "[[client]]\n"
            'name = "procurement"\n'
            f'sha256 = "{procurement[2]}"\n'
            f'organization = "{server.buyer_org}"\n'
            'role = "auditor"\n'
        )
        return [
            "--tls-cert",
            str(server_cert),
            "--tls-key",
            str(server_key),
            "--tls-client-ca",
            str(client_ca.pem),
            "--tls-client-identities",
            str(identities),
        ]

    server = Server(configure)
    port = server.address.rsplit(":", 1)[1]
    yield {
        "server": server,
        "url": f"https://localhost:{port}",
        "server_ca": server_ca.pem,
        "procurement": procurement,
        "unlisted": unlisted,
    }
    server.stop()


def test_a_mapped_client_certificate_reads_as_its_organisation_without_a_token(mutual):
    cert, key, _ = mutual["procurement"]
    with Registry(mutual["url"], root_certificates=mutual["server_ca"], client_cert=cert, client_key=key) as registry:
        jwks = registry.jwks()
        assert any(k["use"] == "sig" for k in jwks["keys"])
        # An authenticated read: the buyer's own organisation, through its auditor certificate.
        organization = registry.call(
            registry.stubs.organizations.GetOrganization,
            pb.organization_pb2.GetOrganizationRequest(id=mutual["server"].buyer_org),
        )
        assert organization.name == "Buyer Models Inc"


def test_an_unlisted_certificate_is_unauthenticated_and_an_untrusted_server_is_refused(mutual):
    cert, key, _ = mutual["unlisted"]
    with Registry(mutual["url"], root_certificates=mutual["server_ca"], client_cert=cert, client_key=key) as registry:
        with pytest.raises(Unauthenticated, match="not mapped"):
            registry.call(
                registry.stubs.organizations.GetOrganization,
                pb.organization_pb2.GetOrganizationRequest(id=mutual["server"].buyer_org),
            )
    # Trusting another CA than the server's: the connection fails with a clear error.
    other = Authority(mutual["server_ca"].parent, "other")
    procurement_cert, procurement_key, _ = mutual["procurement"]
    with Registry(
        mutual["url"], root_certificates=other.pem, client_cert=procurement_cert, client_key=procurement_key, timeout=5
    ) as registry:
        with pytest.raises(RegistryError):
            registry.jwks()


def test_over_tls_the_token_travels_as_call_credentials_sync_and_async(mutual):
    """An unlisted client certificate connects but authenticates nothing: the buyer's admin token,
    sent by grpc.access_token_call_credentials, decides."""
    cert, key, _ = mutual["unlisted"]
    server = mutual["server"]
    tls = {"root_certificates": mutual["server_ca"], "client_cert": cert, "client_key": key}
    request = pb.organization_pb2.GetOrganizationRequest(id=server.buyer_org)
    with Registry(mutual["url"], token=server.buyer_admin, **tls) as registry:
        assert registry.metadata == ()  # no explicit metadata over TLS
        assert "credentials" in registry.call_options()
        assert registry.call(registry.stubs.organizations.GetOrganization, request).name == "Buyer Models Inc"

    async def read() -> str:
        async with AsyncRegistry(mutual["url"], token=server.buyer_admin, **tls) as registry:
            assert (await registry.jwks())["keys"]  # sent without the token, and still answered
            answer = await registry.call(registry.stubs.organizations.GetOrganization, request)
            return str(answer.name)

    assert asyncio.run(read()) == "Buyer Models Inc"

    async def refused() -> None:
        async with AsyncRegistry(mutual["url"], token="not-a-token", **tls) as registry:
            await registry.call(registry.stubs.organizations.GetOrganization, request)

    with pytest.raises(Unauthenticated):
        asyncio.run(refused())
