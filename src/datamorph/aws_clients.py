"""boto3 plumbing shared by the S3 artifact store (:mod:`datamorph.artifacts_s3`), the DynamoDB log sink
(:mod:`datamorph.store_dynamodb`) and the Lambda handlers (:mod:`datamorph.aws.handlers`).

Needs the aws extra (boto3). Clients follow the usual AWS configuration: credentials and region from
the environment, the shared config files or the IAM role, and ``AWS_ENDPOINT_URL`` (or
``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL_DYNAMODB``) for an S3- or DynamoDB-compatible server.
Every error from AWS is turned into a :class:`~datamorph.errors.DataMorphError` with a one-line message
naming what was being done and to what (bucket and key, table and run), never a botocore traceback.
"""

from __future__ import annotations

from typing import Any

from datamorph.errors import ConfigError, DataMorphError

AWS_EXTRA_HINT = 'pip install "datamorph[aws]"'
#: attempts per call in botocore's standard retry mode (throttling, 5xx and connection errors, with backoff)
MAX_ATTEMPTS = 5

_ACCESS_DENIED = frozenset({
    "AccessDenied", "AccessDeniedException", "Forbidden", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch",
    "UnrecognizedClientException", "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId",
    "InvalidToken", "AllAccessDisabled", "AccountProblem",
})  # fmt: skip


def require_boto3() -> None:
    """ConfigError (with the install hint) when boto3 is not installed."""
    try:
        import boto3  # noqa: F401
    except ImportError:
        raise ConfigError("AWS support needs boto3, which is not installed", hint=AWS_EXTRA_HINT) from None


def aws_client(service: str, *, max_attempts: int = MAX_ATTEMPTS, **kwargs: Any) -> Any:
    """A boto3 client for ``service`` with standard retries and bounded timeouts.

    Each call makes its own session, so clients may be created from several threads at once (the
    clients themselves are thread-safe). ``kwargs`` go to ``Session.client`` (e.g. ``region_name``).
    """
    require_boto3()
    import boto3
    from botocore.config import Config
    from botocore.exceptions import NoRegionError

    config = Config(
        retries={"mode": "standard", "max_attempts": max_attempts}, connect_timeout=10, read_timeout=60
    )
    try:
        return boto3.session.Session().client(service, config=config, **kwargs)
    except NoRegionError:
        raise ConfigError(
            f"no AWS region configured for {service}", hint="set AWS_DEFAULT_REGION (e.g. us-east-1)"
        ) from None


def aws_exceptions() -> tuple[type[Exception], ...]:
    """The exceptions a boto3 call raises for AWS-side and transport failures."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError (``NoSuchKey``, ``ResourceNotFoundException``...), else ''."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    return str((response.get("Error") or {}).get("Code") or "")


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def aws_error(
    exc: Exception,
    *,
    service: str,
    action: str,
    resource: str,
    permission: str,
    fallback: type[DataMorphError] = DataMorphError,
    **context: Any,
) -> DataMorphError:
    """The DataMorphError to raise (``from None``) for a boto3 failure while doing ``action`` on ``resource``.

    Missing credentials or region, an unreachable endpoint and access denied are ConfigErrors with a hint;
    anything else is a ``fallback`` naming the AWS error code and message.
    """
    from botocore import exceptions as bx

    ctx = {"service": service, "resource": resource, **context}
    where = f"{action} {resource}"
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError, bx.CredentialRetrievalError)):
        return ConfigError(
            f"no usable AWS credentials to {where}: {_one_line(exc)}",
            hint="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an IAM role",
            **ctx,
        )
    if isinstance(exc, bx.NoRegionError):
        return ConfigError(f"no AWS region configured to {where}", hint="set AWS_DEFAULT_REGION", **ctx)
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ConnectionClosedError,
                        bx.ReadTimeoutError, bx.ProxyConnectionError, bx.SSLError)):  # fmt: skip
        return ConfigError(
            f"cannot reach {service} to {where}: {_one_line(exc)}",
            hint="check the network, the region and AWS_ENDPOINT_URL",
            **ctx,
        )
    code = error_code(exc)
    if code:
        err = exc.response.get("Error") or {}  # type: ignore[attr-defined]
        message = _one_line(err.get("Message") or "")
        status = (exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode")  # type: ignore[attr-defined]
        if code in _ACCESS_DENIED or status == 403:
            return ConfigError(
                f"access denied: cannot {where} ({code}{': ' + message if message else ''})",
                hint=f"the AWS identity in use needs the {permission} permission on it",
                error_code=code,
                **ctx,
            )
        return fallback(
            f"{service} could not {where}: {code}{': ' + message if message else ''}", error_code=code, **ctx
        )
    return fallback(f"{service} could not {where}: {_one_line(exc) or type(exc).__name__}", **ctx)
