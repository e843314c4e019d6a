"""The shop's errors that people see: each carries a message saying what happened and what to do."""


class ShopError(Exception):
    """What a shopper or staff member asked for cannot be done; `user_message` says why."""

    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message
