"""What uses the service: the web app (inbox, shop API, demo shop), the command line and the worker.
The Rasa action server (`actions/`) is the other entrypoint; it lives beside the bot's data."""
