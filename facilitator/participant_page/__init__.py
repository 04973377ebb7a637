"""The participant page: the desk (its rules), signed tokens, QR codes, and the web app."""
