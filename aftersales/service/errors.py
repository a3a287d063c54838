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


class Forbidden(ServiceError):
    code = "forbidden"
