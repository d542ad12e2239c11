from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="StreamJobEventsResponse200")


@_attrs_define
class StreamJobEventsResponse200:
    """One server-sent event; its `data` is a JSON object.

    Attributes:
        data (str): A live progress update, as a JSON object:

            - `seq` (integer): Position of the event in the job's stream (also the SSE `id`, for `Last-Event-ID`).
            - `kind` (string): The event kind (also the SSE `event` name).
            - `page_index` (integer, absent or null when it does not apply): The page just recognised (`page_recognized`
            only), 0-based.
            - `pages_done` (integer): Pages recognised so far.
            - `page_count` (integer): Pages in the file.
            - `status` (string): Job status after this event.
            - `error` (string, absent or null when it does not apply): Why the job failed (`failed` only).
        event (str | Unset):
        id (str | Unset): The event's sequence number (send it back as `Last-Event-ID` to resume).
        retry (int | Unset):
    """

    data: str
    event: str | Unset = UNSET
    id: str | Unset = UNSET
    retry: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = self.data

        event = self.event

        id = self.id

        retry = self.retry

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
            }
        )
        if event is not UNSET:
            field_dict["event"] = event
        if id is not UNSET:
            field_dict["id"] = id
        if retry is not UNSET:
            field_dict["retry"] = retry

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        data = d.pop("data")

        event = d.pop("event", UNSET)

        id = d.pop("id", UNSET)

        retry = d.pop("retry", UNSET)

        stream_job_events_response_200 = cls(
            data=data,
            event=event,
            id=id,
            retry=retry,
        )

        stream_job_events_response_200.additional_properties = d
        return stream_job_events_response_200

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
