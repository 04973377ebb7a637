"""Organiser exports: the run's record as registers, reflections, a timeline, the raw log and a report.

Everything here is read from one consistent snapshot of the run database (see ``snapshot``) and written
row by row, so an export of a live run neither blocks the facilitators nor grows with the length of the
log. The entry point is :func:`facilitator.exports.run.export`.
"""
