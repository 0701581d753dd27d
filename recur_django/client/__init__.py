"""Recur REST client (placeholder until the client lands)."""


class RecurClient:
    def __init__(self, secret_key: str, **kwargs: object) -> None:
        self.secret_key = secret_key

    def close(self) -> None:
        pass
