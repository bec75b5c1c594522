"""Telegram handlers, grouped by what the user does. Each one reads the update, calls core, replies."""
