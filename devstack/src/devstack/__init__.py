"""Bunri's local stack: embedded servers, database bootstrap, schema export, supervisor."""
