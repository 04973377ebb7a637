"""Breakout groups (issue 17): made from the people checked in, mixing locations and genders, avoiding repeats."""
