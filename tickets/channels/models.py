"""Models of the intake channels (email, Slack): the raw messages kept, and the quarantine."""
