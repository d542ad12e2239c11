from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.language_object import LanguageObject


T = TypeVar("T", bound="LanguageList")


@_attrs_define
class LanguageList:
    """The languages of this server.

    Attributes:
        count (int): How many entries `languages` has.
        languages (list[LanguageObject]): Installed languages, then script models, each group by name.
        auto (str): What `language=auto` (the default) does.
    """

    count: int
    languages: list[LanguageObject]
    auto: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        count = self.count

        languages = []
        for languages_item_data in self.languages:
            languages_item = languages_item_data.to_dict()
            languages.append(languages_item)

        auto = self.auto

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "count": count,
                "languages": languages,
                "auto": auto,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.language_object import LanguageObject  # noqa: PLC0415

        d = dict(src_dict)
        count = d.pop("count")

        languages = []
        _languages = d.pop("languages")
        for languages_item_data in _languages:
            languages_item = LanguageObject.from_dict(languages_item_data)

            languages.append(languages_item)

        auto = d.pop("auto")

        language_list = cls(
            count=count,
            languages=languages,
            auto=auto,
        )

        language_list.additional_properties = d
        return language_list

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
