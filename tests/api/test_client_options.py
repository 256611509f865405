"""ClientOptions: bad option sets are refused clearly, and secrets stay out of its repr."""

import pytest

from korsync.api import ClientOptions


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "set token, or client_id"),
        ({"token": "  "}, "token is empty"),
        ({"token": "t", "client_id": "c"}, "not both"),
        ({"client_id": "c", "client_secret": "super-secret-value"}, "token_url"),
        ({"token": "t", "page_size": 51}, "page_size"),
        ({"token": "t", "rate_limit_per_s": 0}, "rate_limit_per_s"),
    ],
)
def test_client_options_validation(options: dict[str, object], message: str) -> None:
    """Bad option sets are refused with a message that never repeats a secret."""
    with pytest.raises(ValueError, match=message) as caught:
        ClientOptions(base_url="http://x", **options)  # type: ignore[arg-type]  # wrong on purpose
    assert "super-secret-value" not in str(caught.value)


def test_client_options_repr_hides_secrets() -> None:
    """Neither the token nor the client secret appears in the options' repr."""
    shown = repr(ClientOptions(base_url="http://x", token="tok-123456"))
    shown += repr(
        ClientOptions("http://x", client_id="c", client_secret="sec-123456", token_url="/t")
    )
    assert "tok-123456" not in shown and "sec-123456" not in shown
