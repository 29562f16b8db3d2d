"""What every SQL-backed store in the project shares."""
