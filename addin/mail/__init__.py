"""Email: .eml drafts in an outbox, sending them over SMTP, and the send journal that makes it exactly once."""
