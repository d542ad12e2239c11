from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.message_object import MessageObject


T = TypeVar("T", bound="ChatResponse")


@_attrs_define
class ChatResponse:
    """The answer to a question.

    Attributes:
        conversation (UUID): The conversation: send it back to continue.
        message (MessageObject): One message.
    """

    conversation: UUID
    message: MessageObject
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversation = str(self.conversation)

        message = self.message.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation": conversation,
                "message": message,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.message_object import MessageObject  # noqa: PLC0415

        d = dict(src_dict)
        conversation = UUID(d.pop("conversation"))

        message = MessageObject.from_dict(d.pop("message"))

        chat_response = cls(
            conversation=conversation,
            message=message,
        )

        chat_response.additional_properties = d
        return chat_response

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
