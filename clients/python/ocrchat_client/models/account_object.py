from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.page_prices import PagePrices


T = TypeVar("T", bound="AccountObject")


@_attrs_define
class AccountObject:
    """The caller's plan and usage in the current period. All amounts are credits; a `cpu` page
    costs one.

        Attributes:
            plan (str): `anonymous` (no token: metered per client IP per UTC day), `free` (monthly allowance) or
                `paid` (purchased credits, priority processing).
            period (str): The current period: a UTC day (`2026-11-24`) for anonymous callers, a UTC month
                (`2026-11`) for accounts.
            used (int): Credits used in the current period.
            remaining (int): Credits that can still be spent: allowance left, or the paid balance.
            file_page_cap (int): Most pages one file may have on this plan.
            credits_per_page (PagePrices): Credits one page costs, per tier.
            email (None | str | Unset): The account's email (absent for anonymous callers).
            cap (int | None | Unset): The period's allowance; absent for paid accounts, whose balance is the limit.
            balance (int | None | Unset): Paid accounts: purchased credits not yet spent (same as `remaining`).
    """

    plan: str
    period: str
    used: int
    remaining: int
    file_page_cap: int
    credits_per_page: PagePrices
    email: None | str | Unset = UNSET
    cap: int | None | Unset = UNSET
    balance: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        plan = self.plan

        period = self.period

        used = self.used

        remaining = self.remaining

        file_page_cap = self.file_page_cap

        credits_per_page = self.credits_per_page.to_dict()

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        cap: int | None | Unset
        if isinstance(self.cap, Unset):
            cap = UNSET
        else:
            cap = self.cap

        balance: int | None | Unset
        if isinstance(self.balance, Unset):
            balance = UNSET
        else:
            balance = self.balance

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "plan": plan,
                "period": period,
                "used": used,
                "remaining": remaining,
                "file_page_cap": file_page_cap,
                "credits_per_page": credits_per_page,
            }
        )
        if email is not UNSET:
            field_dict["email"] = email
        if cap is not UNSET:
            field_dict["cap"] = cap
        if balance is not UNSET:
            field_dict["balance"] = balance

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.page_prices import PagePrices  # noqa: PLC0415

        d = dict(src_dict)
        plan = d.pop("plan")

        period = d.pop("period")

        used = d.pop("used")

        remaining = d.pop("remaining")

        file_page_cap = d.pop("file_page_cap")

        credits_per_page = PagePrices.from_dict(d.pop("credits_per_page"))

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        def _parse_cap(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        cap = _parse_cap(d.pop("cap", UNSET))

        def _parse_balance(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        balance = _parse_balance(d.pop("balance", UNSET))

        account_object = cls(
            plan=plan,
            period=period,
            used=used,
            remaining=remaining,
            file_page_cap=file_page_cap,
            credits_per_page=credits_per_page,
            email=email,
            cap=cap,
            balance=balance,
        )

        account_object.additional_properties = d
        return account_object

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
