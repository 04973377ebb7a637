"""The room answers: polls, scales, quizzes, knowledge checks and the course evaluation (issue 15)."""
