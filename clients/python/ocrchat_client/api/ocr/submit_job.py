from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.job_object import JobObject
from ...models.quota_body import QuotaBody
from ...models.submit_job_body import SubmitJobBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: SubmitJobBody,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/ocr/",
    }

    _kwargs["files"] = body.to_multipart()

    headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | JobObject | QuotaBody | None:
    if response.status_code == 200:
        response_200 = JobObject.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 402:
        response_402 = QuotaBody.from_dict(response.json())

        return response_402

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = ErrorBody.from_dict(response.json())

        return response_409

    if response.status_code == 415:
        response_415 = ErrorBody.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = ErrorBody.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = ErrorBody.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ErrorBody.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | JobObject | QuotaBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: SubmitJobBody,
    idempotency_key: str | Unset = UNSET,
) -> Response[ErrorBody | JobObject | QuotaBody]:
    """Submits a file for recognition.

     Files of up to 5 pages (configurable) are answered inline with the finished job
    (`status: done`); larger files at once with `pending`/`processing`, to be polled. An
    inline request that waits longer than the configured limit returns the job as it stands.

    Pages are metered: `402` when the caller's allowance or credits cannot cover the file, or
    the file has more pages than the plan allows per file (nothing is processed or charged).

    `Idempotency-Key`: the same key from the same caller within 24 hours returns the original
    job and charges nothing again; the same key with a different file or fields is `422`; a
    request whose key's first request is still being accepted waits briefly, then gets `409`.

    Args:
        idempotency_key (str | Unset):
        body (SubmitJobBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | JobObject | QuotaBody]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: SubmitJobBody,
    idempotency_key: str | Unset = UNSET,
) -> ErrorBody | JobObject | QuotaBody | None:
    """Submits a file for recognition.

     Files of up to 5 pages (configurable) are answered inline with the finished job
    (`status: done`); larger files at once with `pending`/`processing`, to be polled. An
    inline request that waits longer than the configured limit returns the job as it stands.

    Pages are metered: `402` when the caller's allowance or credits cannot cover the file, or
    the file has more pages than the plan allows per file (nothing is processed or charged).

    `Idempotency-Key`: the same key from the same caller within 24 hours returns the original
    job and charges nothing again; the same key with a different file or fields is `422`; a
    request whose key's first request is still being accepted waits briefly, then gets `409`.

    Args:
        idempotency_key (str | Unset):
        body (SubmitJobBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | JobObject | QuotaBody
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: SubmitJobBody,
    idempotency_key: str | Unset = UNSET,
) -> Response[ErrorBody | JobObject | QuotaBody]:
    """Submits a file for recognition.

     Files of up to 5 pages (configurable) are answered inline with the finished job
    (`status: done`); larger files at once with `pending`/`processing`, to be polled. An
    inline request that waits longer than the configured limit returns the job as it stands.

    Pages are metered: `402` when the caller's allowance or credits cannot cover the file, or
    the file has more pages than the plan allows per file (nothing is processed or charged).

    `Idempotency-Key`: the same key from the same caller within 24 hours returns the original
    job and charges nothing again; the same key with a different file or fields is `422`; a
    request whose key's first request is still being accepted waits briefly, then gets `409`.

    Args:
        idempotency_key (str | Unset):
        body (SubmitJobBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | JobObject | QuotaBody]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: SubmitJobBody,
    idempotency_key: str | Unset = UNSET,
) -> ErrorBody | JobObject | QuotaBody | None:
    """Submits a file for recognition.

     Files of up to 5 pages (configurable) are answered inline with the finished job
    (`status: done`); larger files at once with `pending`/`processing`, to be polled. An
    inline request that waits longer than the configured limit returns the job as it stands.

    Pages are metered: `402` when the caller's allowance or credits cannot cover the file, or
    the file has more pages than the plan allows per file (nothing is processed or charged).

    `Idempotency-Key`: the same key from the same caller within 24 hours returns the original
    job and charges nothing again; the same key with a different file or fields is `422`; a
    request whose key's first request is still being accepted waits briefly, then gets `409`.

    Args:
        idempotency_key (str | Unset):
        body (SubmitJobBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | JobObject | QuotaBody
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
