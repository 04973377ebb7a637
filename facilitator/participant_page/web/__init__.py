"""The participant page: a small web app (Starlette) on the core's :class:`~facilitator.participant_page.desk.Desk`."""
