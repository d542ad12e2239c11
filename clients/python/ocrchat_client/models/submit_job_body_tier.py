from enum import StrEnum


class SubmitJobBodyTier(StrEnum):
    CPU = "cpu"
    VLM = "vlm"

    def __str__(self) -> str:
        return str(self.value)
