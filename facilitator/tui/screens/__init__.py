"""Full screens: the lead's, attendance, reflections, join requests, the QR code, help, the room view."""
