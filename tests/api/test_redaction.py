"""Redaction: credentials leave URLs, known secrets leave any text."""

from korsync.api.errors import Redactor, redact_url


def test_redact_url_masks_credentials_only() -> None:
    """Passwords and credential-like query values are masked, other params kept verbatim."""
    url = "https://u:pw@h/p?access_token=abc&page=2&X-Goog-Signature=zz"
    assert redact_url(url) == "https://***@h/p?access_token=***&page=2&X-Goog-Signature=***"
    plain = "https://h/v1/booking/orders?createdAt%5Bafter%5D=x&page=2"
    assert redact_url(plain) == plain


def test_redactor_scrubs_known_secrets() -> None:
    """Every known secret is masked wherever it appears; repr shows none."""
    redactor = Redactor("s3cr3t-token", None, "")
    redactor.add("another-secret")
    text = redactor.scrub("a s3cr3t-token b another-secret")
    assert text == "a *** b ***"
    assert "s3cr3t" not in repr(redactor)
