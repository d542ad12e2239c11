from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ProgressEvent")


@_attrs_define
class ProgressEvent:
    """A live progress update.

    Attributes:
        seq (int): Position of the event in the job's stream (also the SSE `id`, for `Last-Event-ID`).
        kind (str): The event kind (also the SSE `event` name).
        pages_done (int): Pages recognised so far.
        page_count (int): Pages in the file.
        status (str): Job status after this event.
        page_index (int | None | Unset): The page just recognised (`page_recognized` only), 0-based.
        error (None | str | Unset): Why the job failed (`failed` only).
    """

    seq: int
    kind: str
    pages_done: int
    page_count: int
    status: str
    page_index: int | None | Unset = UNSET
    error: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        seq = self.seq

        kind = self.kind

        pages_done = self.pages_done

        page_count = self.page_count

        status = self.status

        page_index: int | None | Unset
        if isinstance(self.page_index, Unset):
            page_index = UNSET
        else:
            page_index = self.page_index

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "seq": seq,
                "kind": kind,
                "pages_done": pages_done,
                "page_count": page_count,
                "status": status,
            }
        )
        if page_index is not UNSET:
            field_dict["page_index"] = page_index
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        seq = d.pop("seq")

        kind = d.pop("kind")

        pages_done = d.pop("pages_done")

        page_count = d.pop("page_count")

        status = d.pop("status")

        def _parse_page_index(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        page_index = _parse_page_index(d.pop("page_index", UNSET))

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        progress_event = cls(
            seq=seq,
            kind=kind,
            pages_done=pages_done,
            page_count=page_count,
            status=status,
            page_index=page_index,
            error=error,
        )

        progress_event.additional_properties = d
        return progress_event

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
