"""The leaderboard: README table between markers, regenerated from submissions and results."""
