"""Helpers shared by the bot's tests: keys, payloads, signed deliveries, bot processes, bounded waits."""
