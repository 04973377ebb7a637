"""Widgets the screens are made of: the agenda, the timer and pace panels, the roster, the QR code."""
