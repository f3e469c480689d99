"""The Flask door: the app factory, request verification and the file routes phones and Alexa fetch."""
