from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.format_ import Format
from ...models.quota_body import QuotaBody
from ...types import UNSET, File, Response


def _get_kwargs(
    uuid: str,
    *,
    format_: Format,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_format_ = format_.value
    params["format"] = json_format_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/ocr/{uuid}/download/".format(
            uuid=quote(str(uuid), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | File | QuotaBody | None:
    if response.status_code == 200:
        response_200 = File(payload=BytesIO(response.content))

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
) -> Response[ErrorBody | File | QuotaBody]:
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
    format_: Format,
) -> Response[ErrorBody | File | QuotaBody]:
    """Downloads a finished job as a file.

     `txt` plain text (pages separated by form feeds), `md` Markdown, `docx` a Word document,
    `pdf` a searchable PDF (the page images with an invisible, correctly placed text layer),
    `csv` the tables found by the `extract-tables` tool (one after another, a blank line
    between) or, without tables, one row per block (`page,x0,y0,x1,y1,confidence,text`),
    `json` the job object, `hocr` hOCR 1.2, `alto` ALTO v4 XML. The file is named after the
    upload (`Content-Disposition`). `409` until the job is `done`.

    Args:
        uuid (str):
        format_ (Format): A download format, as named in `?format=`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | File | QuotaBody]
    """

    kwargs = _get_kwargs(
        uuid=uuid,
        format_=format_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    uuid: str,
    *,
    client: AuthenticatedClient,
    format_: Format,
) -> ErrorBody | File | QuotaBody | None:
    """Downloads a finished job as a file.

     `txt` plain text (pages separated by form feeds), `md` Markdown, `docx` a Word document,
    `pdf` a searchable PDF (the page images with an invisible, correctly placed text layer),
    `csv` the tables found by the `extract-tables` tool (one after another, a blank line
    between) or, without tables, one row per block (`page,x0,y0,x1,y1,confidence,text`),
    `json` the job object, `hocr` hOCR 1.2, `alto` ALTO v4 XML. The file is named after the
    upload (`Content-Disposition`). `409` until the job is `done`.

    Args:
        uuid (str):
        format_ (Format): A download format, as named in `?format=`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | File | QuotaBody
    """

    return sync_detailed(
        uuid=uuid,
        client=client,
        format_=format_,
    ).parsed


async def asyncio_detailed(
    uuid: str,
    *,
    client: AuthenticatedClient,
    format_: Format,
) -> Response[ErrorBody | File | QuotaBody]:
    """Downloads a finished job as a file.

     `txt` plain text (pages separated by form feeds), `md` Markdown, `docx` a Word document,
    `pdf` a searchable PDF (the page images with an invisible, correctly placed text layer),
    `csv` the tables found by the `extract-tables` tool (one after another, a blank line
    between) or, without tables, one row per block (`page,x0,y0,x1,y1,confidence,text`),
    `json` the job object, `hocr` hOCR 1.2, `alto` ALTO v4 XML. The file is named after the
    upload (`Content-Disposition`). `409` until the job is `done`.

    Args:
        uuid (str):
        format_ (Format): A download format, as named in `?format=`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | File | QuotaBody]
    """

    kwargs = _get_kwargs(
        uuid=uuid,
        format_=format_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    uuid: str,
    *,
    client: AuthenticatedClient,
    format_: Format,
) -> ErrorBody | File | QuotaBody | None:
    """Downloads a finished job as a file.

     `txt` plain text (pages separated by form feeds), `md` Markdown, `docx` a Word document,
    `pdf` a searchable PDF (the page images with an invisible, correctly placed text layer),
    `csv` the tables found by the `extract-tables` tool (one after another, a blank line
    between) or, without tables, one row per block (`page,x0,y0,x1,y1,confidence,text`),
    `json` the job object, `hocr` hOCR 1.2, `alto` ALTO v4 XML. The file is named after the
    upload (`Content-Disposition`). `409` until the job is `done`.

    Args:
        uuid (str):
        format_ (Format): A download format, as named in `?format=`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | File | QuotaBody
    """

    return (
        await asyncio_detailed(
            uuid=uuid,
            client=client,
            format_=format_,
        )
    ).parsed
