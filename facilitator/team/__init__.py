"""The facilitation team: roles and control, presence (heartbeats), identity, join requests."""
