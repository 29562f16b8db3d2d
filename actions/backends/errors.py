"""What can go wrong when asking the order and billing systems.

Raised by backend clients; ``actions/replies.py`` turns each into words for the
customer in one place.
"""


class BackendError(Exception):
    """Base class: the order or billing system could not do what was asked."""


class OrderNotFound(BackendError):
    """No order with that number."""


class InvoiceNotFound(BackendError):
    """No invoice with that number."""


class AccountNotFound(BackendError):
    """No account with that email (never shown to the customer as such)."""


class AlreadyShipped(BackendError):
    """The order has left the warehouse; it can no longer be cancelled or re-addressed."""


class AlreadyCancelled(BackendError):
    """The order was cancelled before."""


class NotDeliveredYet(BackendError):
    """A return was asked for an order that has not been delivered."""


class OutsideReturnWindow(BackendError):
    """The return window for this order has closed."""


class BackendUnavailable(BackendError):
    """The system did not answer in time, refused the connection or answered with an error."""
