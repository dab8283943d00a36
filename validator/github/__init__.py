"""The bot's side of GitHub: pure builders of what to say, and one thin client that says it."""
