from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.quota_body import QuotaBody
from ...models.stream_job_events_response_200 import StreamJobEventsResponse200
from ...types import UNSET, Response, Unset


def _get_kwargs(
    uuid: str,
    *,
    last_event_id: int | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(last_event_id, Unset):
        headers["Last-Event-ID"] = str(last_event_id)

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/ocr/{uuid}/events/stream/".format(
            uuid=quote(str(uuid), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | QuotaBody | StreamJobEventsResponse200 | None:
    if response.status_code == 200:
        response_200 = StreamJobEventsResponse200.from_dict(response.text)

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
) -> Response[ErrorBody | QuotaBody | StreamJobEventsResponse200]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    uuid: str,
    *,
    client: AuthenticatedClient,
    last_event_id: int | Unset = UNSET,
) -> Response[ErrorBody | QuotaBody | StreamJobEventsResponse200]:
    """Streams the job's progress as Server-Sent Events: one event per recorded step
    (`page_recognized` with pages done / total), ending after `done` or `failed`. Send
    `Last-Event-ID` (as browsers do on reconnect) to resume after an event.

    Args:
        uuid (str):
        last_event_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | QuotaBody | StreamJobEventsResponse200]
    """

    kwargs = _get_kwargs(
        uuid=uuid,
        last_event_id=last_event_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    uuid: str,
    *,
    client: AuthenticatedClient,
    last_event_id: int | Unset = UNSET,
) -> ErrorBody | QuotaBody | StreamJobEventsResponse200 | None:
    """Streams the job's progress as Server-Sent Events: one event per recorded step
    (`page_recognized` with pages done / total), ending after `done` or `failed`. Send
    `Last-Event-ID` (as browsers do on reconnect) to resume after an event.

    Args:
        uuid (str):
        last_event_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | QuotaBody | StreamJobEventsResponse200
    """

    return sync_detailed(
        uuid=uuid,
        client=client,
        last_event_id=last_event_id,
    ).parsed


async def asyncio_detailed(
    uuid: str,
    *,
    client: AuthenticatedClient,
    last_event_id: int | Unset = UNSET,
) -> Response[ErrorBody | QuotaBody | StreamJobEventsResponse200]:
    """Streams the job's progress as Server-Sent Events: one event per recorded step
    (`page_recognized` with pages done / total), ending after `done` or `failed`. Send
    `Last-Event-ID` (as browsers do on reconnect) to resume after an event.

    Args:
        uuid (str):
        last_event_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | QuotaBody | StreamJobEventsResponse200]
    """

    kwargs = _get_kwargs(
        uuid=uuid,
        last_event_id=last_event_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    uuid: str,
    *,
    client: AuthenticatedClient,
    last_event_id: int | Unset = UNSET,
) -> ErrorBody | QuotaBody | StreamJobEventsResponse200 | None:
    """Streams the job's progress as Server-Sent Events: one event per recorded step
    (`page_recognized` with pages done / total), ending after `done` or `failed`. Send
    `Last-Event-ID` (as browsers do on reconnect) to resume after an event.

    Args:
        uuid (str):
        last_event_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | QuotaBody | StreamJobEventsResponse200
    """

    return (
        await asyncio_detailed(
            uuid=uuid,
            client=client,
            last_event_id=last_event_id,
        )
    ).parsed
