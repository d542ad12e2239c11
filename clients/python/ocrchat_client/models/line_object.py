from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.word_object import WordObject


T = TypeVar("T", bound="LineObject")


@_attrs_define
class LineObject:
    """A text line and its words.

    Attributes:
        text (str): The line's text.
        bbox (list[int]): `[x0, y0, x1, y1]` in pixels of the page image.
        words (list[WordObject]): Its words, left to right (in reading order).
    """

    text: str
    bbox: list[int]
    words: list[WordObject]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        text = self.text

        bbox = self.bbox

        words = []
        for words_item_data in self.words:
            words_item = words_item_data.to_dict()
            words.append(words_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "text": text,
                "bbox": bbox,
                "words": words,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.word_object import WordObject  # noqa: PLC0415

        d = dict(src_dict)
        text = d.pop("text")

        bbox = cast(list[int], d.pop("bbox"))

        words = []
        _words = d.pop("words")
        for words_item_data in _words:
            words_item = WordObject.from_dict(words_item_data)

            words.append(words_item)

        line_object = cls(
            text=text,
            bbox=bbox,
            words=words,
        )

        line_object.additional_properties = d
        return line_object

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
