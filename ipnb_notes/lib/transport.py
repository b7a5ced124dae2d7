"""CRY-01: in production every hop to the database and the broker is encrypted, or does not
leave the machine. A host on the loopback interface or a Unix socket needs no TLS; anything
else must verify the server's certificate (libpq `sslmode=verify-full`, Redis `rediss://`)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def is_local(host: str | None) -> bool:
    return not host or host.startswith("/") or host.lower() in LOOPBACK


def database_problem(host: str | None, options: dict) -> str | None:
    if is_local(host):
        return None
    if options.get("sslmode") != "verify-full":
        return (
            f"the database at {host} is reached over the network without "
            "sslmode=verify-full: add ?sslmode=verify-full&sslrootcert=<CA file> to "
            "DATABASE_URL, or connect through a Unix socket (?host=/var/run/postgresql)"
        )
    return None


def broker_problem(url: str | None, what: str = "CELERY_BROKER_URL") -> str | None:
    """The broker (or the Redis cache, which holds lockout counters and used TOTP codes)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme in {"rediss", "redis+socket", "unix", "amqps"}:
        if parts.scheme == "rediss":
            certs = parse_qs(parts.query).get("ssl_cert_reqs", ["required"])[0]
            if certs.lower() not in {"required", "cert_required"}:
                return f"{what} must verify the server's certificate (ssl_cert_reqs=required)"
        return None
    if is_local(parts.hostname):
        return None
    return (
        f"{what}: {parts.hostname} is reached over the network without TLS: use "
        "rediss://...?ssl_cert_reqs=required, or a Unix socket (redis+socket:///path for "
        "the broker, unix:///path for the cache)"
    )
