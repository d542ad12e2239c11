from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.message_role import MessageRole
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.citation_object import CitationObject
    from ..models.message_metadata import MessageMetadata


T = TypeVar("T", bound="MessageObject")


@_attrs_define
class MessageObject:
    """One message.

    Attributes:
        role (MessageRole): Who said a message.
        content (str): The text.
        citations (list[CitationObject]): Verified citations (empty for user messages and not-found answers).
        created_at (datetime.datetime): When the message was recorded.
        metadata (MessageMetadata | None | Unset): How an assistant message came about (absent on user messages).
    """

    role: MessageRole
    content: str
    citations: list[CitationObject]
    created_at: datetime.datetime
    metadata: MessageMetadata | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.message_metadata import MessageMetadata  # noqa: PLC0415

        role = self.role.value

        content = self.content

        citations = []
        for citations_item_data in self.citations:
            citations_item = citations_item_data.to_dict()
            citations.append(citations_item)

        created_at = self.created_at.isoformat()

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, MessageMetadata):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "role": role,
                "content": content,
                "citations": citations,
                "created_at": created_at,
            }
        )
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.citation_object import CitationObject  # noqa: PLC0415
        from ..models.message_metadata import MessageMetadata  # noqa: PLC0415

        d = dict(src_dict)
        role = MessageRole(d.pop("role"))

        content = d.pop("content")

        citations = []
        _citations = d.pop("citations")
        for citations_item_data in _citations:
            citations_item = CitationObject.from_dict(citations_item_data)

            citations.append(citations_item)

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_metadata(data: object) -> MessageMetadata | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_1 = MessageMetadata.from_dict(data)

                return metadata_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MessageMetadata | None | Unset, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))

        message_object = cls(
            role=role,
            content=content,
            citations=citations,
            created_at=created_at,
            metadata=metadata,
        )

        message_object.additional_properties = d
        return message_object

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
