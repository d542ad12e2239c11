from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.history_message import HistoryMessage


T = TypeVar("T", bound="HistoryResponse")


@_attrs_define
class HistoryResponse:
    """The caller's transcript of a job.

    Attributes:
        uuid (UUID): The job.
        conversations (list[UUID]): The caller's conversations about the job, oldest first.
        messages (list[HistoryMessage]): Every message, user and assistant, in the order they were recorded.
    """

    uuid: UUID
    conversations: list[UUID]
    messages: list[HistoryMessage]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        uuid = str(self.uuid)

        conversations = []
        for conversations_item_data in self.conversations:
            conversations_item = str(conversations_item_data)
            conversations.append(conversations_item)

        messages = []
        for messages_item_data in self.messages:
            messages_item = messages_item_data.to_dict()
            messages.append(messages_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "uuid": uuid,
                "conversations": conversations,
                "messages": messages,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.history_message import HistoryMessage  # noqa: PLC0415

        d = dict(src_dict)
        uuid = UUID(d.pop("uuid"))

        conversations = []
        _conversations = d.pop("conversations")
        for conversations_item_data in _conversations:
            conversations_item = UUID(conversations_item_data)

            conversations.append(conversations_item)

        messages = []
        _messages = d.pop("messages")
        for messages_item_data in _messages:
            messages_item = HistoryMessage.from_dict(messages_item_data)

            messages.append(messages_item)

        history_response = cls(
            uuid=uuid,
            conversations=conversations,
            messages=messages,
        )

        history_response.additional_properties = d
        return history_response

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
