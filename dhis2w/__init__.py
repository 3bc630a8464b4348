"""dhis2w: DHIS2 messaging and files from Python (placeholder until the client lands)."""
