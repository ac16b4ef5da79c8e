"""Lambda handlers: parse the event, get the backend once, call a job body (``jobs``)."""
