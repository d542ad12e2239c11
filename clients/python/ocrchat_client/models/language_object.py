from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="LanguageObject")


@_attrs_define
class LanguageObject:
    """One language (or script model) a caller may name in `language`.

    Attributes:
        code (str): The short code to send (`en`, `de`, `ch`, `ar`; the Tesseract name where the language has
            no shorter code, e.g. `ceb`, `Fraktur`).
        name (str): The language's English name.
        script (str): Its writing system (`Latin`, `Cyrillic`, `Han`, `Arabic`, `Devanagari`, …).
        kind (str): `language`, or `script` for a model that reads every language of a script (`Latin`,
            `Cyrillic`, `Fraktur`) without knowing any one of them well.
        tesseract (str): The Tesseract model it is read with; also accepted as a code.
        aliases (list[str]): Every other code accepted for it (ISO 639-1, ISO 639-3 variants, OCR.chat codes).
    """

    code: str
    name: str
    script: str
    kind: str
    tesseract: str
    aliases: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        name = self.name

        script = self.script

        kind = self.kind

        tesseract = self.tesseract

        aliases = self.aliases

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "name": name,
                "script": script,
                "kind": kind,
                "tesseract": tesseract,
                "aliases": aliases,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = d.pop("code")

        name = d.pop("name")

        script = d.pop("script")

        kind = d.pop("kind")

        tesseract = d.pop("tesseract")

        aliases = cast(list[str], d.pop("aliases"))

        language_object = cls(
            code=code,
            name=name,
            script=script,
            kind=kind,
            tesseract=tesseract,
            aliases=aliases,
        )

        language_object.additional_properties = d
        return language_object

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
