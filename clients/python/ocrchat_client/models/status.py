from enum import StrEnum


class Status(StrEnum):
    DONE = "done"
    FAILED = "failed"
    PENDING = "pending"
    PROCESSING = "processing"

    def __str__(self) -> str:
        return str(self.value)
