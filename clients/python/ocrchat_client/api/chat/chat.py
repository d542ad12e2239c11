from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.chat_request import ChatRequest
from ...models.chat_response import ChatResponse
from ...models.error_body import ErrorBody
from ...models.quota_body import QuotaBody
from ...types import Response


def _get_kwargs(
    uuid: str,
    *,
    body: ChatRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/chat/{uuid}/".format(
            uuid=quote(str(uuid), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json; charset=utf-8"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ChatResponse | ErrorBody | QuotaBody | None:
    if response.status_code == 200:
        response_200 = ChatResponse.from_dict(response.json())

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
) -> Response[ChatResponse | ErrorBody | QuotaBody]:
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
    body: ChatRequest,
) -> Response[ChatResponse | ErrorBody | QuotaBody]:
    """Asks a question about a finished job.

     The answer is grounded only in the job's recognised text: the service retrieves the best
    matching passages, asks the configured model with only those, and keeps only the quotes
    that stand verbatim (after whitespace and case normalisation) on the page they cite. With
    no verified quote, or nothing relevant in the document, the answer says the document does
    not contain it and cites nothing. Without a model (or when it fails twice) the answer quotes
    the best passages; `metadata.fallback` says why.

    Requires an account token (`401` anonymously); the job must be the caller's (`404`) and
    done (`409`). Pass `conversation` from an earlier answer to continue a conversation.

    Args:
        uuid (str):
        body (ChatRequest): A question about the job.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ChatResponse | ErrorBody | QuotaBody]
    """

    kwargs = _get_kwargs(
        uuid=uuid,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    uuid: str,
    *,
    client: AuthenticatedClient,
    body: ChatRequest,
) -> ChatResponse | ErrorBody | QuotaBody | None:
    """Asks a question about a finished job.

     The answer is grounded only in the job's recognised text: the service retrieves the best
    matching passages, asks the configured model with only those, and keeps only the quotes
    that stand verbatim (after whitespace and case normalisation) on the page they cite. With
    no verified quote, or nothing relevant in the document, the answer says the document does
    not contain it and cites nothing. Without a model (or when it fails twice) the answer quotes
    the best passages; `metadata.fallback` says why.

    Requires an account token (`401` anonymously); the job must be the caller's (`404`) and
    done (`409`). Pass `conversation` from an earlier answer to continue a conversation.

    Args:
        uuid (str):
        body (ChatRequest): A question about the job.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ChatResponse | ErrorBody | QuotaBody
    """

    return sync_detailed(
        uuid=uuid,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    uuid: str,
    *,
    client: AuthenticatedClient,
    body: ChatRequest,
) -> Response[ChatResponse | ErrorBody | QuotaBody]:
    """Asks a question about a finished job.

     The answer is grounded only in the job's recognised text: the service retrieves the best
    matching passages, asks the configured model with only those, and keeps only the quotes
    that stand verbatim (after whitespace and case normalisation) on the page they cite. With
    no verified quote, or nothing relevant in the document, the answer says the document does
    not contain it and cites nothing. Without a model (or when it fails twice) the answer quotes
    the best passages; `metadata.fallback` says why.

    Requires an account token (`401` anonymously); the job must be the caller's (`404`) and
    done (`409`). Pass `conversation` from an earlier answer to continue a conversation.

    Args:
        uuid (str):
        body (ChatRequest): A question about the job.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ChatResponse | ErrorBody | QuotaBody]
    """

    kwargs = _get_kwargs(
        uuid=uuid,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    uuid: str,
    *,
    client: AuthenticatedClient,
    body: ChatRequest,
) -> ChatResponse | ErrorBody | QuotaBody | None:
    """Asks a question about a finished job.

     The answer is grounded only in the job's recognised text: the service retrieves the best
    matching passages, asks the configured model with only those, and keeps only the quotes
    that stand verbatim (after whitespace and case normalisation) on the page they cite. With
    no verified quote, or nothing relevant in the document, the answer says the document does
    not contain it and cites nothing. Without a model (or when it fails twice) the answer quotes
    the best passages; `metadata.fallback` says why.

    Requires an account token (`401` anonymously); the job must be the caller's (`404`) and
    done (`409`). Pass `conversation` from an earlier answer to continue a conversation.

    Args:
        uuid (str):
        body (ChatRequest): A question about the job.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ChatResponse | ErrorBody | QuotaBody
    """

    return (
        await asyncio_detailed(
            uuid=uuid,
            client=client,
            body=body,
        )
    ).parsed
