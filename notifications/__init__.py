"""Email: the outbox, templates in every language, schedules, SES delivery and bounce handling."""
