"""The organisers' paperwork around a course: certificates of attendance after it, invitations before it.

``roll.py`` (who is eligible and why, from the export's own rule), ``certificates.py`` (the PDFs and the roll
``certificates.csv``), ``verification.py`` (the codes printed on them, signed with a key derived from the run's
secret), ``agenda.py`` (an iCalendar file and a plain-text agenda per location), ``wording.py`` (hours and
dates as they are written) and ``output.py`` (writing a batch of files: private, all or nothing, never over a
file unasked). The fonts the certificates embed are in ``fonts/``, with their licence.
"""
