"""Who speaks (issue 17): a facilitator's tally of who has the floor, and what it comes to by gender and location."""
