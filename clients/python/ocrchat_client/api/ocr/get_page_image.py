from http import HTTPStatus
from io import BytesIO
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.quota_body import QuotaBody
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    uuid: str,
    n: str,
    *,
    if_none_match: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_none_match, Unset):
        headers["If-None-Match"] = if_none_match

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/ocr/{uuid}/pages/{n}/image/".format(
            uuid=quote(str(uuid), safe=""),
            n=quote(str(n), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | ErrorBody | File | QuotaBody | None:
    if response.status_code == 200:
        response_200 = File(payload=BytesIO(response.content))

        return response_200

    if response.status_code == 304:
        response_304 = cast(Any, None)
        return response_304

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
) -> Response[Any | ErrorBody | File | QuotaBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    uuid: str,
    n: str,
    *,
    client: AuthenticatedClient,
    if_none_match: str | Unset = UNSET,
) -> Response[Any | ErrorBody | File | QuotaBody]:
    """Returns the stored image of one page: the upright page the boxes of its words refer to
    (`image/jpeg`, or `image/png`), at the page's `width` × `height` pixels.

     `n` is the page's 0-based `index` in the job object. `404` for another caller's job, a
    page without a stored image, or an erased job. Cacheable by the browser (`ETag`,
    `private`).

    Args:
        uuid (str):
        n (str):
        if_none_match (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorBody | File | QuotaBody]
    """

    kwargs = _get_kwargs(
        uuid=uuid,
        n=n,
        if_none_match=if_none_match,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    uuid: str,
    n: str,
    *,
    client: AuthenticatedClient,
    if_none_match: str | Unset = UNSET,
) -> Any | ErrorBody | File | QuotaBody | None:
    """Returns the stored image of one page: the upright page the boxes of its words refer to
    (`image/jpeg`, or `image/png`), at the page's `width` × `height` pixels.

     `n` is the page's 0-based `index` in the job object. `404` for another caller's job, a
    page without a stored image, or an erased job. Cacheable by the browser (`ETag`,
    `private`).

    Args:
        uuid (str):
        n (str):
        if_none_match (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorBody | File | QuotaBody
    """

    return sync_detailed(
        uuid=uuid,
        n=n,
        client=client,
        if_none_match=if_none_match,
    ).parsed


async def asyncio_detailed(
    uuid: str,
    n: str,
    *,
    client: AuthenticatedClient,
    if_none_match: str | Unset = UNSET,
) -> Response[Any | ErrorBody | File | QuotaBody]:
    """Returns the stored image of one page: the upright page the boxes of its words refer to
    (`image/jpeg`, or `image/png`), at the page's `width` × `height` pixels.

     `n` is the page's 0-based `index` in the job object. `404` for another caller's job, a
    page without a stored image, or an erased job. Cacheable by the browser (`ETag`,
    `private`).

    Args:
        uuid (str):
        n (str):
        if_none_match (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorBody | File | QuotaBody]
    """

    kwargs = _get_kwargs(
        uuid=uuid,
        n=n,
        if_none_match=if_none_match,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    uuid: str,
    n: str,
    *,
    client: AuthenticatedClient,
    if_none_match: str | Unset = UNSET,
) -> Any | ErrorBody | File | QuotaBody | None:
    """Returns the stored image of one page: the upright page the boxes of its words refer to
    (`image/jpeg`, or `image/png`), at the page's `width` × `height` pixels.

     `n` is the page's 0-based `index` in the job object. `404` for another caller's job, a
    page without a stored image, or an erased job. Cacheable by the browser (`ETag`,
    `private`).

    Args:
        uuid (str):
        n (str):
        if_none_match (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorBody | File | QuotaBody
    """

    return (
        await asyncio_detailed(
            uuid=uuid,
            n=n,
            client=client,
            if_none_match=if_none_match,
        )
    ).parsed
