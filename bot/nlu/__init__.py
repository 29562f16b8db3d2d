"""Custom NLU pieces: text normalisation and the project's own spaCy pipeline."""
