"""playhub-ops: the operator API's client (OperatorClient) and command line, for a deployed stack
or the local one (`make run`)."""

from playhub_ops.client import (
    MissingCredentials,
    OperatorApiError,
    OperatorClient,
    OperatorUnreachable,
)

__all__ = ["MissingCredentials", "OperatorApiError", "OperatorClient", "OperatorUnreachable"]
