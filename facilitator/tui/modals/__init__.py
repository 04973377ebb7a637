"""Questions and forms over a screen: the confirm question, pickers, notes, participants, reflections."""
