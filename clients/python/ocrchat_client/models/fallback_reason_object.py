from enum import StrEnum


class FallbackReasonObject(StrEnum):
    CONTEXT_OVERFLOW = "context_overflow"
    INCONSISTENT = "inconsistent"
    MALFORMED_REPLY = "malformed_reply"
    NOT_CONFIGURED = "not_configured"
    REJECTED = "rejected"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    UNKNOWN_EVIDENCE = "unknown_evidence"
    UNREACHABLE = "unreachable"
    UNSUPPORTED = "unsupported"

    def __str__(self) -> str:
        return str(self.value)
