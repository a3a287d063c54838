"""What a service operation can refuse, as exceptions the adapters turn into answers."""


class ServiceError(Exception):
    code = "error"


class OrderNotFound(ServiceError):
    """Unknown order number, or an order of another customer: deliberately indistinguishable."""

    code = "order_not_found"


class InvalidOrderNumber(ServiceError):
    code = "invalid_order_number"


class InvalidInput(ServiceError):
    code = "invalid_input"


class NotFound(ServiceError):
    code = "not_found"


class Conflict(ServiceError):
    """The state changed under the request (e.g. the order shipped while a review was pending)."""

    code = "conflict"


class TooManyAttempts(ServiceError):
    """A limit of aftersales.domain.attempts is locked: refused, whatever the request says."""

    code = "too_many_attempts"

    def __init__(self, scope: str, retry_after_s: int):
        super().__init__(f"too many attempts ({scope}); retry in {retry_after_s} s")
        self.scope = scope
        self.retry_after_s = retry_after_s
