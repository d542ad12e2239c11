from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.history_response import HistoryResponse
from ...models.quota_body import QuotaBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    uuid: str,
    *,
    conversation: UUID | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_conversation: str | Unset = UNSET
    if not isinstance(conversation, Unset):
        json_conversation = str(conversation)
    params["conversation"] = json_conversation

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/chat/{uuid}/history/".format(
            uuid=quote(str(uuid), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | HistoryResponse | QuotaBody | None:
    if response.status_code == 200:
        response_200 = HistoryResponse.from_dict(response.json())

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
) -> Response[ErrorBody | HistoryResponse | QuotaBody]:
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
    conversation: UUID | Unset = UNSET,
) -> Response[ErrorBody | HistoryResponse | QuotaBody]:
    """Returns the caller's transcript of a job: user and assistant messages, in order.

     Every conversation of the caller about the job, or only one with `?conversation=`.
    Same access rules as asking: an account token (`401`), the caller's job (`404`), done
    (`409`).

    Args:
        uuid (str):
        conversation (UUID | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | HistoryResponse | QuotaBody]
    """

    kwargs = _get_kwargs(
        uuid=uuid,
        conversation=conversation,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    uuid: str,
    *,
    client: AuthenticatedClient,
    conversation: UUID | Unset = UNSET,
) -> ErrorBody | HistoryResponse | QuotaBody | None:
    """Returns the caller's transcript of a job: user and assistant messages, in order.

     Every conversation of the caller about the job, or only one with `?conversation=`.
    Same access rules as asking: an account token (`401`), the caller's job (`404`), done
    (`409`).

    Args:
        uuid (str):
        conversation (UUID | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | HistoryResponse | QuotaBody
    """

    return sync_detailed(
        uuid=uuid,
        client=client,
        conversation=conversation,
    ).parsed


async def asyncio_detailed(
    uuid: str,
    *,
    client: AuthenticatedClient,
    conversation: UUID | Unset = UNSET,
) -> Response[ErrorBody | HistoryResponse | QuotaBody]:
    """Returns the caller's transcript of a job: user and assistant messages, in order.

     Every conversation of the caller about the job, or only one with `?conversation=`.
    Same access rules as asking: an account token (`401`), the caller's job (`404`), done
    (`409`).

    Args:
        uuid (str):
        conversation (UUID | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | HistoryResponse | QuotaBody]
    """

    kwargs = _get_kwargs(
        uuid=uuid,
        conversation=conversation,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    uuid: str,
    *,
    client: AuthenticatedClient,
    conversation: UUID | Unset = UNSET,
) -> ErrorBody | HistoryResponse | QuotaBody | None:
    """Returns the caller's transcript of a job: user and assistant messages, in order.

     Every conversation of the caller about the job, or only one with `?conversation=`.
    Same access rules as asking: an account token (`401`), the caller's job (`404`), done
    (`409`).

    Args:
        uuid (str):
        conversation (UUID | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | HistoryResponse | QuotaBody
    """

    return (
        await asyncio_detailed(
            uuid=uuid,
            client=client,
            conversation=conversation,
        )
    ).parsed
