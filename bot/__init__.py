"""Server side of the support triage bot: NLU components, channels, launcher."""
