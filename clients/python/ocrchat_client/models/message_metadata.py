from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.answer_mode_object import AnswerModeObject
from ..models.fallback_reason_object import FallbackReasonObject
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.usage_object import UsageObject


T = TypeVar("T", bound="MessageMetadata")


@_attrs_define
class MessageMetadata:
    """How an assistant message came about.

    Attributes:
        mode (AnswerModeObject): How an answer was produced.
        latency_ms (int): Milliseconds from the question to the answer (retrieval and model included).
        model_attempts (int): Requests made to the model (0, 1, or 2 with the retry).
        passages (int): Passages retrieval found for the question.
        evidence_shown (int): Evidence sentences (or lines) the model was shown, numbered.
        evidence_proposed (int): Evidence numbers the model named.
        evidence_cited (int): Sentences a model answer cites (its citations).
        recited (bool): True when the service cited the shown sentence that supports the model's answer because
            the numbers the model named did not.
        model (None | str | Unset): The model asked, if one was (also when it failed).
        usage (None | Unset | UsageObject): Tokens the model reported, summed over attempts.
        fallback (FallbackReasonObject | None | Unset): Why the model's answer is not what is shown: with `extractive`,
            the model was not used or
            failed; with `not_found`, its reply broke the consistency rule (an `inconsistent`,
            `unsupported` or `unknown_evidence` reply).
        fallback_detail (None | str | Unset): The last model error, in words (with `fallback`).
    """

    mode: AnswerModeObject
    latency_ms: int
    model_attempts: int
    passages: int
    evidence_shown: int
    evidence_proposed: int
    evidence_cited: int
    recited: bool
    model: None | str | Unset = UNSET
    usage: None | Unset | UsageObject = UNSET
    fallback: FallbackReasonObject | None | Unset = UNSET
    fallback_detail: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.usage_object import UsageObject  # noqa: PLC0415

        mode = self.mode.value

        latency_ms = self.latency_ms

        model_attempts = self.model_attempts

        passages = self.passages

        evidence_shown = self.evidence_shown

        evidence_proposed = self.evidence_proposed

        evidence_cited = self.evidence_cited

        recited = self.recited

        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        usage: dict[str, Any] | None | Unset
        if isinstance(self.usage, Unset):
            usage = UNSET
        elif isinstance(self.usage, UsageObject):
            usage = self.usage.to_dict()
        else:
            usage = self.usage

        fallback: None | str | Unset
        if isinstance(self.fallback, Unset):
            fallback = UNSET
        elif isinstance(self.fallback, FallbackReasonObject):
            fallback = self.fallback.value
        else:
            fallback = self.fallback

        fallback_detail: None | str | Unset
        if isinstance(self.fallback_detail, Unset):
            fallback_detail = UNSET
        else:
            fallback_detail = self.fallback_detail

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "mode": mode,
                "latency_ms": latency_ms,
                "model_attempts": model_attempts,
                "passages": passages,
                "evidence_shown": evidence_shown,
                "evidence_proposed": evidence_proposed,
                "evidence_cited": evidence_cited,
                "recited": recited,
            }
        )
        if model is not UNSET:
            field_dict["model"] = model
        if usage is not UNSET:
            field_dict["usage"] = usage
        if fallback is not UNSET:
            field_dict["fallback"] = fallback
        if fallback_detail is not UNSET:
            field_dict["fallback_detail"] = fallback_detail

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.usage_object import UsageObject  # noqa: PLC0415

        d = dict(src_dict)
        mode = AnswerModeObject(d.pop("mode"))

        latency_ms = d.pop("latency_ms")

        model_attempts = d.pop("model_attempts")

        passages = d.pop("passages")

        evidence_shown = d.pop("evidence_shown")

        evidence_proposed = d.pop("evidence_proposed")

        evidence_cited = d.pop("evidence_cited")

        recited = d.pop("recited")

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

        def _parse_usage(data: object) -> None | Unset | UsageObject:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                usage_type_1 = UsageObject.from_dict(data)

                return usage_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UsageObject, data)

        usage = _parse_usage(d.pop("usage", UNSET))

        def _parse_fallback(data: object) -> FallbackReasonObject | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                fallback_type_1 = FallbackReasonObject(data)

                return fallback_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(FallbackReasonObject | None | Unset, data)

        fallback = _parse_fallback(d.pop("fallback", UNSET))

        def _parse_fallback_detail(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        fallback_detail = _parse_fallback_detail(d.pop("fallback_detail", UNSET))

        message_metadata = cls(
            mode=mode,
            latency_ms=latency_ms,
            model_attempts=model_attempts,
            passages=passages,
            evidence_shown=evidence_shown,
            evidence_proposed=evidence_proposed,
            evidence_cited=evidence_cited,
            recited=recited,
            model=model,
            usage=usage,
            fallback=fallback,
            fallback_detail=fallback_detail,
        )

        message_metadata.additional_properties = d
        return message_metadata

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
