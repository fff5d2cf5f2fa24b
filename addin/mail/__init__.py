"""Email: .eml drafts in an outbox and sending them over SMTP exactly once."""
